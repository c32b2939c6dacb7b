/* Client architectures: the SDK's names (pxh_arch_name) and DHCP option 93
 * values mapped to enum pxh_arch, for every protocol and pxehubctl. */
#include <stdint.h>

#include "pxehub/plugin.h"
#include "arch.h"

const char *pxh_arch_name(uint16_t arch)
{
	switch (arch) {
	case PXH_ARCH_BIOS: return "bios";
	case PXH_ARCH_EFI_IA32: return "efi-ia32";
	case PXH_ARCH_EFI_X64: return "efi-x64";
	case PXH_ARCH_EFI_ARM32: return "efi-arm32";
	case PXH_ARCH_EFI_ARM64: return "efi-arm64";
	case PXH_ARCH_EFI_IA32_HTTP: return "efi-ia32-http";
	case PXH_ARCH_EFI_X64_HTTP: return "efi-x64-http";
	case PXH_ARCH_EFI_ARM32_HTTP: return "efi-arm32-http";
	case PXH_ARCH_EFI_ARM64_HTTP: return "efi-arm64-http";
	default: return "unknown";
	}
}

/* IANA "Processor Architecture Types" (RFC 4578 as amended by erratum
 * 4624): 7 and 9 are both x64 UEFI in the field. */
uint16_t pxh_dhcp_arch_normalise(uint16_t raw)
{
	switch (raw) {
	case 0: return PXH_ARCH_BIOS;
	case 6: return PXH_ARCH_EFI_IA32;
	case 7:
	case 9: return PXH_ARCH_EFI_X64;
	case 10: return PXH_ARCH_EFI_ARM32;
	case 11: return PXH_ARCH_EFI_ARM64;
	case 15: return PXH_ARCH_EFI_IA32_HTTP;
	case 16: return PXH_ARCH_EFI_X64_HTTP;
	case 18: return PXH_ARCH_EFI_ARM32_HTTP;
	case 19: return PXH_ARCH_EFI_ARM64_HTTP;
	default: return PXH_ARCH_UNKNOWN;
	}
}
