/* [server] listen items as socket addresses, IPv4 and IPv6, for the TFTP
 * and HTTP listeners (core/listen_addr.c). */
#ifndef PXH_LISTEN_ADDR_H
#define PXH_LISTEN_ADDR_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct pxh_conf;
struct pxh_conf_errors;

union pxh_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* One [server] listen item.  KIND says what it named: an address
 * ("10.0.0.1", "2001:db8::1", "fe80::1%eth0" with the zone as scope id,
 * "[2001:db8::1]"), or an interface by name (IFACE set, A unset). */
enum pxh_listen_kind { PXH_LISTEN_ADDR = 1, PXH_LISTEN_IFACE = 2 };

struct pxh_listen_item {
	enum pxh_listen_kind kind;
	union pxh_sockaddr a;  /* port 0 */
	char iface[IF_NAMESIZE];
};

/* ITEM as written in [server] listen.  Returns 0, or -EINVAL with WHY (a
 * link-local address without its zone, a zone that names no interface
 * when CHECK_IFACE, a name that cannot be an interface). */
int pxh_listen_parse(const char *item, bool check_iface,
                     struct pxh_listen_item *out, char *why, size_t why_len);

/* "2001:db8::1", "fe80::1%eth0", "10.0.0.1": A's address as text (the zone
 * from its scope id), for logs and the status. */
void pxh_sockaddr_text(const union pxh_sockaddr *a, char *out, size_t len);
socklen_t pxh_sockaddr_len(const union pxh_sockaddr *a);
/* The address alone, no zone ("fe80::1"): the client facts' form (the
 * interface is a fact of its own). */
void pxh_sockaddr_ip(const union pxh_sockaddr *a, char *out, size_t len);

/* pxehubd -t: each [server] listen item parses (FILE:LINE). */
void pxh_listen_conf_check(const struct pxh_conf *conf,
                           struct pxh_conf_errors *errs);

#endif
