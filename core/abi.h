/* How far the core reads a public struct a plugin handed over (ABI rules
 * in sdk/include/pxehub/plugin.h). */
#ifndef PXEHUB_ABI_H
#define PXEHUB_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "pxehub/plugin.h"

/* The sizes of the public structs a plugin hands over as ABI 1.0 froze
 * them (their last 1.0 field's end): never change these when a minor
 * appends fields (test_abi checks them against the frozen header). */
#define PXH_MEMBER_END(T, m) (offsetof(T, m) + sizeof(((T *)0)->m))
#define PXH_CLIENT_SIZE_1_0 PXH_MEMBER_END(pxh_client, raw_len)
#define PXH_EVENT_SIZE_1_0 PXH_MEMBER_END(pxh_event, message)
#define PXH_WIMBOOT_SIZE_1_0 PXH_MEMBER_END(pxh_wimboot, index)
#define PXH_CONF_KEY_SIZE_1_0 PXH_MEMBER_END(pxh_conf_key, field)

/* How much of a struct a plugin handed over the core reads: its
 * STRUCT_SIZE, at least the 1.0 size V1_0 (a size left unset counts as
 * 1.0's) and at most the core's FULL size. */
static inline size_t pxh_abi_size(uint32_t struct_size, size_t v1_0, size_t full)
{
	if (struct_size < v1_0)
		return v1_0;
	return struct_size < full ? struct_size : full;
}

#endif /* PXEHUB_ABI_H */
