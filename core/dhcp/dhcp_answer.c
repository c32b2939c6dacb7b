/* What a PXE client is told to boot: default loaders and URLs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dhcp.h"
#include "conf.h"
#include "counters.h"
#include "events.h"
#include "str.h"

/* The [boot] loader_* of ARCH, or NULL for an architecture without one. */
static const char *loader_of(const struct pxh_boot_conf *bc, uint16_t arch)
{
	switch (arch) {
	case PXH_ARCH_BIOS: return bc->loader_bios;
	case PXH_ARCH_EFI_X64:
	case PXH_ARCH_EFI_X64_HTTP: return bc->loader_efi_x64;
	case PXH_ARCH_EFI_IA32:
	case PXH_ARCH_EFI_IA32_HTTP: return bc->loader_efi_ia32;
	case PXH_ARCH_EFI_ARM64:
	case PXH_ARCH_EFI_ARM64_HTTP: return bc->loader_efi_arm64;
	default: return NULL;
	}
}

const char *pxh_dhcp_default_loader(const struct pxh_conf *conf, uint16_t arch)
{
	const struct pxh_boot_conf *bc = pxh_boot_conf(conf);
	const char *v = loader_of(bc, arch);

	if (!v && arch == PXH_ARCH_UNKNOWN) {
		const char *u = bc->unknown_arch;
		if (u && strcmp(u, "bios") == 0)
			v = loader_of(bc, PXH_ARCH_BIOS);
		else if (u && strcmp(u, "efi-x64") == 0)
			v = loader_of(bc, PXH_ARCH_EFI_X64);
		else if (u && strcmp(u, "efi-ia32") == 0)
			v = loader_of(bc, PXH_ARCH_EFI_IA32);
		else if (u && strcmp(u, "efi-arm64") == 0)
			v = loader_of(bc, PXH_ARCH_EFI_ARM64);
	}
	return v && v[0] ? v : NULL;
}

static int base_url(char *out, size_t cap, const char *ip, long long port)
{
	int n;
	if (port == 80 || port <= 0)
		n = snprintf(out, cap, "http://%s", ip);
	else
		n = snprintf(out, cap, "http://%s:%lld", ip, port);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : n;
}

/* Microsoft's boot programs (classic WinPE boot over TFTP, issue 14): they
 * never load iPXE again, so an iPXE client (a NIC's iPXE ROM) may be sent
 * one without a chain loop. */
static bool windows_boot_program(const char *loader)
{
	static const char *const names[] = {
		"pxeboot.n12", "pxeboot.com", "bootmgfw.efi", "bootmgr.exe",
		"bootmgr.efi", "wdsnbp.com", "wdsmgfw.efi",
	};
	const char *base = loader;

	for (const char *q = loader; *q; q++)
		if (*q == '/' || *q == '\\')
			base = q + 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(base, names[i]) == 0)
			return true;
	return false;
}

int pxh_dhcp_boot_file(const pxh_client *c, const char *loader,
                       const char *server_ip, long long http_port, char *out,
                       size_t cap)
{
	bool url = loader && strstr(loader, "://");
	int n;

	if (c->is_ipxe) {
		/* A loader (not a URL) would make iPXE load itself again. */
		if (url || (loader && windows_boot_program(loader)))
			goto copy;
		n = base_url(out, cap, server_ip, http_port);
		if (n < 0)
			return n;
		int m = snprintf(out + n, cap - (size_t)n, "/boot.ipxe");
		return m < 0 || (size_t)m >= cap - (size_t)n ? -ENAMETOOLONG : 0;
	}
	if (!loader || !loader[0])
		return -ENOENT;
	if (c->is_http_boot && !url) {
		n = base_url(out, cap, server_ip, http_port);
		if (n < 0)
			return n;
		while (*loader == '/')
			loader++;
		int m = snprintf(out + n, cap - (size_t)n, "/tftp/%s", loader);
		return m < 0 || (size_t)m >= cap - (size_t)n ? -ENAMETOOLONG : 0;
	}
copy:
	n = snprintf(out, cap, "%s", loader);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

void pxh_dhcp_emit_decision(struct pxh_server *s, const pxh_client *c,
                            const char *action, const char *plugin,
                            const char *file, const char *msg)
{
	pxh_event ev;

	pxh_event_init(&ev, PXH_EV_DHCP_DECISION, PXH_LOG_INFO, c);
	pxh_strcpy(ev.action, sizeof(ev.action), action);
	pxh_strcpy(ev.plugin, sizeof(ev.plugin), plugin);
	pxh_strcpy(ev.file, sizeof(ev.file), file);
	pxh_strcpy(ev.message, sizeof(ev.message), msg);
	pxh_emit(s, &ev);
}

void pxh_dhcp_register_outcomes(struct pxh_server *s, const char *prefix,
                                const char *drop_help, const char *verdict_help,
                                const char *const *drop_names, size_t n_drop,
                                uint64_t **c_drop, uint64_t *c_verdict[5])
{
	static const char *const verdicts[5] = {[PXH_BOOT] = "boot",
	                                        [PXH_LOCAL] = "local",
	                                        [PXH_IGNORE] = "ignore"};
	char name[128];

	for (size_t i = 0; i < n_drop; i++) {
		snprintf(name, sizeof(name), "%s_dropped_total{reason=\"%s\"}",
		         prefix, drop_names[i]);
		c_drop[i] = pxh_counter(s, name, drop_help);
	}
	for (int v = PXH_BOOT; v <= PXH_IGNORE; v++) {
		snprintf(name, sizeof(name), "%s_decisions_total{verdict=\"%s\"}",
		         prefix, verdicts[v]);
		c_verdict[v] = pxh_counter(s, name, verdict_help);
	}
}
