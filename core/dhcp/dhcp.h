/* proxyDHCP / PXE responder: the module's internal interface. */
#ifndef PXH_DHCP_H
#define PXH_DHCP_H

#include <ev.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pxehub.h"
#include "dhcp_proto.h"

/* ---- parser (dhcp_parse.c) --------------------------------------------- */
struct pxh_dhcp_optval {
	const uint8_t *p;
	uint16_t len;
};

/* A parsed request.  Option values point into the packet, or into SCRATCH
 * when a long option (RFC 3396) had to be concatenated. */
struct pxh_dhcp_msg {
	const uint8_t *pkt;
	size_t len;
	uint8_t op, htype, hlen, hops;
	uint32_t xid;      /* network order */
	uint16_t flags;    /* host order */
	uint32_t ciaddr, yiaddr, siaddr, giaddr; /* network order */
	const uint8_t *chaddr;
	uint8_t msg_type;  /* option 53, 0 when absent (BOOTP) */
	uint8_t overload;  /* option 52 */
	uint8_t present[32];
	struct pxh_dhcp_optval opt[256];
	size_t scratch_used;
	uint8_t scratch[DHCP_MAX_PKT];
};

/* Parse P (a BOOTP/DHCP message).  Returns 0, or -EBADMSG with *WHY set to
 * a short static reason ("short", "cookie", "truncated option 60", ...). */
int pxh_dhcp_parse(const uint8_t *p, size_t len, struct pxh_dhcp_msg *m,
                   const char **why);
/* The option's bytes (and *LEN), or NULL when absent. */
const uint8_t *pxh_dhcp_opt(const struct pxh_dhcp_msg *m, uint8_t code,
                            size_t *len);
/* Find one option in a raw packet without a parse: single fragments point
 * into P; split ones are concatenated into BUF (CAP bytes).  NULL when
 * absent or malformed. */
const uint8_t *pxh_dhcp_find(const uint8_t *p, size_t len, uint8_t code,
                             uint8_t *buf, size_t cap, size_t *out_len);

/* ---- client facts (dhcp_facts.c) --------------------------------------- */
/* SMBIOS text form of option 97 (type 0 + 16 bytes) into OUT[37]. */
int pxh_dhcp_uuid_text(const uint8_t *v, size_t len, char out[37]);
/* User class (option 77): RFC 3004 form or iPXE's raw form, into OUT. */
void pxh_dhcp_user_class(const uint8_t *v, size_t len, char *out, size_t cap);
/* Normalise option 93 to enum pxh_arch. */
uint16_t pxh_dhcp_arch_normalise(uint16_t raw);
/* Fill C (phase DHCP) from M; IFACE/SERVER_IP may be NULL. */
void pxh_dhcp_fill_client(pxh_client *c, const struct pxh_dhcp_msg *m,
                          const char *iface, const char *server_ip);
/* Dotted quad of A (network order) into OUT[16]; returns its length. */
size_t pxh_dhcp_fmt_ip(uint32_t a, char *out);
/* "00:11:22:aa:bb:cc" of MAC into OUT[18]. */
void pxh_dhcp_fmt_mac(const uint8_t *mac, char out[18]);
/* Is this a PXE or HTTP boot client (option 60 prefix)? */
bool pxh_dhcp_is_pxe(const struct pxh_dhcp_msg *m);

/* ---- reply builder (dhcp_build.c) -------------------------------------- */
struct pxh_dhcp_reply {
	uint8_t msg_type;         /* DHCPOFFER or DHCPACK */
	uint32_t server_id;       /* option 54, network order */
	uint32_t siaddr;          /* next server, network order */
	const char *file;         /* boot file or URL ("" for none) */
	bool http_client;         /* option 60 "HTTPClient" */
	int discovery_control;    /* option 43 sub-option 6, <0 to leave out */
	const struct pxh_dhcp_opt *extra; /* plugin options, override ours */
	size_t n_extra;
};

/* Build the reply to request M into OUT (CAP bytes).  Returns the length,
 * or -EMSGSIZE / -EINVAL. */
int pxh_dhcp_build(const struct pxh_dhcp_msg *m, const struct pxh_dhcp_reply *r,
                   uint8_t *out, size_t cap);
/* The largest reply (DHCP message bytes) the client of M takes: RFC 2131
 * 576-byte datagrams unless its option 57 allows more, at most one
 * Ethernet frame; less 28 bytes of IP and UDP header. */
size_t pxh_dhcp_reply_limit(const struct pxh_dhcp_msg *m);

/* ---- rate limit and duplicate suppression (dhcp_limit.c) --------------- */
#define PXH_DHCP_LIMIT_SLOTS 4096

struct pxh_dhcp_limit_slot {
	uint8_t mac[6];
	uint8_t used;
	uint8_t last_type;
	uint16_t last_port;
	uint32_t last_xid;
	double last_time; /* last accepted request */
	double tokens;
	double stamp;     /* tokens refilled up to here */
};

struct pxh_dhcp_limit {
	double rate;  /* requests per second per MAC, 0 = unlimited */
	double burst;
	double dup_window; /* seconds; 0 = off */
	struct pxh_dhcp_limit_slot slot[PXH_DHCP_LIMIT_SLOTS];
};

enum pxh_dhcp_limit_verdict {
	PXH_LIMIT_PASS = 0,
	PXH_LIMIT_RATE = 1,
	PXH_LIMIT_DUPLICATE = 2,
};

enum pxh_dhcp_limit_verdict pxh_dhcp_limit_check(struct pxh_dhcp_limit *l,
                                                 const uint8_t mac[6],
                                                 uint32_t xid, uint8_t type,
                                                 uint16_t port, double now);
/* The request MAC passed with was dropped (busy, decision failed): its
 * retransmission is a new try, not a duplicate of one being answered. */
void pxh_dhcp_limit_forget(struct pxh_dhcp_limit *l, const uint8_t mac[6]);

/* ---- the server (dhcp_server.c) ---------------------------------------- */
enum {
	PXH_DHCP_DROP_MALFORMED,
	PXH_DHCP_DROP_NOT_PXE,
	PXH_DHCP_DROP_TYPE,
	PXH_DHCP_DROP_IFACE,
	PXH_DHCP_DROP_RATE,
	PXH_DHCP_DROP_DUPLICATE,
	PXH_DHCP_DROP_ACCESS,
	PXH_DHCP_DROP_BUSY,
	PXH_DHCP_DROP_NO_LOADER,
	PXH_DHCP_DROP_SEND,
	PXH_DHCP_DROP_REFLECT,   /* the reply would go where no client can be */
	PXH_DHCP_DROP_DEST_RATE, /* replies_per_destination */
	PXH_DHCP_DROP__MAX
};

struct pxh_dhcp_sock {
	int fd;
	uint16_t port;
	char port_text[6];
	bool pxe; /* the 4011 socket */
	ev_io io;
	struct pxh_dhcp *d;
};

struct pxh_dhcp_pending;
struct pxh_dhcp_tx;

/* datagrams per recvmmsg/sendmmsg */
#define PXH_DHCP_BATCH 32

struct pxh_dhcp {
	struct pxh_server *s;
	struct pxh_dhcp_sock sock[2];
	size_t n_sock;
	/* settings (re-read on reload) */
	int discovery_control;
	long long max_pending;
	long long http_port;
	bool has_server_ip;         /* [server] server_ip set */
	struct in_addr server_ip;
	/* default loader per arch (index: arch 0..19, 20 = unknown), "" = none */
	char loader[21][256];
	/* interfaces we answer on (from [server] listen); none = all */
	unsigned *ifindex;
	size_t n_ifindex;
	struct pxh_dhcp_limit limit;
	struct pxh_addr_rate dest_rate; /* replies per unicast destination */
	/* decisions in flight */
	struct pxh_dhcp_pending *pending;
	/* receive buffers of the next recvmmsg; NULL once handed to a
	 * decision still running (one is allocated again when needed) */
	struct pxh_dhcp_pending *rx[PXH_DHCP_BATCH];
	size_t n_pending;
	/* replies of the batch in hand, sent together with sendmmsg */
	struct pxh_dhcp_tx *tx;
	size_t n_tx;
	int tx_fd;
	bool batching;
	/* text of the last advertised address (inet_ntop costs a sprintf) */
	struct in_addr adv_cached;
	char adv_text[INET_ADDRSTRLEN];
	/* counters */
	uint64_t *c_requests[2]; /* port 67, pxe port */
	uint64_t *c_offers, *c_acks;
	uint64_t *c_drop[PXH_DHCP_DROP__MAX];
	uint64_t *c_verdict[5];
	/* what open() bound, to tell reload that a restart is needed */
	long long port, pxe_port;
};

/* ---- reply destination (dhcp_dest.c) ----------------------------------- */
/* Where the reply to M (from SRC, on the PXE port or not) goes: 4011 its
 * source; 67 giaddr:67 (never zero, loopback, multicast, broadcast or one
 * of our addresses), ciaddr:68 only when the packet came from ciaddr, else
 * a broadcast on the receiving link (*BROADCAST).  -EADDRNOTAVAIL: drop. */
int pxh_dhcp_dest(const struct pxh_dhcp_msg *m, const struct sockaddr_in *src,
                  bool pxe_port, struct sockaddr_in *dst, bool *broadcast);

/* ---- interface addresses (dhcp_ifaddr.c) ------------------------------ */
/* Name of the interface holding address A. */
int pxh_dhcp_iface_of_addr(struct in_addr a, char *name, size_t cap);

/* ---- what to answer (dhcp_answer.c) ------------------------------------ */
/* Default loader for an arch from [boot] (unknown arches per [boot]
 * unknown_arch); NULL when there is none. */
const char *pxh_dhcp_default_loader(const struct pxh_conf *conf, uint16_t arch);
/* The boot file for C: iPXE gets the script URL (never a loader again),
 * HTTP boot clients an http URL of LOADER under /tftp/, the rest LOADER.
 * Returns 0, -ENOENT (no loader) or -ENAMETOOLONG. */
int pxh_dhcp_boot_file(const pxh_client *c, const char *loader,
                       const char *server_ip, long long http_port, char *out,
                       size_t cap);

#endif /* PXH_DHCP_H */
