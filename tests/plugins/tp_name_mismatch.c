/*
 * Test plugin: the file is tp_name_mismatch.so but the descriptor says
 * "some_other_name".  The loader must refuse it (naming both) before init
 * runs (init aborts).
 */
#include <stdlib.h>

#include "tp.h"

static int tp_init(pxh_host *h, void **state)
{
	abort();
}

TP_DESCRIPTOR = {
	TP_VALID_HEAD,
	.name = "some_other_name",
	.version = "1",
	.init = tp_init,
};
