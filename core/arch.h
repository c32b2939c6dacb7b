/* Client architectures (core/arch.c): option 93 values to enum pxh_arch;
 * pxh_arch_name() itself is the SDK's (pxehub/plugin.h). */
#ifndef PXEHUB_ARCH_H
#define PXEHUB_ARCH_H

#include <stdint.h>

#include "pxehub/plugin.h"

/* Normalise option 93 (RFC 4578 2.1, IANA Processor Architecture Types) to
 * enum pxh_arch; PXH_ARCH_UNKNOWN for values pxehub does not serve. */
uint16_t pxh_dhcp_arch_normalise(uint16_t raw);

#endif /* PXEHUB_ARCH_H */
