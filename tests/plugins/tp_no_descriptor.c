/*
 * Test plugin: exports no "pxh_plugin_descriptor" symbol (a typo'd name
 * instead, as happens when the descriptor is written by hand).  The loader
 * must refuse it with dlerror()'s text and a hint naming PXH_PLUGIN.
 */
#include <stdlib.h>

#include "tp.h"

static int tp_init(pxh_host *h, void **state)
{
	abort();
}

PXH_EXPORT const struct pxh_plugin_descriptor pxh_plugin_descriptr = {
	TP_VALID_HEAD,
	.name = "tp_no_descriptor",
	.version = "1",
	.init = tp_init,
};
