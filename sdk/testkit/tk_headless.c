/* The test kit runs the same socket-less core as pxehubctl decide. */
#include "../../core/pxehubctl/headless.c"
