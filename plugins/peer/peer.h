/* peer plugin: shared state of one loaded instance. */
#ifndef PXH_PEER_H
#define PXH_PEER_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <pxehub/plugin.h>

#include "peer_elect.h"
#include "peer_manifest.h"
#include "peer_proto.h"

#define PEER_MAX_MEMBERS 64 /* self included */
#define PEER_MAX_UNICAST 16
#define PEER_RECENT 1024    /* clients remembered for takeover events */
#define PEER_MAX_SOURCES 8  /* URLs tried per file fetch */

struct peer_member {
	uint8_t id[PEER_ID_LEN];
	char name[PEER_NAME_MAX + 1];
	struct in_addr addr;
	uint16_t http_port;
	uint16_t flags; /* PEER_F_* */
	uint32_t weight, free_mb, load100, uptime_s, preference;
	uint32_t next_weight; /* in force after MINUTE */
	uint64_t minute;      /* the sender's minute of WEIGHT (Unix ms / 60000) */
	uint64_t serial;
	uint32_t held, total;
	double first_heard, last_heard; /* pxh_now() */
	bool alive;
};

/* What this peer knows of one manifest entry. */
struct peer_file {
	bool held;     /* verified copy in the cache */
	bool bad_seed; /* seed_dir has this path with other content */
	bool busy;     /* a fetch is running */
	bool warned;   /* the refusal was logged at warning once */
	unsigned tries;
	double next_try;
	double last_use;
};

/* A client recently elected, and by whom (takeover events). */
struct peer_recent {
	uint8_t mac[6];
	uint8_t id[PEER_ID_LEN];
	double when;
};

/* Every counter, for the status JSON and /metrics alike. */
#define PEER_COUNTERS(X)                                                       \
	X(elected) X(deferred) X(not_ready) X(takeovers) X(joined) X(lost)     \
	X(tx) X(tx_errors) X(rx_ok) X(rx_malformed) X(rx_auth) X(rx_replay)    \
	X(rx_stale) X(rx_full) X(rx_other_if) X(fetch_ok) X(fetch_failed)      \
	X(verify_failed) X(manifest_ok) X(manifest_rejected) X(served)         \
	X(refused) X(evicted) X(too_big)

struct peer_counters {
	uint64_t tx, tx_errors, rx_ok, rx_malformed, rx_auth, rx_replay,
		rx_stale, rx_full, rx_other_if;
	uint64_t elected, deferred, not_ready, takeovers, joined, lost;
	uint64_t fetch_ok, fetch_failed, verify_failed, manifest_ok,
		manifest_rejected, served, refused, evicted, too_big;
};

/* [peer], filled by the core from the key table (peer.c) */
struct peer_conf {
	const char *key, *key_file, *interface, *address;
	uint16_t port;
	const char *group;
	pxh_conf_list peers;
	double heartbeat_s, dead_after_s, join_wait_s, max_skew_s;
	uint32_t preference;
	const char *name;
	uint16_t http_port;
	const char *public_key, *manifest;
	double manifest_interval_s;
	const char *upstream, *seed_dir;
	uint64_t cache_max_mb;
	unsigned max_fetches;
	long fetch_timeout_ms;
};

struct peer {
	pxh_host *h;
	const struct peer_conf *cf;
	/* [peer] keys */
	uint8_t key[PEER_KEY_MAX];
	size_t keylen;
	char ifname[IF_NAMESIZE];
	unsigned ifindex;
	struct in_addr addr, bcast, group;
	bool fixed_addr, use_bcast;
	uint16_t port, http_port;
	struct sockaddr_in unicast[PEER_MAX_UNICAST];
	size_t n_unicast;
	double hb, dead_after, join_wait, skew;
	uint32_t preference;
	char name[PEER_NAME_MAX + 1];
	char manifest_src[512], upstream[256], seed_dir[512];
	char state_dir[512], cache_dir[600];
	uint64_t cache_max;
	unsigned max_fetches;
	long fetch_timeout_ms;
	double manifest_interval;

	/* membership */
	int fd;
	pxh_io *io;
	pxh_timer *hb_timer, *sync_timer;
	uint64_t seq;
	double started;
	struct peer_member self;
	struct peer_member m[PEER_MAX_MEMBERS];
	size_t n;
	struct peer_replay replay;
	struct peer_recent recent[PEER_RECENT];
	int load_step; /* 0..3, see weigh() */

	/* content */
	void *pub;
	struct peer_manifest mf;
	uint8_t *mf_raw, *mf_sig;
	size_t mf_len, mf_sig_len;
	struct peer_file *files; /* mf.n of them */
	bool scanning, rescan, mf_busy;
	double mf_next;
	uint64_t cache_bytes;
	unsigned fetching;
	char last_error[256];

	struct peer_counters c;
};

/* peer.c */
void peer_event(struct peer *p, int severity, const char *action,
                const pxh_client *c, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* peer_net.c: socket, heartbeats, membership, election */
int peer_net_start(struct peer *p, char *why, size_t why_len);
void peer_net_stop(struct peer *p);
/* The member answering MAC (self included), or NULL when none may. */
const struct peer_member *peer_elect(struct peer *p, const uint8_t mac[6],
                                     size_t *rank_of_self, size_t *n_cand);
size_t peer_alive_count(const struct peer *p);

/* peer_content.c: manifest, cache, fetches, resolver */
int peer_content_start(struct peer *p, char *why, size_t why_len);
void peer_content_stop(struct peer *p);
void peer_content_tick(struct peer *p);
/* A heartbeat told of manifest SERIAL at ADDR:PORT. */
void peer_content_heard(struct peer *p, const struct peer_member *m);
uint32_t peer_content_held(const struct peer *p);
int peer_resolve(void *ud, const pxh_client *c, const char *path,
                 pxh_file *out);

/* peer_status.c: /plugins/peer/ and the report hook */
int peer_http(void *ud, const pxh_http_request *rq, pxh_http_response *rs);
void peer_report(void *ud, pxh_report *r);
void peer_hex(const uint8_t *b, size_t n, char *out);

#endif
