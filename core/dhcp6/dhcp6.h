/* DHCPv6 boot answers (proxy, no addresses): the module's internal interface. */
#ifndef PXH_DHCP6_H
#define PXH_DHCP6_H

#include <ev.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pxehub/plugin.h"
#include "addr_limit.h"
#include "conf.h"
#include "server.h"
#include "dhcp6_module.h"
#include "dhcp6_proto.h"

#define PXH_DHCP6_MAX_PKT 4096 /* receive buffer: larger messages dropped */

/* ---- parser (dhcp6_parse.c) -------------------------------------------- */
/* One Relay-Forward layer, outermost first (RFC 8415 section 9). */
struct pxh_dhcp6_relay {
	uint8_t hop_count;
	struct in6_addr link; /* link-address */
	struct in6_addr peer; /* peer-address: the client or the next relay */
	const uint8_t *opts;  /* this layer's options (without option 9) */
	size_t opts_len;
	const uint8_t *iface_id; /* option 18, NULL when absent */
	uint16_t iface_id_len;
};

/* A parsed message.  Pointers point into the packet. */
struct pxh_dhcp6_msg {
	const uint8_t *pkt;
	size_t len;
	/* the client's message (the innermost one when relayed) */
	uint8_t type;
	uint32_t xid;          /* 24 bits */
	const uint8_t *opts;   /* its options */
	size_t opts_len;
	const uint8_t *msg;    /* the client message itself (type first) */
	size_t msg_len;
	struct pxh_dhcp6_relay relay[DHCP6_HOP_COUNT_LIMIT];
	size_t n_relay;
};

/* Parse P: a client message or Relay-Forward messages nested at most
 * DHCP6_HOP_COUNT_LIMIT deep around one.  Every option list must be
 * exactly covered by its options; a Relay-Forward must hold exactly one
 * relay message (option 9).  Returns 0, or -EBADMSG with *WHY set to a
 * short static reason. */
int pxh_dhcp6_parse(const uint8_t *p, size_t len, struct pxh_dhcp6_msg *m,
                    const char **why);
/* The first option CODE in the option list OPTS (LEN bytes, well formed or
 * not: reading stops at a truncated option), its length in *OUT_LEN. */
const uint8_t *pxh_dhcp6_find(const uint8_t *opts, size_t len, uint16_t code,
                              size_t *out_len);
/* The first option CODE of the client's message. */
const uint8_t *pxh_dhcp6_opt(const struct pxh_dhcp6_msg *m, uint16_t code,
                             size_t *out_len);
/* How many times CODE appears in OPTS. */
size_t pxh_dhcp6_count(const uint8_t *opts, size_t len, uint16_t code);

/* ---- facts (dhcp6_facts.c) --------------------------------------------- */
/* The MAC behind a DUID-LL or DUID-LLT of Ethernet (RFC 8415 11.2, 11.4);
 * -ENOENT for other DUIDs. */
int pxh_dhcp6_duid_mac(const uint8_t *duid, size_t len, uint8_t mac[6]);
/* The MAC of a modified EUI-64 interface id (RFC 4291 appendix A: ff:fe
 * in the middle, U/L bit flipped) of a link-local address; -ENOENT. */
int pxh_dhcp6_eui64_mac(const struct in6_addr *a, uint8_t mac[6]);
/* Where the MAC came from: option 79, the DUID, the EUI-64 link-local. */
enum pxh_dhcp6_mac_src {
	PXH_DHCP6_MAC_NONE = 0,
	PXH_DHCP6_MAC_OPT79,
	PXH_DHCP6_MAC_DUID,
	PXH_DHCP6_MAC_EUI64,
};
/* Fill C (phase DHCP) from M received from SRC on IFACE.  SERVER_IP is our
 * address as advertised (text, may be NULL).  Returns where the MAC came
 * from (NONE: c->mac is empty). */
int pxh_dhcp6_fill_client(pxh_client *c, const struct pxh_dhcp6_msg *m,
                          const struct in6_addr *src, const char *iface,
                          const char *server_ip);
/* Is this a PXE or HTTP boot client: option 16 with PXEClient/HTTPClient
 * (any enterprise number), option 61, or user class iPXE? */
bool pxh_dhcp6_is_boot_client(const struct pxh_dhcp6_msg *m);

/* ---- builder (dhcp6_build.c) ------------------------------------------- */
struct pxh_dhcp6_reply {
	uint8_t type;            /* DHCP6_ADVERTISE or DHCP6_REPLY */
	const uint8_t *server_duid;
	size_t server_duid_len;
	const char *url;         /* option 59, NULL/"" for none */
	const char *params;      /* option 60 (one parameter), NULL for none */
	bool http_client;        /* option 16 "HTTPClient" (else "PXEClient") */
	uint16_t ia_status;      /* status inside each IA_NA of the request
	                          * (0: no IA_NA in the reply) */
	uint16_t status;         /* top-level status code (0: none) */
	const char *status_msg;
};

/* Build the answer to M's client message into OUT (CAP bytes), wrapped in
 * one Relay-Reply per Relay-Forward layer (hop count, link and peer
 * address and interface-id copied, RFC 8415 section 19.3).  Returns the
 * length or -EMSGSIZE / -EINVAL. */
int pxh_dhcp6_build(const struct pxh_dhcp6_msg *m,
                    const struct pxh_dhcp6_reply *r, uint8_t *out, size_t cap);
/* DUID-LLT (RFC 8415 11.2, Ethernet, TIME seconds since 2000-01-01) or,
 * with TIME 0, DUID-LL (11.4) of MAC into OUT[14]; returns the length. */
size_t pxh_dhcp6_make_duid(const uint8_t mac[6], uint32_t time, uint8_t *out);

/* The server (dhcp6_server.c) and the [dhcp6] keys (dhcp6_keys.c): see
 * dhcp6_module.h. */

#endif /* PXH_DHCP6_H */
