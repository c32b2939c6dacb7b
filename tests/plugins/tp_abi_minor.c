/*
 * Test plugin: same ABI major, but a minor one above the core's (built
 * against a newer SDK that may rely on hooks this core lacks).  The loader
 * must refuse it without calling init (which aborts).
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
	.abi_major = PXH_ABI_MAJOR,
	.abi_minor = PXH_ABI_MINOR + 1,
	.struct_size = sizeof(struct pxh_plugin_descriptor),
	.name = "tp_abi_minor",
	.version = "1",
	.init = tp_init,
};
