/*
 * Test plugin: a descriptor laid out as the SDK drafts before ABI 1.0 was
 * frozen wrote it (abi_major, abi_minor, struct_size first; no magic).
 * Such a plugin's event hook expects pxh_client inside pxh_event, so the
 * loader must refuse it, saying to rebuild, and never call init (aborts).
 */
#include <stdint.h>
#include <stdlib.h>

#include <pxehub/plugin.h>

struct draft_descriptor {
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t struct_size;
	const char *name;
	const char *version;
	uint32_t flags;
	const void *keys, *sub_keys;
	int (*init)(pxh_host *h, void **state);
	void (*fini)(void *state);
};

static int tp_init(pxh_host *h, void **state)
{
	abort();
}

PXH_EXPORT const struct draft_descriptor tp_descriptor
	__asm__(PXH_DESCRIPTOR_SYMBOL) = {
	.abi_major = 1,
	.abi_minor = 1,
	.struct_size = sizeof(struct draft_descriptor),
	.name = "tp_prefreeze",
	.version = "1",
	.init = tp_init,
};
