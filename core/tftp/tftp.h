/* TFTP module internals: request parsing, option negotiation, the window
 * state machine, and the transfer/server structures. */
#ifndef PXH_TFTP_H
#define PXH_TFTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tftp_proto.h"

/* ---- requests (tftp_request.c): pure, no I/O ------------------------------ */
#define TFTP_MAX_FILENAME 1024 /* longer names are refused */

enum tftp_mode { TFTP_MODE_OCTET = 1, TFTP_MODE_NETASCII = 2, TFTP_MODE_MAIL = 3 };

/* Option bits for tftp_request.seen / .bad */
#define TFTP_OPT_BLKSIZE 0x01
#define TFTP_OPT_TIMEOUT 0x02
#define TFTP_OPT_TSIZE 0x04
#define TFTP_OPT_WINDOWSIZE 0x08
#define TFTP_OPT_MSFTWINDOW 0x10

struct tftp_request {
	int opcode;     /* TFTP_RRQ or TFTP_WRQ */
	enum tftp_mode mode;
	char file[TFTP_MAX_FILENAME];
	size_t file_len;
	unsigned seen;      /* options present with a valid number */
	unsigned bad;       /* options present with an unusable value */
	unsigned n_unknown; /* ignored, as RFC 2347 says */
	uint32_t blksize, timeout, windowsize, msftwindow;
	uint64_t tsize;
};

/* Parse a RRQ or WRQ datagram.  Returns 0; -EINVAL when it is not a
 * well-formed request; -EPROTONOSUPPORT for an unknown mode; -ENAMETOOLONG
 * for a file name of TFTP_MAX_FILENAME or more.  Options are lenient: an
 * incomplete trailing pair, duplicates and unknown names are ignored. */
int tftp_parse_request(const uint8_t *p, size_t len, struct tftp_request *rq);

/* Server limits for one transfer. */
struct tftp_limits {
	uint32_t max_blksize;      /* config and path MTU already applied */
	uint32_t max_windowsize;
	uint32_t max_window_bytes; /* windowsize * blksize at most this */
	uint32_t max_msftwindow;   /* largest msftwindow hint; 0 = off */
};

/* What a transfer runs with; oack says whether an OACK goes first. */
struct tftp_params {
	uint32_t blksize, windowsize, timeout_s; /* timeout_s 0: server's */
	uint32_t max_window; /* largest window granted (hints included) */
	uint64_t tsize;
	unsigned acked; /* TFTP_OPT_* bits echoed in the OACK */
	bool oack;
	bool msft; /* variable window: ACKs carry the next window's size */
};

/* Negotiate RQ's options against LIM for a file of SIZE bytes. */
void tftp_negotiate(const struct tftp_request *rq, const struct tftp_limits *lim,
                    uint64_t size, struct tftp_params *out);

/* Packet builders; return the length written, 0 when CAP is too small. */
size_t tftp_build_oack(const struct tftp_params *p, uint8_t *buf, size_t cap);
size_t tftp_build_error(uint8_t *buf, size_t cap, int code, const char *msg);
/* Map a negative errno from pxh_file_open to a TFTP error code and text. */
int tftp_errno_code(int err, const char **msg);

/* ---- the send window (tftp_window.c): pure ------------------------------- */
/* Block numbers are absolute (64 bit); block 0 is the OACK when one is
 * sent, data blocks are 1..last.  The wire carries them modulo 65536. */
struct tftp_window {
	uint64_t base; /* first block not yet acknowledged */
	uint64_t next; /* next block to send */
	uint64_t last; /* final block */
	uint64_t restarted_for; /* ack that already caused a restart, or ~0 */
	uint32_t windowsize;
	/* Microsoft variable window: the client sends one ACK per window and
	 * repeats it only on its own timeout, so every earlier ACK the caller
	 * calls fresh restarts, also at window size 1 (set after init) */
	bool msft;
};

enum tftp_ack_action {
	TFTP_ACK_IGNORE = 0, /* stale or duplicate: do nothing */
	TFTP_ACK_SEND = 1,   /* send the window starting at base */
	TFTP_ACK_DONE = 2,   /* final block acknowledged */
};

void tftp_window_init(struct tftp_window *w, bool oack, uint64_t last,
                      uint32_t windowsize);
/* Absolute block for WIRE: the largest value <= REF congruent to it
 * modulo 65536 (may be negative near the start). */
int64_t tftp_block_abs(uint64_t ref, uint16_t wire);
/* An ACK for WIRE arrived.  RESTART false: an earlier ACK only moves base
 * (the caller knows it predates the last restart's data). */
enum tftp_ack_action tftp_window_ack(struct tftp_window *w, uint16_t wire,
                                     bool restart);
/* The window [base, end) to send now; sets next = end. */
uint64_t tftp_window_end(const struct tftp_window *w);
/* Microsoft variable window: the window size an ACK of LEN bytes asks for
 * (its fifth byte), clamped to 1..MAX; CUR when the ACK carries none or
 * asks for 0. */
uint32_t tftp_window_hint(const uint8_t *ack, size_t len, uint32_t cur,
                          uint32_t max);

/* ---- netascii (tftp_netascii.c) ----------------------------------------- */
/* Size of IN after conversion (LF -> CR LF, CR -> CR NUL, RFC 764). */
uint64_t tftp_netascii_size(const uint8_t *in, size_t len);
/* Convert IN into OUT (tftp_netascii_size bytes). */
void tftp_netascii_convert(const uint8_t *in, size_t len, uint8_t *out);

#endif
