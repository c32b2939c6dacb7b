/* Access rules (core/access.c): [access] allow/deny and per-protocol checks. */
#ifndef PXEHUB_ACCESS_H
#define PXEHUB_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "pxehub/plugin.h"

struct pxh_server;
struct pxh_conf;

/* Returns true when [access] allows C; else false and WHY says which rule. */
bool pxh_access_allowed(const struct pxh_conf *conf, const pxh_client *c,
                        char *why, size_t why_len);

/* RULE ("a.b.c.d/n", "a.b.c.d", "2001:db8::/32", "fe80::1") contains
 * ADDR, both of one family (a v4-mapped ADDR is IPv4; a "%zone" on ADDR is
 * ignored). */
bool pxh_addr_in_subnet(const char *rule, const char *addr);
/* 0 when RULE is one of the [access] forms, else -EINVAL and WHY. */
int pxh_access_rule_check(const char *rule, char *why, size_t why_len);
struct pxh_conf_errors;
/* pxehubd -t: the [access] allow/deny rules, with FILE:LINE. */
void pxh_access_conf_check(const struct pxh_conf *conf, struct pxh_conf_errors *errs);
/* The sender at ADDR as the server itself knows it, for protocols that
 * show only an address (TFTP, HTTP): ADDR, and the MAC, architecture and
 * interface the DHCP phase recorded for that address (empty when none);
 * never what the request claims (a query string's mac=). */
void pxh_access_peer_client(struct pxh_server *s, enum pxh_phase phase,
                            const char *addr, pxh_client *out);
/* pxh_access_allowed for TFTP ("tftp") and HTTP files ("files"), unless
 * [access] PROTO = any opens that protocol to everyone (PROTO NULL:
 * never open, /boot.ipxe). */
bool pxh_access_peer_allowed(struct pxh_server *s, const char *proto,
                             const pxh_client *c, char *why, size_t why_len);
/* Log "WHAT refused: ..." at info, at most 10 lines a second (a flood from
 * a refused range is counted, not written out line by line). */
void pxh_access_log_refusal(struct pxh_server *s, const pxh_client *c,
                            const char *what, const char *why);

#endif /* PXEHUB_ACCESS_H */
