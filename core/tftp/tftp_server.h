/* TFTP module internals shared by the server, session, cache and client-map
 * files (everything that touches the loop or the core). */
#ifndef PXH_TFTP_SERVER_H
#define PXH_TFTP_SERVER_H

#include <ev.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "pxehub/plugin.h"
#include "listen_addr.h"
#include "tftp.h"
#include "addr_limit.h"
#include "files.h"
#include "server.h"

#define TFTP_MAX_LISTEN 32
#define TFTP_BATCH 64                  /* datagrams per sendmmsg or GSO send */
#define TFTP_WINDOW_BYTES (4u << 20)   /* windowsize * blksize at most */
#define TFTP_HASH 1024                 /* transfer lookup by client */
#define TFTP_NETASCII_MAX (16u << 20)  /* netascii is converted in memory, */
#define TFTP_NETASCII_BUDGET (64u << 20) /* each transfer its own copy: all */

struct tftp_cfg {
	bool enabled;
	int port;
	char root[PATH_MAX];
	uint16_t port_lo, port_hi; /* 0, 0: ephemeral */
	uint32_t max_blksize;      /* 0: the path MTU's */
	uint32_t max_windowsize;
	uint32_t max_transfers;
	uint32_t max_per_client;      /* transfers per client address, 0 = any */
	uint32_t requests_per_client; /* request-port packets/s per address, 0 = any */
	double stall_s;               /* no new block acknowledged: the end */
	uint32_t timeout_ms;
	uint32_t retries;
	uint32_t msftwindow; /* largest msftwindow hint; 0 = off */
	unsigned file_flags; /* PXH_FILE_* */
	bool gso;            /* UDP segmentation offload for windows */
	uint64_t cache_bytes, cache_file_max;
};


struct tftp_listener {
	int fd;
	int family; /* AF_INET or AF_INET6 (one socket per family) */
	ev_io io;
	struct pxh_tftp *t;
	char iface[16]; /* bound to this interface, or "" */
};

struct tftp_counters {
	uint64_t *requests, *wrq, *busy, *malformed, *notfound, *denied,
		*dup_rrq, *ok, *failed, *timeout, *aborted, *probe, *bytes,
		*data_packets, *retransmits, *cache_hits, *cache_misses,
		*sends_gso, *sends_mmsg, *gso_fallbacks, *per_client, *rate,
		*evicted, *stalled;
};

struct tftp_cache;
struct tftp_cache_entry;

struct tftp_xfer {
	struct pxh_tftp *t;
	struct tftp_xfer *prev, *next;   /* all transfers */
	struct tftp_xfer *hnext;         /* hash chain by peer */
	int fd;
	ev_io io;
	ev_timer timer;
	union pxh_sockaddr peer, local;
	uint16_t port; /* from port_range (to release), or 0 */
	pxh_client client;
	struct pxh_open_file f;
	bool have_file;
	struct tftp_cache_entry *ce;
	uint8_t *owned; /* netascii conversion */
	uint64_t owned_len;
	const uint8_t *mem; /* content in memory, or NULL: pread f.fd */
	int src_fd;
	uint64_t size;
	struct tftp_params prm;
	struct tftp_window w;
	uint8_t oack[512];
	size_t oack_len;
	uint64_t send_from, send_to; /* part of the window not yet sent */
	uint64_t high_sent;          /* highest block ever sent + 1 */
	uint32_t tries;
	double rto, rto_base;
	double rto_opt;    /* the client's timeout option (s), 0 = none */
	double sent_at;    /* when the current window left (0: a resend) */
	double restart_at; /* when an earlier ACK last restarted the window */
	uint64_t restart_from; /* the block that restart began with, or 0 */
	double srtt;       /* smoothed window round trip, 0 = unknown */
	uint64_t retransmits, packets, acks;
	uint32_t win_peak; /* largest window sent (msftwindow hints) */
	uint64_t windows;  /* windows (or OACKs) sent, first and again */
	double t_start;
	double acked_at; /* when an ACK last moved the window (console) */
	double progress_at; /* start, or the last ACK that moved the window */
	double first_sent_at; /* the first packet last left (before any ACK) */
	char file[512];               /* normalised path */
	char req[TFTP_MAX_FILENAME];  /* as requested */
	bool started; /* the client answered at least once */
	bool unreachable; /* ICMP port unreachable since the last ACK */
	bool no_gso;      /* UDP GSO refused on this route: sendmmsg only */
};

struct pxh_tftp {
	struct pxh_server *srv;
	struct tftp_cfg cfg;
	struct tftp_listener ls[TFTP_MAX_LISTEN];
	size_t n_ls;
	struct tftp_xfer *xfers;
	struct tftp_xfer *hash[TFTP_HASH];
	size_t active;
	bool started, stopping;
	ev_timer grace;
	ev_timer finish; /* frees a stopped server once its last transfer ended */
	uint16_t port_cursor;
	uint64_t netascii_bytes; /* converted copies held, <= TFTP_NETASCII_BUDGET */
	int if_index;                /* last interface index named ... */
	char if_name[IF_NAMESIZE];   /* ... its name ... */
	double if_at;                /* ... and when it was looked up */
	uint8_t port_used[65536 / 8];
	struct tftp_cache *cache;
	struct tftp_counters c;
	struct pxh_addr_count per_addr; /* transfers by client address */
	struct pxh_addr_rate rate;      /* request-port packets by address */
	/* scratch for sendmmsg, shared: one loop thread */
	struct mmsghdr msgs[TFTP_BATCH];
	struct iovec iov[TFTP_BATCH][2];
	uint8_t hdr[TFTP_BATCH][TFTP_HDR];
	uint8_t *scratch; /* TFTP_BATCH * TFTP_MAX_BLKSIZE for pread */
};

/* tftp_config.c */
int tftp_cfg_read(const struct pxh_conf *conf, struct tftp_cfg *cfg);

/* tftp_files.c: pxh_file_open with the Windows case mapping. */
int tftp_file_open(struct pxh_tftp *t, const char *req, const pxh_client *c,
                   struct pxh_open_file *f);

/* tftp_session.c */
void tftp_handle_request(struct pxh_tftp *t, struct tftp_listener *l,
                         const uint8_t *p, size_t len,
                         const union pxh_sockaddr *peer,
                         const union pxh_sockaddr *local, int ifindex);

void tftp_xfer_abort(struct tftp_xfer *x, int code, const char *msg,
                     const char *action);
/* tftp_server.c: called when the last transfer ended after stop. */
void tftp_maybe_finish(struct pxh_tftp *t);

/* tftp_cache.c: whole hot files in memory, shared by transfers. */
struct tftp_cache *tftp_cache_new(void);
void tftp_cache_free(struct tftp_cache *c);
void tftp_cache_limits(struct tftp_cache *c, uint64_t bytes, uint64_t file_max);
/* For an open file F: an entry with its content (referenced), or NULL
 * (not cacheable, or reading failed: serve from the fd). */
struct tftp_cache_entry *tftp_cache_get(struct tftp_cache *c,
                                        const struct pxh_open_file *f,
                                        bool *hit);
const uint8_t *tftp_cache_data(const struct tftp_cache_entry *e);
void tftp_cache_put(struct tftp_cache *c, struct tftp_cache_entry *e);
uint64_t tftp_cache_used(const struct tftp_cache *c);

#endif
