/* proxyDHCP / PXE responder: the module's internal interface. */
#ifndef PXH_DHCP_H
#define PXH_DHCP_H

#include <ev.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pxehub/plugin.h"
#include "dhcp_proto.h"
#include "addr_limit.h"
#include "arch.h"
#include "answer.h"
#include "conf.h"
#include "dhcp_options.h"
#include "dhcp_module.h"
#include "server.h"
#include "server_addr.h"

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

/* ---- client facts (dhcp_facts.c) --------------------------------------- */
/* SMBIOS text form of option 97 (type 0 + 16 bytes) into OUT[37]. */
int pxh_dhcp_uuid_text(const uint8_t *v, size_t len, char out[37]);
/* User class (option 77): RFC 3004 form or iPXE's raw form, into OUT. */
void pxh_dhcp_user_class(const uint8_t *v, size_t len, char *out, size_t cap);
/* Fill C (phase DHCP) from M; IFACE/SERVER_IP may be NULL. */
void pxh_dhcp_fill_client(pxh_client *c, const struct pxh_dhcp_msg *m,
                          const char *iface, const char *server_ip);
/* Dotted quad of A (network order) into OUT[16]; returns its length. */
size_t pxh_dhcp_fmt_ip(uint32_t a, char *out);
/* "00:11:22:aa:bb:cc" of MAC into OUT[18]. */
void pxh_dhcp_fmt_mac(const uint8_t *mac, char out[18]);
/* Printable bytes of V, '?' for the rest, into OUT (NUL terminated);
 * returns the length. */
size_t pxh_dhcp_copy_text(char *out, size_t cap, const uint8_t *v, size_t len);
/* "PXEClient:Arch:00007:UNDI:003000": the digits after NAME into OUT. */
bool pxh_dhcp_vendor_field(const char *vc, const char *name, char *out,
                           size_t cap);
/* Does the user class list ("a,b,c") name iPXE? */
bool pxh_dhcp_user_class_has_ipxe(const char *list);
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
	/* server mode (zero for proxy replies) */
	uint32_t yiaddr;          /* network order */
	const uint8_t *addr_opts; /* address options, already encoded */
	size_t addr_opts_len;
	bool address_only;        /* no PXE options, file or option 60 */
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
/* [dhcp] rate_per_mac, rate_burst, duplicate_window into L and
 * replies_per_destination into DEST (DHCPv4 and DHCPv6 share them). */
void pxh_dhcp_limit_read(struct pxh_dhcp_limit *l, struct pxh_addr_rate *dest,
                         const struct pxh_conf *conf);
/* FNV-1a of a MAC, folded: spreads sequential MACs well. */
uint32_t pxh_dhcp_mac_hash(const uint8_t mac[6]);
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
	PXH_DHCP_DROP_RELAY, /* giaddr set, but not sent by that relay */
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
	/* [dhcp] mode = server: pools and leases; NULL in proxy mode */
	struct pxh_dhcp_srv *srv;
	int probe_fd; /* ICMP socket opened as root, until srv takes it */
	bool probe_raw;
};

/* ---- reply destination (dhcp_dest.c) ----------------------------------- */
/* Where the reply to M (from SRC, on the PXE port or not) goes: 4011 its
 * source; 67 giaddr:67 (never zero, loopback, multicast, broadcast or one
 * of our addresses), ciaddr:68 only when the packet came from ciaddr, else
 * a broadcast on the receiving link (*BROADCAST).  -EADDRNOTAVAIL: drop. */
int pxh_dhcp_dest(const struct pxh_dhcp_msg *m, const struct sockaddr_in *src,
                  bool pxe_port, struct sockaddr_in *dst, bool *broadcast);


/* ---- what to answer (dhcp_answer.c) ------------------------------------ */
/* Default loader for an arch from [boot] (unknown arches per [boot]
 * unknown_arch); NULL when there is none. */
const char *pxh_dhcp_default_loader(const struct pxh_conf *conf, uint16_t arch);
/* The dhcp_decision event: ACTION by PLUGIN, FILE or MSG saying why not. */
void pxh_dhcp_emit_decision(struct pxh_server *s, const pxh_client *c,
                            const char *action, const char *plugin,
                            const char *file, const char *msg);
/* PREFIX_dropped_total{reason=...} for each of DROP_NAMES into C_DROP and
 * PREFIX_decisions_total{verdict=boot|local|ignore} into C_VERDICT, with
 * these help texts (the DHCP and DHCPv6 modules). */
void pxh_dhcp_register_outcomes(struct pxh_server *s, const char *prefix,
                                const char *drop_help, const char *verdict_help,
                                const char *const *drop_names, size_t n_drop,
                                uint64_t **c_drop, uint64_t *c_verdict[5]);
/* The boot file for C: iPXE gets the script URL (never a loader again),
 * HTTP boot clients an http URL of LOADER under /tftp/, the rest LOADER.
 * Returns 0, -ENOENT (no loader) or -ENAMETOOLONG. */
int pxh_dhcp_boot_file(const pxh_client *c, const char *loader,
                       const char *server_ip, long long http_port, char *out,
                       size_t cap);


/* ---- server mode: pools (dhcp_pool.c) ---------------------------------- */
/* [dhcp] mode = server: pxehub gives addresses from [pool.NAME] sections.
 * Addresses here are in host order. */
#define PXH_DHCP_POOL_MAX 64        /* [pool.NAME] sections */
#define PXH_DHCP_POOL_ADDRS 65536   /* addresses in one range at most */
#define PXH_DHCP_DNS_MAX 4

struct pxh_dhcp_pool {
	char name[32];
	uint32_t net, mask;         /* subnet */
	uint32_t first, last;       /* range, inclusive */
	uint32_t router;            /* 0 = none */
	uint32_t dns[PXH_DHCP_DNS_MAX];
	size_t n_dns;
	char domain[128];
	char iface[16];             /* "" = any interface on the subnet */
	uint32_t lease_secs;
};

/* Read every [pool.NAME] of C into *OUT (malloc'd, *N entries).  Problems
 * go to ERRS as FILE:LINE (NULL: stop at the first one).  0 or -EINVAL. */
int pxh_dhcp_pools_read(const struct pxh_conf *c, struct pxh_dhcp_pool **out,
                        size_t *n, struct pxh_conf_errors *errs);
/* The semantic checks of [dhcp] mode and the pools (pxehubd -t, start,
 * reload); called by the config loader. */
void pxh_dhcp_conf_check(const struct pxh_conf *c,
                         struct pxh_conf_errors *errs);
/* The pool serving a request: relayed (GIADDR != 0, network order) by the
 * subnet holding giaddr; else by interface IFNAME or the subnet holding
 * LOCAL (our address on the receiving interface, network order). */
const struct pxh_dhcp_pool *pxh_dhcp_pool_for(const struct pxh_dhcp_pool *v,
                                              size_t n, uint32_t giaddr,
                                              const char *ifname,
                                              uint32_t local);
static inline bool pxh_dhcp_pool_in_range(const struct pxh_dhcp_pool *p,
                                          uint32_t ip)
{
	return ip >= p->first && ip <= p->last;
}

/* ---- server mode: leases (dhcp_lease.c) -------------------------------- */
enum pxh_lease_state {
	PXH_LEASE_FREE = 0,
	PXH_LEASE_OFFERED,  /* held for offer_hold, not written to disk */
	PXH_LEASE_BOUND,
	PXH_LEASE_DECLINED, /* reported in use by a client: not handed out */
};

struct pxh_dhcp_lease {
	uint32_t ip;        /* host order */
	uint8_t mac[6];
	uint8_t state;      /* enum pxh_lease_state */
	int64_t expires;    /* wall clock, seconds */
	int64_t since;      /* when offered or bound */
};

struct pxh_dhcp_leases {
	struct pxh_dhcp_lease *v;
	size_t n, cap;
	size_t max;         /* [dhcp] max_leases */
	size_t max_offers;  /* outstanding offers at most (flood bound) */
	bool dirty;         /* bound or declined set changed since saved */
};

/* Why no address could be offered. */
enum pxh_lease_err {
	PXH_LEASE_EXHAUSTED = 1, /* every address of the range is taken */
	PXH_LEASE_TABLE_FULL,    /* max_leases reached */
};

void pxh_dhcp_leases_free(struct pxh_dhcp_leases *ls);
/* The lease (any state but FREE, expired or not) of MAC inside POOL's range. */
struct pxh_dhcp_lease *pxh_dhcp_lease_by_mac(struct pxh_dhcp_leases *ls,
                                             const struct pxh_dhcp_pool *pool,
                                             const uint8_t mac[6]);
struct pxh_dhcp_lease *pxh_dhcp_lease_by_ip(struct pxh_dhcp_leases *ls,
                                            uint32_t ip);
/* Is IP free for MAC at NOW (no live lease of another MAC, not declined)? */
bool pxh_dhcp_lease_ip_free(struct pxh_dhcp_leases *ls, uint32_t ip,
                            const uint8_t mac[6], int64_t now);
/* Offer MAC an address of POOL: its own lease first, then WANT (option 50)
 * when free, then the first free address from a place that depends on the
 * MAC.  Held HOLD seconds.  Returns the address (host order) or 0 with *ERR
 * set. */
uint32_t pxh_dhcp_lease_offer(struct pxh_dhcp_leases *ls,
                              const struct pxh_dhcp_pool *pool,
                              const uint8_t mac[6], uint32_t want,
                              int64_t now, int64_t hold, int *err);
/* Bind IP to MAC for SECS.  -EADDRINUSE when another holds it, -ENOSPC when
 * the table is full. */
int pxh_dhcp_lease_bind(struct pxh_dhcp_leases *ls, const uint8_t mac[6],
                        uint32_t ip, int64_t now, int64_t secs);
/* RELEASE: free MAC's lease of IP (0 when it had one, else -ENOENT). */
int pxh_dhcp_lease_release(struct pxh_dhcp_leases *ls, const uint8_t mac[6],
                           uint32_t ip);
/* DECLINE: IP is in use by another host; nobody gets it for SECS. */
int pxh_dhcp_lease_decline(struct pxh_dhcp_leases *ls, const uint8_t mac[6],
                           uint32_t ip, int64_t now, int64_t secs);
/* IP answered a probe while offered: another host uses it; nobody gets it
 * for SECS (0, or -ENOENT when IP is not an outstanding offer). */
int pxh_dhcp_lease_conflict(struct pxh_dhcp_leases *ls, uint32_t ip,
                            int64_t now, int64_t secs);
/* An offer to MAC that it turned down (it chose another server). */
void pxh_dhcp_lease_unoffer(struct pxh_dhcp_leases *ls, const uint8_t mac[6]);
/* Drop expired entries, and (POOLS non-NULL) bound ones no pool's range
 * holds any more; returns how many were dropped. */
size_t pxh_dhcp_leases_prune(struct pxh_dhcp_leases *ls, int64_t now,
                             const struct pxh_dhcp_pool *pools, size_t npools);
size_t pxh_dhcp_leases_count(const struct pxh_dhcp_leases *ls, int state,
                             int64_t now);
/* The lease file: text, "lease IP MAC EXPIRES" and "declined IP - EXPIRES"
 * a line (EXPIRES in seconds since the epoch).  Parse TEXT into LS (entries
 * beyond ls->max and malformed lines are skipped and counted in *BAD). */
int pxh_dhcp_leases_parse(struct pxh_dhcp_leases *ls, const char *text,
                          size_t len, int64_t now, size_t *bad);
int pxh_dhcp_leases_load(struct pxh_dhcp_leases *ls, const char *path,
                         int64_t now);
/* Write PATH atomically (PATH.tmp, fsync, rename). */
int pxh_dhcp_leases_save(struct pxh_dhcp_leases *ls, const char *path,
                         int64_t now);

/* ---- server mode: the protocol (dhcp_serve.c) -------------------------- */
struct pxh_dhcp_srv {
	struct pxh_dhcp_pool *pools;
	size_t n_pools;
	struct pxh_dhcp_leases leases;
	char path[4096];            /* state_dir/dhcp-leases */
	int64_t offer_hold, decline_secs;
	ev_timer save_timer;
	struct ev_loop *loop;
	uint64_t *c_exhausted, *c_declined, *c_naks, *c_released, *c_refused;
	/* conflict probe (dhcp_probe.c); probe_fd -1 = off */
	int probe_fd;
	bool probe_raw, probe_on;
	uint16_t probe_seq;
	ev_io probe_io;
	uint64_t *c_probes, *c_conflicts;
};

/* What the server part answers to one request. */
struct pxh_dhcp_grant {
	uint8_t reply;              /* DHCPOFFER, DHCPACK, DHCPNAK; 0 = none */
	uint32_t yiaddr;            /* network order; 0 for NAK and INFORM */
	const struct pxh_dhcp_pool *pool;
	uint32_t lease_secs;        /* 0: no lease options (INFORM, NAK) */
};

enum pxh_dhcp_srv_verdict {
	PXH_SRV_NOT_OURS = 0, /* no pool for this network: proxy behaviour */
	PXH_SRV_SILENT,       /* handled, no reply (RELEASE, DECLINE, other server) */
	PXH_SRV_REPLY,        /* *G says what */
};

int pxh_dhcp_srv_open(struct pxh_dhcp *d, const struct pxh_conf *conf);
void pxh_dhcp_srv_reload(struct pxh_dhcp *d, const struct pxh_conf *conf);
void pxh_dhcp_srv_close(struct pxh_dhcp *d);
/* Server-mode handling of M (port 67), before any decision.  SERVER_ID is
 * the address we advertise (network order). */
enum pxh_dhcp_srv_verdict pxh_dhcp_srv_request(struct pxh_dhcp *d,
                                               const struct pxh_dhcp_msg *m,
                                               const char *ifname,
                                               uint32_t local,
                                               uint32_t server_id,
                                               struct pxh_dhcp_grant *g);
/* ---- server mode: conflict probe (dhcp_probe.c) ------------------------ */
/* An ICMP socket: raw when allowed (*RAW), else the ping socket; -errno. */
int pxh_dhcp_probe_socket(bool *raw);
/* Take FD (may be < 0: no probes) and watch it for echo replies. */
void pxh_dhcp_probe_start(struct pxh_dhcp_srv *v, int fd, bool raw);
void pxh_dhcp_probe_stop(struct pxh_dhcp_srv *v);
/* Ping IP (host order) once; a reply while it is offered is a conflict. */
void pxh_dhcp_probe_send(struct pxh_dhcp_srv *v, uint32_t ip);

/* The address options of G (1, 3, 6, 15, 28, and 51/58/59 with a lease)
 * as option bytes into OUT; returns the length. */
size_t pxh_dhcp_grant_options(const struct pxh_dhcp_grant *g, uint8_t *out,
                              size_t cap);

#endif /* PXH_DHCP_H */
