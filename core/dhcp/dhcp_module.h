/* The DHCP module as the server sees it: lifecycle, key tables, checks. */
#ifndef PXEHUB_DHCP_MODULE_H
#define PXEHUB_DHCP_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include "pxehub/plugin.h"
#include "conf.h"

struct pxh_server;
struct pxh_conf;
struct pxh_conf_errors;

/* open: bind sockets (called as root, before privileges are dropped).
 * start: begin serving on the loop.  reload: apply a new config (sockets
 * stay; return a note when something needs a restart).  stop: close. */
int pxh_dhcp_open(struct pxh_server *s);
int pxh_dhcp_start(struct pxh_server *s);
void pxh_dhcp_reload(struct pxh_server *s, const struct pxh_conf *old);
void pxh_dhcp_stop(struct pxh_server *s);

extern const pxh_conf_key pxh_dhcp_keys[];

/* [dhcp], filled once per load from pxh_dhcp_keys (dhcp_keys.c). */
struct pxh_dhcp_conf {
	bool enabled;
	unsigned port, pxe_port;
	int discovery_control; /* -1 = leave out */
	unsigned rate_per_mac, rate_burst, replies_per_destination;
	long long duplicate_window_ms;
	pxh_conf_list relays;
	unsigned max_pending;
	const char *mode; /* proxy or server */
	long long offer_hold_ms;
	unsigned max_offers, max_leases;
	long long decline_time_ms;
	bool conflict_probe;
};
/* Each [pool.NAME] (pxh_conf_core_sub(c, PXH_SEC_POOL, i), dhcp_pool.c). */
struct pxh_pool_conf {
	const char *subnet, *range, *interface, *router;
	pxh_conf_list dns;
	const char *domain;
	long long lease_time_ms;
};

static inline const struct pxh_dhcp_conf *pxh_dhcp_conf(const struct pxh_conf *c)
{
	return pxh_conf_core(c, PXH_SEC_DHCP);
}
/* [pool.NAME]: address pools of [dhcp] mode = server (core/dhcp/dhcp_pool.c) */
extern const pxh_conf_key pxh_dhcp_pool_section_keys[];
extern const pxh_conf_key pxh_dhcp_pool_keys[];
/* Checks across keys of [dhcp] and [pool.NAME] (core/dhcp/dhcp_pool.c),
 * run by pxh_conf_load so -t, start and reload all see them. */
void pxh_dhcp_conf_check(const struct pxh_conf *c, struct pxh_conf_errors *errs);


#endif /* PXEHUB_DHCP_MODULE_H */
