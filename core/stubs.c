/* Weak fallbacks for protocol modules that are not built in: a module's
 * real definitions override these at link time. */
#include "pxehub.h"

#define WEAK __attribute__((weak))

WEAK const pxh_conf_key pxh_dhcp_keys[] = {{NULL, 0, NULL, 0, 0, 0, NULL, NULL}};
WEAK const pxh_conf_key pxh_tftp_keys[] = {{NULL, 0, NULL, 0, 0, 0, NULL, NULL}};
WEAK const pxh_conf_key pxh_http_keys[] = {{NULL, 0, NULL, 0, 0, 0, NULL, NULL}};

WEAK int pxh_dhcp_open(struct pxh_server *s) { return 0; }
WEAK int pxh_dhcp_start(struct pxh_server *s) { return 0; }
WEAK void pxh_dhcp_reload(struct pxh_server *s, const struct pxh_conf *old) {}
WEAK void pxh_dhcp_stop(struct pxh_server *s) {}
WEAK int pxh_tftp_open(struct pxh_server *s) { return 0; }
WEAK int pxh_tftp_start(struct pxh_server *s) { return 0; }
WEAK void pxh_tftp_reload(struct pxh_server *s, const struct pxh_conf *old) {}
WEAK void pxh_tftp_stop(struct pxh_server *s, double grace) {}
WEAK size_t pxh_tftp_active(struct pxh_server *s) { return 0; }
WEAK int pxh_http_open(struct pxh_server *s) { return 0; }
WEAK int pxh_http_start(struct pxh_server *s) { return 0; }
WEAK int pxh_http_reload_prepare(struct pxh_server *s, const struct pxh_conf *nc) { return 0; }
WEAK void pxh_http_reload_abort(struct pxh_server *s) {}
WEAK void pxh_http_reload(struct pxh_server *s, const struct pxh_conf *old) {}
WEAK void pxh_http_stop(struct pxh_server *s, double grace) {}
WEAK size_t pxh_http_active(struct pxh_server *s) { return 0; }
WEAK size_t pxh_tftp_transfers(struct pxh_server *s, struct pxh_transfer *out,
                               size_t max) { return 0; }
WEAK size_t pxh_http_transfers(struct pxh_server *s, struct pxh_transfer *out,
                               size_t max) { return 0; }
WEAK void pxh_http_events_publish(struct pxh_server *s, const pxh_event *ev,
                                  const char *mac) {}
WEAK bool pxh_http_auth_configured(struct pxh_server *s) { return false; }
WEAK int pxh_server_ip_for(struct pxh_server *s, const char *iface, char *out,
                           size_t len)
{
	return -1;
}
WEAK int pxh_default_menu(struct pxh_server *s, const pxh_client *c,
                          struct pxh_answer *a)
{
	return pxh_answer_set_script(a, "#!ipxe\nexit\n");
}
WEAK const uint8_t *pxh_client_option(const pxh_client *c, uint8_t code, size_t *len)
{
	return NULL;
}
WEAK const char *pxh_arch_name(uint16_t arch) { return "unknown"; }
