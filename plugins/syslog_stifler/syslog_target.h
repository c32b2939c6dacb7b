/* One syslog collector: its queue and its UDP, TCP or TLS connection. */
#ifndef SYSLOG_TARGET_H
#define SYSLOG_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <pxehub/plugin.h>

#include "syslog_queue.h"

enum sl_transport { SL_UDP, SL_TCP, SL_TLS };

enum sl_state {
	SL_DOWN,       /* waiting for the retry timer */
	SL_RESOLVING,  /* name lookup on the work pool */
	SL_CONNECTING, /* TCP connect in progress */
	SL_HANDSHAKE,  /* TLS handshake in progress */
	SL_UP,
};

struct sl_target_conf {
	char name[64];   /* the SUB of [syslog_stifler.SUB] */
	char metric[64]; /* NAME as a metric name part: [a-z0-9_] */
	enum sl_transport transport;
	char host[256];
	char port[8];
	char tls_name[256]; /* certificate name to expect; default host */
	char ca[512], cert[512], key[512];
	uint32_t kinds;   /* PXH_EV_MASK() of the kinds sent */
	int min_severity; /* send events with severity <= this (0..7) */
	int facility;
	size_t queue_size;
	bool drop_oldest;
	size_t max_message;   /* bytes of one message before framing */
	int sndbuf;           /* SO_SNDBUF; 0 = the kernel's */
	double backoff_min;   /* seconds */
	double backoff_max;
	double connect_timeout;
};

/* A connection up this long before it fails resets the backoff. */
#define SL_STABLE_SECS 2.0

struct sl_tls_creds;
struct sl_tls;
struct sl_resolve;

struct sl_target {
	pxh_host *h;
	struct sl_target_conf cf;
	struct sl_tls_creds *creds;
	struct sl_tls *tls;
	struct sl_queue q;
	size_t off; /* bytes of the head message already written (streams) */
	/* TLS: GnuTLS holds a record of the head message after E_AGAIN and
	 * sends it on the next call: the head must stay, as with off > 0 */
	bool tls_pending;
	/* UDP at start and after a failure: an empty datagram goes first,
	 * and the queue only when no ICMP unreachable came back for it
	 * (connect() on UDP always works, so it proves nothing) */
	bool udp_probe, udp_failed;
	pxh_timer *probe;
	int fd;
	pxh_io *io;
	int io_events;
	pxh_timer *retry, *deadline;
	enum sl_state state;
	double backoff;
	bool ever_up, failing, flapping, warned, stopping;
	double up_since; /* pxh_now() when it last came up */
	struct sockaddr_storage addr;
	socklen_t alen;
	bool numeric; /* host is an address: no lookups */
	struct sl_resolve *job;
	uint64_t sent, dropped, reconnects, failures, truncated;
	char err[512];
};

/* Load credentials and start connecting.  Returns 0 or -errno (ERR says
 * why, e.g. an unreadable CA file). */
int sl_target_start(struct sl_target *t, pxh_host *h);
/* Queue one rendered message (framed here) and send what the socket takes. */
void sl_target_send(struct sl_target *t, const char *msg, size_t len);
/* Last non-blocking try to send what is queued, then close and free. */
void sl_target_stop(struct sl_target *t);
/* "up", "down", "connecting", ... */
const char *sl_target_state_name(const struct sl_target *t);

#endif /* SYSLOG_TARGET_H */
