/* The [dhcp6] section's keys. */
#include <arpa/inet.h>

#include "dhcp6.h"

#define D6(m) PXH_CONF_BIND(struct pxh_dhcp6_conf, m)
const pxh_conf_key pxh_dhcp6_keys[] = {
	{"enabled", PXH_CONF_BOOL, "no", 0, 0, 0, NULL,
	 "answer IPv6 PXE and HTTP boot clients (DHCPv6 proxy on port, boot "
	 "server on pxe_port; no addresses: the site's DHCPv6 server gives "
	 "those, see docs/ipv6.md)", D6(enabled)},
	{"port", PXH_CONF_INT, "547", 0, 0, 65535, NULL,
	 "DHCPv6 port for multicast (ff02::1:2) and relayed requests; 0 = off "
	 "(a DHCPv6 server runs on this host)", D6(port)},
	{"pxe_port", PXH_CONF_INT, "4011", 0, 0, 65535, NULL,
	 "boot server port on IPv6: EDK2 PXEv6 sends its Request for the boot "
	 "file here after our Advertise; 0 = off", D6(pxe_port)},
	{"server_ip", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "IPv6 address put into boot URLs (tftp://[ADDR]/..., http://[ADDR]/...); "
	 "empty = the address a relayed or unicast request reached, else a "
	 "global address of the receiving interface", D6(server_ip)},
	PXH_CONF_END,
};

const struct pxh_section_schema pxh_dhcp6_section = {
	"dhcp6", pxh_dhcp6_keys, NULL, sizeof(struct pxh_dhcp6_conf), 0};

/* -t: server_ip must be an IPv6 address (it goes into URLs as [ADDR]). */
void pxh_dhcp6_conf_check(const struct pxh_conf *c, struct pxh_conf_errors *errs)
{
	const char *ip = pxh_dhcp6_conf(c)->server_ip;
	struct in6_addr a;

	if (ip && ip[0] && inet_pton(AF_INET6, ip, &a) != 1)
		pxh_conf_errors_add(errs, "%s: [dhcp6] server_ip: '%s' is not an "
		                    "IPv6 address",
		                    pxh_cfg_where(c, "dhcp6", NULL, "server_ip"), ip);
}
