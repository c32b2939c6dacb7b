/* peer plugin wire format: one UDP datagram per heartbeat (pxehub's own
 * protocol, no RFC; docs/plugins/peer.md draws it), HMAC-SHA256 trailer. */
#ifndef PXH_PEER_PROTO_H
#define PXH_PEER_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* Every datagram: fixed header, NAME (name_len bytes), then 32 bytes of
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) over everything before it.  All
 * integers big-endian. */
#define PEER_MAGIC "PXHP"     /* 4 bytes, offset 0 */
#define PEER_VERSION 1        /* offset 4; other versions are dropped */
#define PEER_T_HELLO 1        /* offset 5: heartbeat, sent every interval */
#define PEER_T_BYE 2          /* offset 5: leaving now (clean stop) */
#define PEER_F_JOINING 0x0001 /* offset 6, flags: still listening, not electable */
#define PEER_F_READY 0x0002   /* holds every file of its manifest */
#define PEER_ID_LEN 16        /* offset 8: node id (random once, kept in state dir) */
/* offset 24 seq (8), 32 time_ms (8, Unix time), 40 IPv4 address (4), 44
 * HTTP port (2), 46 reserved (2, zero), 48 weight (4, in force during the
 * sender's current minute of Unix time), 52 free MiB (4), 56 load x100 (4),
 * 60 uptime s (4), 64 preference (4), 68 manifest serial (8), 76 files held
 * (4), 80 files in manifest (4), 84 next weight (4, in force from the next
 * minute on), 88 name_len (1) */
#define PEER_HDR_LEN 89
#define PEER_NAME_MAX 63
#define PEER_HMAC_LEN 32 /* HMAC-SHA256 output, RFC 4868 2.1 */
#define PEER_MSG_MIN (PEER_HDR_LEN + PEER_HMAC_LEN)
#define PEER_MSG_MAX (PEER_HDR_LEN + PEER_NAME_MAX + PEER_HMAC_LEN)
#define PEER_KEY_MIN 16 /* shared key bytes at least (RFC 2104 3: >= L/2) */
#define PEER_KEY_MAX 256

struct peer_msg {
	uint8_t type;
	uint16_t flags;
	uint8_t id[PEER_ID_LEN];
	uint64_t seq;
	uint64_t time_ms;
	uint32_t addr; /* network byte order, as in struct in_addr */
	uint16_t http_port;
	uint32_t weight;
	uint32_t next_weight;
	uint32_t free_mb;
	uint32_t load100;
	uint32_t uptime_s;
	uint32_t preference;
	uint64_t serial;
	uint32_t held;
	uint32_t total;
	char name[PEER_NAME_MAX + 1];
};

/* Encode M into OUT (at least PEER_MSG_MAX bytes), signed with KEY.
 * Returns the length or -EINVAL (name too long or not printable). */
int peer_msg_encode(const struct peer_msg *m, const void *key, size_t keylen,
                    uint8_t *out, size_t outlen);

/* Parse and authenticate a datagram.  Returns 0, -EBADMSG (malformed:
 * length, magic, version, type, name) or -EPERM (HMAC does not match). */
int peer_msg_decode(const uint8_t *p, size_t len, const void *key,
                    size_t keylen, struct peer_msg *m);

#endif
