/* Addresses the server advertises (core/server_addr.c). */
#ifndef PXEHUB_SERVER_ADDR_H
#define PXEHUB_SERVER_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

struct pxh_server;
struct pxh_conf;

/* Address the server advertises to a client that came in on IFACE (or the
 * [server] server_ip override); writes dotted quad into OUT.  0, -ENOENT
 * (no address) or -ENAMETOOLONG. */
int pxh_server_ip_for(struct pxh_server *s, const char *iface,
                      char *out, size_t len);
/* Name of the interface holding address A (0, or -ENOENT). */
int pxh_iface_of_addr(struct in_addr a, char *name, size_t cap);
/* The interfaces [server] listen names for DHCP (V6 false: interface
 * names and IPv4 addresses) or DHCPv6 (V6: names and IPv6 addresses, with
 * %SCOPE or not) as indexes into *IDX (malloc'd), *N of them; (size_t)-1
 * when none of its items counts (answer nobody). */
void pxh_dhcp_listen_read(const struct pxh_conf *conf, bool v6,
                          unsigned **idx, size_t *n);
/* Is IFINDEX among them (N 0: listen is empty, every interface)? */
bool pxh_dhcp_listen_has(const unsigned *idx, size_t n, unsigned ifindex);

#endif /* PXEHUB_SERVER_ADDR_H */
