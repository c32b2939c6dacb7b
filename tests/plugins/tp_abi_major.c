/*
 * Test plugin: ABI major one above the core's.  The loader must refuse it
 * (naming the file, both versions and a hint to rebuild) and never call
 * init, which aborts to make a wrong acceptance impossible to miss.
 */
#include <stdlib.h>

#include "tp.h"

static int tp_init(pxh_host *h, void **state)
{
	abort();
}

TP_DESCRIPTOR = {
	.magic = PXH_PLUGIN_MAGIC,
	.conf_key_size = sizeof(pxh_conf_key),
	.abi_major = PXH_ABI_MAJOR + 1,
	.abi_minor = 0,
	.struct_size = sizeof(struct pxh_plugin_descriptor),
	.name = "tp_abi_major",
	.version = "1",
	.init = tp_init,
};
