/* The config sections of the daemon, each defined by its module (the
 * core's own in conf_keys.c, the protocols' in their folders), and the
 * protocol modules' checks across keys.  conf.c reads them from here so
 * that it names no module; this file is part of the daemon's assembly,
 * like server.c. */
#include "conf.h"
#include "dhcp/dhcp_module.h"
#include "dhcp6/dhcp6_module.h"
#include "http/grub_stage.h"

const struct pxh_section_schema *const pxh_conf_sections[PXH_SEC__MAX] = {
	[PXH_SEC_SERVER] = &pxh_server_section,   [PXH_SEC_DHCP] = &pxh_dhcp_section,
	[PXH_SEC_TFTP] = &pxh_tftp_section,       [PXH_SEC_HTTP] = &pxh_http_section,
	[PXH_SEC_BOOT] = &pxh_boot_section,       [PXH_SEC_ACCESS] = &pxh_access_section,
	[PXH_SEC_LOG] = &pxh_log_section,         [PXH_SEC_PLUGINS] = &pxh_plugins_section,
	[PXH_SEC_POOL] = &pxh_pool_section,       [PXH_SEC_DHCP6] = &pxh_dhcp6_section,
};

void pxh_conf_check_sections(const struct pxh_conf *c,
                             struct pxh_conf_errors *errs)
{
	pxh_grub_conf_check(c, errs);
	pxh_dhcp_conf_check(c, errs);
	pxh_dhcp6_conf_check(c, errs);
}
