/*
 * Shared by the test plugins: TP_DESCRIPTOR declares the exported
 * descriptor by its struct tag under an assembler name, so a test plugin can
 * fill every field by hand (wrong versions, short sizes).  Normal plugins
 * use PXH_PLUGIN() from plugin.h instead.
 */
#ifndef PXH_TESTS_PLUGINS_TP_H
#define PXH_TESTS_PLUGINS_TP_H

#include <pxehub/plugin.h>

#define TP_DESCRIPTOR                                                          \
	PXH_EXPORT const struct pxh_plugin_descriptor tp_descriptor            \
		__asm__(PXH_DESCRIPTOR_SYMBOL)

/* A valid v1 descriptor head. */
#define TP_VALID_HEAD                                                          \
	.magic = PXH_PLUGIN_MAGIC,                                             \
	.abi_major = PXH_ABI_MAJOR, .abi_minor = PXH_ABI_MINOR,                \
	.struct_size = sizeof(struct pxh_plugin_descriptor),                   \
	.conf_key_size = sizeof(pxh_conf_key)

#endif
