/* Client history (core/clients.c): what each machine did, JSON for the
 * API and console, and lookups of a machine by address. */
#ifndef PXEHUB_CLIENTS_H
#define PXEHUB_CLIENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "pxehub/plugin.h"

struct pxh_server;

/* JSON text (malloc'd) of /api/v1/clients (STEPS: each machine's events
 * too); HIDE_FACTS drops serial, asset,
 * uuid for anonymous callers. */
char *pxh_clients_json(struct pxh_server *s, bool hide_facts, bool steps);
/* JSON text of /api/v1/status (uptime, counters, plugins, recent); the
 * config path and reload error are hidden with the facts only once
 * pxh_http_auth_configured (an API token or a client CA exists). */
char *pxh_status_json(struct pxh_server *s, bool hide_facts);
/* The MAC last seen with IP (from the DHCP 4011 request or iPXE), for
 * protocols that only see an address (TFTP).  Returns true when known. */
bool pxh_clients_mac_for_ip(struct pxh_server *s, const char *ip,
                            char mac[18]);
/* All facts known of the machine last seen at IP (MAC, UUID, arch, SMBIOS
 * ...), for TFTP and HTTP requests that only show an address. */
bool pxh_clients_facts_for_ip(struct pxh_server *s, const char *ip,
                              pxh_client *out);
/* The same, only when that MAC came to IP through the DHCP phase (a
 * 4011 request from IP, or the address a PXE client took from the site's
 * DHCP server), not through an iPXE request's claim: for access rules. */
bool pxh_clients_dhcp_facts_for_ip(struct pxh_server *s, const char *ip,
                                   pxh_client *out);
void pxh_clients_free(struct pxh_server *s);
/* One machine's story (facts and every step kept, grouped into boots) as
 * JSON text, or NULL when the MAC is unknown. */
char *pxh_client_story_json(struct pxh_server *s, const char *mac,
                            bool hide_facts);
/* Machines booting now (seen in the last NOW_WINDOW seconds or in a
 * transfer): phase, file, bytes, rate, stuck after STUCK_AFTER seconds
 * without progress. */
char *pxh_now_json(struct pxh_server *s, bool hide_facts, double stuck_after);

/* A file being sent right now, for the console's Now view. */
struct pxh_transfer {
	const char *proto; /* "tftp", "http", "https" */
	char mac[18];      /* "" when unknown */
	char ip[46];
	char file[128];
	uint64_t done, size; /* bytes acknowledged/sent, of SIZE */
	double started;      /* pxh_server_now() at the start */
	double moved;        /* pxh_server_now() when bytes last moved */
};

#endif /* PXEHUB_CLIENTS_H */
