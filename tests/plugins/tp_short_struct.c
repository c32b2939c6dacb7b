/*
 * Test plugin: right ABI numbers but a struct_size that stops before the
 * init and fini pointers, so the core cannot trust them.  The loader must
 * refuse it ("descriptor too short") and never call init (which aborts).
 */
#include <stddef.h>
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
	.abi_minor = PXH_ABI_MINOR,
	.struct_size = offsetof(struct pxh_plugin_descriptor, init),
	.name = "tp_short_struct",
	.version = "1",
	.init = tp_init,
};
