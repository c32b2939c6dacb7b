/* peer plugin: who answers a client (weighted rendezvous hashing) and which
 * heartbeats are fresh (timestamp window + per-node sequence). */
#ifndef PXH_PEER_ELECT_H
#define PXH_PEER_ELECT_H

#include <stddef.h>
#include <stdint.h>

#include "peer_proto.h"

/* ---- election ------------------------------------------------------------ */
struct peer_cand {
	const uint8_t *id; /* PEER_ID_LEN bytes */
	uint32_t weight;   /* > 0 */
};

/* Score of node ID for client MAC: weight / -ln(u), u uniform in (0, 1)
 * from SHA-256(id || mac).  The highest score answers the client. */
double peer_score(const uint8_t *id, const uint8_t mac[6], uint32_t weight);

/* Sort the N candidates for MAC best first into ORDER (indexes into C).
 * Equal scores fall back to the smaller id, so every peer agrees. */
void peer_rank(const struct peer_cand *c, size_t n, const uint8_t mac[6],
               size_t *order);

/* "00:11:22:aa:bb:cc" (or '-' separated) -> 6 bytes; 0 or -EINVAL. */
int peer_mac_parse(const char *s, uint8_t mac[6]);

/* ---- replay window --------------------------------------------------------- */
#define PEER_REPLAY_SLOTS 256

enum peer_replay_result {
	PEER_RP_OK = 0,
	PEER_RP_STALE = 1,  /* timestamp outside the window */
	PEER_RP_REPLAY = 2, /* sequence not above the last one seen */
	PEER_RP_FULL = 3,   /* too many nodes at once; dropped */
};

struct peer_replay_slot {
	uint8_t id[PEER_ID_LEN];
	uint64_t seq;
	double heard; /* monotonic seconds; 0 = free */
};

struct peer_replay {
	double window; /* seconds, the accepted clock difference */
	struct peer_replay_slot s[PEER_REPLAY_SLOTS];
};

void peer_replay_init(struct peer_replay *r, double window);
/* Check (and on success record) a heartbeat that passed its HMAC check.
 * MSG_MS and NOW_MS are Unix milliseconds (sender's and ours); MONO is our
 * monotonic time.  A node's slot outlives its last heartbeat by twice the
 * window, so a captured datagram is stale before its slot is reused. */
enum peer_replay_result peer_replay_check(struct peer_replay *r,
                                          const uint8_t *id, uint64_t seq,
                                          uint64_t msg_ms, uint64_t now_ms,
                                          double mono);

#endif
