/* One TFTP read transfer: its own socket (the server's TID), option
 * negotiation, windows sent with UDP GSO where the route allows it (one
 * sendmsg per batch, cut into datagrams by the kernel) or sendmmsg, ACK
 * handling and retransmission. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tftp_server.h"
#include "access.h"
#include "addr_limit.h"
#include "clients.h"
#include "events.h"
#include "files.h"
#include "http/grub_stage.h"
#include "log.h"
#include "server.h"

#define RTO_BACKOFF_MAX 8.0 /* the timeout grows to at most 8x its start */
/* Timer retransmissions before the client's first ACK: one for an OACK
 * (as small as the request), none for a DATA block (up to 512 bytes
 * against a ~20-byte request).  A forged request so draws at most two
 * OACKs or one block; a real client that lost it repeats its request
 * (RFC 1350 4), and each repeat is answered once.  Ratios measured in
 * docs/hardening.md. */
#define RETRIES_BEFORE_ACK(x) ((x)->prm.oack ? 1u : 0u)
/* A repeated request is answered again only this long (s) after the last
 * answer: a copy the network doubled, or one that crossed our answer and
 * the client's ACK, is not a loss. */
#define DUP_RRQ_GAP 0.25

static void xfer_io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void xfer_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

static uint16_t addr_port(const union pxh_sockaddr *a)
{
	return a->sa.sa_family == AF_INET6 ? a->in6.sin6_port : a->in.sin_port;
}

static unsigned peer_hash(const union pxh_sockaddr *a)
{
	pxh_addr_key k = pxh_addr_key_of(&a->sa);
	uint64_t h = k.lo ^ (k.hi * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)addr_port(a) << 16);

	h ^= h >> 31;
	h *= 0x2c1b3c6d2c1b3c6dull;
	h ^= h >> 29;
	return (unsigned)h & (TFTP_HASH - 1);
}

/* Same family, address, port (and interface for a link-local one). */
static bool same_peer(const union pxh_sockaddr *a, const union pxh_sockaddr *b)
{
	pxh_addr_key ka, kb;

	if (a->sa.sa_family != b->sa.sa_family || addr_port(a) != addr_port(b))
		return false;
	ka = pxh_addr_key_of(&a->sa);
	kb = pxh_addr_key_of(&b->sa);
	return ka.hi == kb.hi && ka.lo == kb.lo;
}

static struct tftp_xfer *xfer_find(struct pxh_tftp *t,
                                   const union pxh_sockaddr *peer)
{
	for (struct tftp_xfer *x = t->hash[peer_hash(peer)]; x; x = x->hnext)
		if (same_peer(&x->peer, peer))
			return x;
	return NULL;
}

/* ---- events and counters --------------------------------------------------- */
static void emit(struct tftp_xfer *x, enum pxh_event_kind kind, int sev,
                 const char *action, const char *msg)
{
	struct pxh_server *s = x->t->srv;
	pxh_event ev;

	pxh_event_init(&ev, kind, sev, &x->client);
	snprintf(ev.action, sizeof(ev.action), "%s", action);
	snprintf(ev.file, sizeof(ev.file), "%.255s", x->file);
	ev.blksize = x->prm.blksize;
	ev.windowsize = x->prm.msft && kind == PXH_EV_TFTP_END ? x->win_peak
	                                                     : x->prm.windowsize;
	ev.retransmits = (uint32_t)(x->retransmits > UINT32_MAX ? UINT32_MAX
	                                                        : x->retransmits);
	if (kind == PXH_EV_TFTP_END) {
		uint64_t acked = x->w.base > 1 ? (x->w.base - 1) * x->prm.blksize : 0;
		ev.bytes = acked > x->size ? x->size : acked;
		ev.duration_us = (uint64_t)((pxh_server_now(s) - x->t_start) * 1e6);
	} else {
		ev.bytes = x->size;
	}
	if (msg)
		snprintf(ev.message, sizeof(ev.message), "%s", msg);
	pxh_emit(s, &ev);
}

static inline void count(uint64_t *c, uint64_t n)
{
	if (c)
		*c += n;
}

/* ---- teardown ---------------------------------------------------------------- */
/* Socket, data port, file and memory of X (not yet linked in, or being
 * unlinked). */
static void xfer_release(struct tftp_xfer *x)
{
	struct pxh_tftp *t = x->t;

	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	if (x->port)
		t->port_used[x->port / 8] &= (uint8_t) ~(1u << (x->port % 8));
	x->port = 0;
	if (x->ce)
		tftp_cache_put(t->cache, x->ce);
	x->ce = NULL;
	if (x->have_file)
		pxh_file_close(&x->f);
	x->have_file = false;
	free(x->owned);
	x->owned = NULL;
	t->netascii_bytes -= x->owned_len;
	x->owned_len = 0;
}

static void xfer_free(struct tftp_xfer *x)
{
	struct pxh_tftp *t = x->t;
	struct tftp_xfer **pp;

	ev_io_stop(t->srv->loop, &x->io);
	ev_timer_stop(t->srv->loop, &x->timer);
	xfer_release(x);
	for (pp = &t->hash[peer_hash(&x->peer)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == x) {
			*pp = x->hnext;
			break;
		}
	}
	if (x->prev)
		x->prev->next = x->next;
	else
		t->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	t->active--;
	pxh_addr_count_del(&t->per_addr, pxh_addr_key_of(&x->peer.sa));
	free(x);
	tftp_maybe_finish(t);
}

static void send_error_fd(int fd, int code, const char *msg)
{
	uint8_t buf[256];
	size_t n = tftp_build_error(buf, sizeof(buf), code, msg);

	if (n && send(fd, buf, n, MSG_DONTWAIT) < 0)
		pxh_debug("tftp: error packet not sent: %s", strerror(errno));
}

/* End X.  CODE >= 0 sends that error to the client first. */
void tftp_xfer_abort(struct tftp_xfer *x, int code, const char *msg,
                     const char *action)
{
	struct tftp_counters *c = &x->t->c;
	char text[200];

	if (code >= 0 && x->fd >= 0)
		send_error_fd(x->fd, code, msg);
	if (strcmp(action, "timeout") == 0)
		count(c->timeout, 1);
	else if (strcmp(action, "probe") == 0)
		count(c->probe, 1);
	else if (strcmp(action, "aborted") == 0)
		count(c->aborted, 1);
	else
		count(c->failed, 1);
	snprintf(text, sizeof(text), "%s", msg ? msg : action);
	pxh_logf(strcmp(action, "probe") == 0 ? PXH_LOG_DEBUG : PXH_LOG_INFO,
	         &x->client, "tftp: %s %s: %s after %llu blocks, %llu retransmits",
	         action, x->file, text,
	         (unsigned long long)(x->w.base ? x->w.base - 1 : 0),
	         (unsigned long long)x->retransmits);
	emit(x, PXH_EV_TFTP_END, PXH_LOG_NOTICE, action, text);
	xfer_free(x);
}

static void xfer_done(struct tftp_xfer *x)
{
	struct tftp_counters *c = &x->t->c;
	double secs = pxh_server_now(x->t->srv) - x->t_start;

	count(c->ok, 1);
	count(c->bytes, x->size);
	pxh_logf(PXH_LOG_INFO, &x->client,
	         "tftp: sent %s bytes=%llu secs=%.3f blksize=%u windowsize=%u%s retransmits=%llu",
	         x->file, (unsigned long long)x->size, secs, x->prm.blksize,
	         x->prm.msft ? x->win_peak : x->prm.windowsize,
	         x->prm.msft ? " (msftwindow peak)" : "",
	         (unsigned long long)x->retransmits);
	emit(x, PXH_EV_TFTP_END, PXH_LOG_INFO, "end", NULL);
	xfer_free(x);
}

/* ---- sending --------------------------------------------------------------- */
/* The retransmission timeout, or the end of stall_timeout if that comes
 * first (a client's "timeout 255" cannot stretch the slot's hold). */
static void arm_timer(struct tftp_xfer *x)
{
	double left = x->progress_at + x->t->cfg.stall_s - ev_now(x->t->srv->loop);
	double at = x->rto < left ? x->rto : left;

	ev_timer_stop(x->t->srv->loop, &x->timer);
	ev_timer_set(&x->timer, at > 0.01 ? at : 0.01, 0.);
	ev_timer_start(x->t->srv->loop, &x->timer);
}

#define UDP_MAX_PAYLOAD 65507 /* one UDP datagram over IPv4 (RFC 768/791) */
#define GSO_MAX_SEGS 64        /* UDP_MAX_SEGMENTS of older kernels */
_Static_assert(GSO_MAX_SEGS <= TFTP_BATCH, "a GSO send fits the prepared blocks");

/* The first N prepared blocks in one sendmsg with UDP_SEGMENT: the kernel
 * (or the NIC) cuts it into datagrams of TFTP_HDR + BS bytes, the last one
 * shorter, the same datagrams sendmmsg would send for a fraction of the
 * stack traversals.  Returns N, or -1 with errno. */
static int send_gso(struct tftp_xfer *x, unsigned n, uint32_t bs)
{
	struct pxh_tftp *t = x->t;
	union {
		uint8_t b[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr mh;
	struct cmsghdr *cm;
	uint16_t seg = (uint16_t)(TFTP_HDR + bs);

	memset(&cbuf, 0, sizeof(cbuf));
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &t->iov[0][0]; /* hdr, data, hdr, data ... */
	mh.msg_iovlen = 2 * (size_t)n;
	mh.msg_control = cbuf.b;
	mh.msg_controllen = sizeof(cbuf.b);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
	return sendmsg(x->fd, &mh, 0) < 0 ? -1 : (int)n;
}

/* Send what is left of [send_from, send_to).  Returns 0, or -1 when the
 * transfer was ended. */
static int xfer_flush(struct tftp_xfer *x)
{
	struct pxh_tftp *t = x->t;
	uint32_t bs = x->prm.blksize;

	/* blocks per GSO send: a datagram's worth, at most GSO_MAX_SEGS */
	unsigned gso_n = UDP_MAX_PAYLOAD / (TFTP_HDR + bs);

	if (gso_n > GSO_MAX_SEGS)
		gso_n = GSO_MAX_SEGS;
	while (x->send_from < x->send_to) {
		uint64_t first = x->send_from;
		unsigned n = (unsigned)(x->send_to - first < TFTP_BATCH
		                                ? x->send_to - first : TFTP_BATCH);
		bool gso = t->cfg.gso && !x->no_gso && gso_n >= 2 && n >= 2;
		uint64_t off0 = (first - 1) * bs;
		uint64_t span = 0;
		const uint8_t *src;
		int rc;

		if (gso && n > gso_n)
			n = gso_n;

		if (off0 < x->size) {
			span = (uint64_t)n * bs;
			if (span > x->size - off0)
				span = x->size - off0;
		}
		if (x->mem) {
			src = x->mem + off0;
		} else {
			ssize_t got = 0;
			while (span && (uint64_t)got < span) {
				ssize_t r = pread(x->src_fd, t->scratch + got,
				                  span - (uint64_t)got,
				                  (off_t)(off0 + (uint64_t)got));
				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0) {
					tftp_xfer_abort(x, TFTP_EUNDEF,
					                "File changed or unreadable",
					                "error");
					return -1;
				}
				got += r;
			}
			src = t->scratch;
		}
		for (unsigned i = 0; i < n; i++) {
			uint64_t b = first + i, off = (b - 1) * bs, len = 0;

			if (off < x->size)
				len = x->size - off < bs ? x->size - off : bs;
			t->hdr[i][0] = 0;
			t->hdr[i][1] = TFTP_DATA;
			t->hdr[i][2] = (uint8_t)(b >> 8);
			t->hdr[i][3] = (uint8_t)b;
			t->iov[i][0].iov_base = t->hdr[i];
			t->iov[i][0].iov_len = TFTP_HDR;
			t->iov[i][1].iov_base = (void *)(src + (off - off0));
			t->iov[i][1].iov_len = len;
			if (gso)
				continue; /* one msghdr over all of iov */
			memset(&t->msgs[i], 0, sizeof(t->msgs[i]));
			t->msgs[i].msg_hdr.msg_iov = t->iov[i];
			t->msgs[i].msg_hdr.msg_iovlen = len ? 2 : 1;
		}
		if (gso) {
			rc = send_gso(x, n, bs);
			if (rc < 0 && (errno == EIO || errno == EINVAL ||
			               errno == EMSGSIZE || errno == ENOPROTOOPT ||
			               errno == EOPNOTSUPP)) {
				/* no checksum offload on the route, a block
				 * above the MTU, an old kernel: sendmmsg from
				 * now on (same datagrams) */
				pxh_debug("tftp: %s: UDP GSO unavailable (%s), sendmmsg",
				          x->file, strerror(errno));
				x->no_gso = true;
				count(t->c.gso_fallbacks, 1);
				continue;
			}
			if (rc > 0)
				count(t->c.sends_gso, 1);
		} else {
			rc = sendmmsg(x->fd, t->msgs, n, 0);
			if (rc > 0)
				count(t->c.sends_mmsg, 1);
		}
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS) {
				ev_io_stop(t->srv->loop, &x->io);
				ev_io_set(&x->io, x->fd, EV_READ | EV_WRITE);
				ev_io_start(t->srv->loop, &x->io);
				return 0;
			}
			if (errno == ECONNREFUSED) {
				/* soft: the final ACK may still be on its way */
				x->unreachable = true;
				x->send_from = x->send_to;
				return 0;
			}
			tftp_xfer_abort(x, -1, strerror(errno), "error");
			return -1;
		}
		for (int i = 0; i < rc; i++) {
			if (first + (uint64_t)i < x->high_sent)
				x->retransmits++;
		}
		if (first + (uint64_t)rc > x->high_sent)
			x->high_sent = first + (uint64_t)rc;
		x->packets += (uint64_t)rc;
		count(t->c.data_packets, (uint64_t)rc);
		x->send_from += (uint64_t)rc;
	}
	if (x->io.events & EV_WRITE) {
		ev_io_stop(t->srv->loop, &x->io);
		ev_io_set(&x->io, x->fd, EV_READ);
		ev_io_start(t->srv->loop, &x->io);
	}
	return 0;
}

/* Send the window starting at w.base (or the OACK). */
/* -1 when the transfer ended (a failed read or send aborts it): X is
 * freed, the caller must not touch it. */
static int xfer_send_window(struct tftp_xfer *x)
{
	uint64_t end = tftp_window_end(&x->w);

	x->w.next = end;
	x->windows++;
	if (!x->started)
		x->first_sent_at = pxh_server_now(x->t->srv);
	arm_timer(x);
	if (x->w.base == 0) {
		if (x->high_sent > 0)
			x->retransmits++;
		x->high_sent = 1;
		if (send(x->fd, x->oack, x->oack_len, MSG_DONTWAIT) < 0 &&
		    errno == ECONNREFUSED)
			x->unreachable = true;
		return 0;
	}
	x->send_from = x->w.base;
	x->send_to = end;
	return xfer_flush(x) < 0 ? -1 : 0;
}

/* ---- receiving -------------------------------------------------------------- */
static void xfer_packet(struct tftp_xfer *x, const uint8_t *p, size_t n)
{
	int op;

	if (n < 4)
		return;
	op = (p[0] << 8) | p[1];
	if (op == TFTP_ACK) {
		uint16_t blk = (uint16_t)((p[2] << 8) | p[3]);
		double now = ev_now(x->t->srv->loop);
		uint64_t high = x->w.next - 1;
		/* An earlier ACK sent less than a round trip after our last
		 * restart cannot have seen the restarted data: it reports the
		 * same gap again (reordering), so it moves base but does not
		 * restart once more. */
		bool fresh = x->srtt <= 0 || now - x->restart_at >= x->srtt;
		enum tftp_ack_action a;

		/* A Microsoft client's ACK at or past the block we restarted
		 * from has seen the restarted data, however soon it comes
		 * (the window round trip overstates the path's). */
		if (x->prm.msft && x->restart_from &&
		    tftp_block_abs(high, blk) >= (int64_t)x->restart_from)
			fresh = true;
		uint64_t base0 = x->w.base;

		a = tftp_window_ack(&x->w, blk, fresh);
		if (x->w.base != base0)
			x->acked_at = x->progress_at = now;
		x->acks++;
		if (!x->started && x->rto_opt > 0)
			x->rto_base = x->rto_opt; /* RFC 2349, now that it answers */
		x->started = true;
		x->unreachable = false;
		if (a == TFTP_ACK_DONE) {
			xfer_done(x);
		} else if (a == TFTP_ACK_SEND) {
			bool full = x->w.base == high + 1;

			/* Microsoft variable window: this ACK's hint sizes the
			 * window it calls for (stale ACKs changed nothing) */
			if (x->prm.msft) {
				x->w.windowsize = tftp_window_hint(
					p, n, x->w.windowsize, x->prm.max_window);
				if (x->w.windowsize > x->win_peak)
					x->win_peak = x->w.windowsize;
			}

			if (full && x->sent_at > 0) {
				double rtt = now - x->sent_at;
				x->srtt = x->srtt > 0 ? 0.875 * x->srtt + 0.125 * rtt : rtt;
			}
			if (!full) {
				x->restart_at = now;
				x->restart_from = x->w.base;
			}
			x->tries = 0;
			x->rto = x->rto_base;
			if (xfer_send_window(x) < 0)
				return; /* aborted: X is gone */
			x->sent_at = full ? now : 0;
		}
		return;
	}
	if (op == TFTP_ERROR) {
		char msg[128];
		int code = (p[2] << 8) | p[3];
		size_t ml = strnlen((const char *)p + 4, n - 4);
		bool probe = x->w.base == 0;

		if (ml >= 80)
			ml = 80;
		snprintf(msg, sizeof(msg), "client error %d (%.*s)%s", code, (int)ml,
		         (const char *)p + 4, probe ? " after OACK" : "");
		for (char *q = msg; *q; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				*q = '?';
		/* EDK2 asks for tsize alone and ends with error 8: a size probe,
		 * not a failure. */
		tftp_xfer_abort(x, -1, msg,
		                probe && code == TFTP_EOPTNEG ? "probe" : "aborted");
		return;
	}
	/* RRQ/WRQ/DATA/OACK on a read transfer: illegal (RFC 1350) */
	tftp_xfer_abort(x, TFTP_EBADOP, "Illegal TFTP operation", "error");
}

static void xfer_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tftp_xfer *x = w->data;
	uint8_t buf[600];
	ssize_t n;

	(void)loop;
	if (revents & EV_WRITE) {
		if (xfer_flush(x) < 0)
			return;
	}
	if (!(revents & EV_READ))
		return;
	for (int i = 0; i < 64; i++) {
		n = recv(x->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNREFUSED) {
				/* ICMP port unreachable: the client is probably
				 * gone; a soft error (its last ACK may be late),
				 * decided at the next timeout */
				x->unreachable = true;
				continue;
			}
			return;
		}
		/* X may be freed by the packet: stop when it is */
		{
			struct pxh_tftp *t = x->t;
			size_t before = t->active;
			uint64_t sends = x->windows;

			xfer_packet(x, buf, (size_t)n);
			if (t->active != before)
				return; /* ended */
			/* A window just left: the client's answer to it is a
			 * round trip away, so another recv now would only
			 * find the queue empty (one syscall per ACK saved);
			 * anything already queued keeps the socket readable
			 * and the loop calls back. */
			if (x->windows != sends)
				return;
		}
	}
}

static void xfer_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tftp_xfer *x = w->data;
	/* Before the client's first ACK the transfer waits as long as after
	 * it but resends at most RETRIES_BEFORE_ACK times: a lost ACK of
	 * DATA 1 is repeated by a lock-step client after its own timeout
	 * (tftp-hpa: 5 s) and must find the transfer still there, while a
	 * forged request draws no more packets (its slot is the first to be
	 * evicted when the server is full). */
	bool resend = x->started || x->tries < RETRIES_BEFORE_ACK(x);
	/* How a transfer that gives up ends: before the client's first ACK
	 * with no ERROR (-1), after it with ERROR 0 (not defined).  A real
	 * client whose first packet was lost repeats its request (RFC 1350
	 * 4) and an ERROR would end its transfer instead (tftp-hpa takes the
	 * first answer from any port); a forged request draws nothing more. */
	int code = x->started ? TFTP_EUNDEF : -1;
	const char *unsent = code < 0 ? ", no error sent" : "";
	char why[96];

	(void)loop;
	(void)revents;
	if (x->unreachable) {
		tftp_xfer_abort(x, -1, "client port unreachable", "aborted");
		return;
	}
	if (ev_now(x->t->srv->loop) - x->progress_at >= x->t->cfg.stall_s - 0.005) {
		snprintf(why, sizeof(why), "no new block acknowledged for %.0f s (stall_timeout)%s",
		         x->t->cfg.stall_s, unsent);
		count(x->t->c.stalled, 1);
		tftp_xfer_abort(x, code, why, "timeout");
		return;
	}
	if (++x->tries > x->t->cfg.retries) {
		if (code < 0) /* the log's words; no ERROR carries them */
			snprintf(why, sizeof(why), "no ACK of %s%s",
			         x->prm.oack ? "the OACK" : "block 1", unsent);
		else /* the ERROR's text */
			snprintf(why, sizeof(why), "Timed out");
		tftp_xfer_abort(x, code, why, "timeout");
		return;
	}
	x->rto *= 2;
	if (x->rto > x->rto_base * RTO_BACKOFF_MAX)
		x->rto = x->rto_base * RTO_BACKOFF_MAX;
	if (!resend) {
		arm_timer(x); /* wait for the client's ACK or its request again */
		return;
	}
	x->w.next = x->w.base; /* resend the unacknowledged window */
	x->w.restarted_for = UINT64_MAX;
	x->sent_at = 0;
	xfer_send_window(x); /* may end X */
}

/* ---- a new request ------------------------------------------------------------ */
static void reply_error(struct tftp_listener *l, const union pxh_sockaddr *peer,
                        const union pxh_sockaddr *local, int ifindex, int code,
                        const char *msg)
{
	union {
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	uint8_t buf[256];
	size_t n = tftp_build_error(buf, sizeof(buf), code, msg);
	struct iovec iov = {buf, n};
	struct msghdr mh = {
		.msg_name = (void *)&peer->sa,
		.msg_namelen = pxh_sockaddr_len(peer),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	struct cmsghdr *cm;

	memset(&cbuf, 0, sizeof(cbuf));
	if (local && local->sa.sa_family == AF_INET && local->in.sin_addr.s_addr) {
		struct in_pktinfo pi = {.ipi_spec_dst = local->in.sin_addr};

		mh.msg_control = cbuf.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	} else if (local && local->sa.sa_family == AF_INET6) {
		/* from the address asked, out of the interface it came in on
		 * (a link-local peer is reachable on that one only) */
		struct in6_pktinfo pi = {.ipi6_addr = local->in6.sin6_addr,
		                         .ipi6_ifindex = (unsigned)(ifindex > 0 ? ifindex : 0)};

		mh.msg_control = cbuf.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	if (n && sendmsg(l->fd, &mh, MSG_DONTWAIT) < 0)
		pxh_debug("tftp: error reply not sent: %s", strerror(errno));
}

static void set_port(union pxh_sockaddr *a, uint16_t port_net)
{
	if (a->sa.sa_family == AF_INET6)
		a->in6.sin6_port = port_net;
	else
		a->in.sin_port = port_net;
}

/* A socket bound to LOCAL and a data port, connected to PEER. */
static int open_data_socket(struct pxh_tftp *t, const struct tftp_listener *l,
                            const union pxh_sockaddr *local,
                            const union pxh_sockaddr *peer, uint16_t *port_out)
{
	union pxh_sockaddr sa = *local;
	socklen_t sl = pxh_sockaddr_len(&sa);
	unsigned span;
	int fd, rc = -EADDRINUSE, one = 1;

	*port_out = 0;
	fd = socket(sa.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sa.sa.sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (l->iface[0])
		(void)setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, l->iface,
		                 (socklen_t)strlen(l->iface));
	if (!t->cfg.port_lo) {
		set_port(&sa, 0);
		rc = bind(fd, &sa.sa, sl) < 0 ? -errno : 0;
	} else {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		span = (unsigned)(t->cfg.port_hi - t->cfg.port_lo) + 1;
		/* bounded: each port of the range tried at most once */
		for (unsigned i = 0; i < span; i++) {
			uint16_t p;

			/* kept below SPAN: a 16-bit cursor wrapping mid-range
			 * would try one port twice and skip another */
			t->port_cursor = (uint16_t)(t->port_cursor % span);
			p = (uint16_t)(t->cfg.port_lo + t->port_cursor++);
			if (t->port_used[p / 8] & (1u << (p % 8)))
				continue;
			set_port(&sa, htons(p));
			if (bind(fd, &sa.sa, sl) == 0) {
				t->port_used[p / 8] |= (uint8_t)(1u << (p % 8));
				*port_out = p;
				rc = 0;
				break;
			}
			rc = -errno;
			if (errno != EADDRINUSE)
				break;
		}
	}
	if (rc == 0 && connect(fd, &peer->sa, pxh_sockaddr_len(peer)) < 0)
		rc = -errno;
	if (rc) {
		if (*port_out)
			t->port_used[*port_out / 8] &= (uint8_t) ~(1u << (*port_out % 8));
		*port_out = 0;
		close(fd);
		return rc;
	}
	return fd;
}

static uint32_t path_blksize(int fd, int family)
{
	int mtu = 0;
	socklen_t sl = sizeof(mtu);
	int hdr = family == AF_INET6 ? TFTP_IP6_UDP_HDR : TFTP_IP4_UDP_HDR;

	if ((family == AF_INET6 ? getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &sl)
	                        : getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &sl)) < 0 ||
	    mtu <= 0)
		mtu = 1500; /* Ethernet: 1468 over IPv4, 1448 over IPv6 */
	if (mtu - hdr - TFTP_HDR < TFTP_MIN_BLKSIZE)
		return TFTP_MIN_BLKSIZE;
	return (uint32_t)(mtu - hdr - TFTP_HDR);
}

/* The content as a netascii stream in X->owned. */
static int make_netascii(struct tftp_xfer *x)
{
	const uint8_t *in = x->mem;
	uint8_t *raw = NULL;
	uint64_t n;
	int rc = 0;

	if (x->size > TFTP_NETASCII_MAX)
		return -EFBIG;
	if (!in) {
		size_t off = 0;
		raw = malloc(x->size ? x->size : 1);
		if (!raw)
			return -ENOMEM;
		while (off < x->size) {
			ssize_t r = pread(x->src_fd, raw + off, x->size - off, (off_t)off);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				rc = -EIO;
				goto out;
			}
			off += (size_t)r;
		}
		in = raw;
	}
	n = tftp_netascii_size(in, x->size);
	if (x->t->netascii_bytes + n > TFTP_NETASCII_BUDGET) {
		rc = -EBUSY; /* many at once: each holds its own copy */
		goto out;
	}
	x->owned = malloc(n ? n : 1);
	if (!x->owned) {
		rc = -ENOMEM;
		goto out;
	}
	x->owned_len = n;
	x->t->netascii_bytes += n;
	tftp_netascii_convert(in, x->size, x->owned);
	x->mem = x->owned;
	x->size = n;
out:
	free(raw);
	return rc;
}

static void fill_client(struct pxh_tftp *t, pxh_client *c,
                        const union pxh_sockaddr *peer,
                        const union pxh_sockaddr *local, int ifindex,
                        const struct tftp_listener *l)
{
	char ip[INET6_ADDRSTRLEN];

	memset(c, 0, sizeof(*c));
	pxh_sockaddr_ip(peer, ip, sizeof(ip));
	if (!pxh_clients_facts_for_ip(t->srv, ip, c)) {
		memset(c, 0, sizeof(*c));
		c->arch = PXH_ARCH_UNKNOWN;
		c->arch_raw = 0xffff;
	}
	c->struct_size = sizeof(*c);
	c->phase = PXH_PHASE_TFTP;
	c->raw = NULL;
	c->raw_len = 0;
	snprintf(c->ip, sizeof(c->ip), "%s", ip);
	pxh_sockaddr_ip(local, c->server_ip, sizeof(c->server_ip));
	if (l->iface[0]) {
		snprintf(c->iface, sizeof(c->iface), "%s", l->iface);
	} else if (ifindex > 0) {
		/* if_indextoname costs three syscalls: the name of the last
		 * index is kept for a second (a renamed interface shows
		 * within that) */
		double now = pxh_server_now(t->srv);

		if (ifindex != t->if_index || now - t->if_at > 1.0 || now < t->if_at) {
			if (!if_indextoname((unsigned)ifindex, t->if_name))
				t->if_name[0] = 0;
			t->if_index = ifindex;
			t->if_at = now;
		}
		snprintf(c->iface, sizeof(c->iface), "%s", t->if_name);
	}
}

/* All slots taken: the oldest transfer whose client never answered (a
 * forged request, or a client gone before its first ACK) makes room, so
 * requests from forged addresses cannot keep real clients out.  A real
 * client answers within a round trip and is safe from this. */
static void evict_unanswered(struct pxh_tftp *t)
{
	struct tftp_xfer *x, *old = NULL;

	for (x = t->xfers; x; x = x->next) /* newest first */
		if (!x->started)
			old = x;
	if (!old)
		return;
	count(t->c.evicted, 1);
	tftp_xfer_abort(old, -1, "evicted: server full, no answer from the client yet",
	                "aborted");
}

/* [access] for the sender of an RRQ: its source address, and the MAC,
 * architecture and receiving interface the server knows for it (C is
 * fill_client's, whose facts come from the history). */
static bool tftp_access_ok(struct pxh_tftp *t, const pxh_client *c)
{
	pxh_client a;
	char why[160];

	pxh_access_peer_client(t->srv, PXH_PHASE_TFTP, c->ip, &a);
	memcpy(a.iface, c->iface, sizeof(a.iface));
	if (pxh_access_peer_allowed(t->srv, "tftp", &a, why, sizeof(why)))
		return true;
	pxh_access_log_refusal(t->srv, &a, "tftp", why);
	return false;
}

void tftp_handle_request(struct pxh_tftp *t, struct tftp_listener *l,
                         const uint8_t *p, size_t len,
                         const union pxh_sockaddr *peer,
                         const union pxh_sockaddr *local, int ifindex)
{
	struct pxh_server *s = t->srv;
	struct tftp_request rq;
	struct tftp_limits lim;
	struct tftp_xfer *x, *old;
	const char *emsg;
	bool hit = false;
	int rc, code;

	count(t->c.requests, 1);
	/* Per source address, before anything is answered: a flood from one
	 * address (or one forged address) gets nothing back. */
	if (!pxh_addr_rate_take(&t->rate, pxh_addr_key_of(&peer->sa), pxh_server_now(s))) {
		count(t->c.rate, 1);
		return;
	}
	rc = tftp_parse_request(p, len, &rq);
	if (rc == -ENAMETOOLONG) {
		count(t->c.denied, 1);
		reply_error(l, peer, local, ifindex, TFTP_EACCESS, "File name too long");
		return;
	}
	if (rc == -EPROTONOSUPPORT) {
		count(t->c.malformed, 1);
		reply_error(l, peer, local, ifindex, TFTP_EBADOP, "Unknown transfer mode");
		return;
	}
	if (rc) {
		count(t->c.malformed, 1);
		/* RFC 1350: anything but RRQ/WRQ on the request port is illegal */
		if (len >= 2 && p[0] == 0 && p[1] == TFTP_ERROR)
			return; /* never answer an error with an error */
		reply_error(l, peer, local, ifindex, TFTP_EBADOP, "Illegal TFTP operation");
		return;
	}
	if (rq.opcode == TFTP_WRQ) {
		count(t->c.wrq, 1);
		pxh_info("tftp: write request for %s refused", rq.file);
		reply_error(l, peer, local, ifindex, TFTP_EACCESS, "Write requests are refused");
		return;
	}
	if (rq.mode == TFTP_MODE_MAIL) {
		count(t->c.malformed, 1);
		reply_error(l, peer, local, ifindex, TFTP_EBADOP, "Mail mode is not supported");
		return;
	}
	if (t->stopping) {
		reply_error(l, peer, local, ifindex, TFTP_EUNDEF, "Server shutting down");
		return;
	}
	old = xfer_find(t, peer);
	if (old) {
		/* The client repeats its request because our first packet was
		 * lost or slow: the running transfer answers it (also when
		 * the repeat arrives just after the client's first ACK). */
		if (strcmp(old->req, rq.file) == 0 &&
		    (!old->started || pxh_server_now(s) - old->t_start < 2.0)) {
			count(t->c.dup_rrq, 1);
			/* not answered yet: its first packet was lost, send it
			 * again (one packet per request: no amplification) */
			if (!old->started &&
			    pxh_server_now(s) - old->first_sent_at >= DUP_RRQ_GAP)
				xfer_send_window(old); /* may end OLD */
			return;
		}
		tftp_xfer_abort(old, -1, "client started a new request", "aborted");
	}
	if (t->cfg.max_per_client &&
	    pxh_addr_count_get(&t->per_addr, pxh_addr_key_of(&peer->sa)) >= t->cfg.max_per_client) {
		char ip[INET6_ADDRSTRLEN];

		count(t->c.per_client, 1);
		pxh_sockaddr_ip(peer, ip, sizeof(ip));
		pxh_notice("tftp: %s: %u transfers from this address (max_per_client), %s refused",
		           ip, t->cfg.max_per_client, rq.file);
		reply_error(l, peer, local, ifindex, TFTP_EUNDEF,
		            "Too many transfers from your address, try again later");
		return;
	}
	if (t->active >= t->cfg.max_transfers)
		evict_unanswered(t);
	if (t->active >= t->cfg.max_transfers) {
		count(t->c.busy, 1);
		pxh_notice("tftp: busy: %zu transfers running (max_transfers), %s refused",
		           t->active, rq.file);
		reply_error(l, peer, local, ifindex, TFTP_EUNDEF,
		            "Server busy: too many transfers, try again later");
		return;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		reply_error(l, peer, local, ifindex, TFTP_EUNDEF, "Server out of memory");
		return;
	}
	x->t = t;
	x->fd = -1;
	x->src_fd = -1;
	x->peer = *peer;
	x->local = *local;
	x->t_start = pxh_server_now(s);
	x->progress_at = ev_now(s->loop);
	memcpy(x->req, rq.file, rq.file_len + 1);
	snprintf(x->file, sizeof(x->file), "%.511s", rq.file);
	fill_client(t, &x->client, peer, local, ifindex, l);
	if (!tftp_access_ok(t, &x->client)) {
		count(t->c.denied, 1);
		reply_error(l, peer, local, ifindex, TFTP_EACCESS, "Access denied");
		free(x);
		return;
	}

	if (pxh_grub_tftp_request(rq.file)) {
		/* GRUB's stage 2: a decision; while it runs the request is
		 * not answered, GRUB's repeat gets the script */
		rc = pxh_grub_tftp_stage2(s, &x->client, rq.file, &x->f);
		if (rc == -EINPROGRESS) {
			pxh_logf(PXH_LOG_DEBUG, &x->client,
			         "tftp: boot.grub: decision running, the repeat gets it");
			free(x);
			return;
		}
	} else {
		rc = tftp_file_open(t, rq.file, &x->client, &x->f);
	}
	if (rc) {
		code = tftp_errno_code(rc, &emsg);
		count(code == TFTP_ENOTFOUND ? t->c.notfound : t->c.denied, 1);
		pxh_logf(PXH_LOG_INFO, &x->client, "tftp: %s refused: %s (%s)",
		         x->file, emsg, strerror(-rc));
		reply_error(l, peer, local, ifindex, code, emsg);
		free(x);
		return;
	}
	x->have_file = true;
	snprintf(x->file, sizeof(x->file), "%s", x->f.path);
	x->size = x->f.size;
	if (x->f.fd < 0) {
		x->mem = x->f.mem;
	} else {
		x->ce = tftp_cache_get(t->cache, &x->f, &hit);
		if (x->ce) {
			count(hit ? t->c.cache_hits : t->c.cache_misses, 1);
			x->mem = tftp_cache_data(x->ce);
		} else {
			x->src_fd = x->f.fd;
		}
	}
	if (rq.mode == TFTP_MODE_NETASCII && (rc = make_netascii(x)) < 0) {
		reply_error(l, peer, local, ifindex, TFTP_EUNDEF,
		            rc == -EFBIG ? "File too large for netascii"
		            : rc == -EBUSY ? "Server busy: too many netascii transfers, try again later"
		                           : "Cannot read file");
		goto fail;
	}
	/* The content is in memory now: the file descriptor can go. */
	if (x->mem && x->f.fd >= 0) {
		close(x->f.fd);
		x->f.fd = -1;
		x->src_fd = -1;
	}
	x->fd = open_data_socket(t, l, local, peer, &x->port);
	if (x->fd < 0) {
		pxh_warn("tftp: no data socket for %s: %s", x->file,
		         strerror(-x->fd));
		reply_error(l, peer, local, ifindex, TFTP_EUNDEF,
		            "Server busy: no data port free, try again later");
		count(t->c.busy, 1);
		goto fail;
	}
	/* the path MTU matters only for blocks above the default 512 (one
	 * syscall saved for clients such as curl that ask for 512) */
	if (t->cfg.max_blksize)
		lim.max_blksize = t->cfg.max_blksize;
	else if ((rq.seen & TFTP_OPT_BLKSIZE) && rq.blksize > TFTP_DEF_BLKSIZE)
		lim.max_blksize = path_blksize(x->fd, x->peer.sa.sa_family);
	else
		lim.max_blksize = TFTP_DEF_BLKSIZE;
	lim.max_windowsize = t->cfg.max_windowsize;
	lim.max_window_bytes = TFTP_WINDOW_BYTES;
	lim.max_msftwindow = t->cfg.msftwindow;
	tftp_negotiate(&rq, &lim, x->size, &x->prm);
	x->win_peak = x->prm.windowsize;
	if (x->prm.oack) {
		x->oack_len = tftp_build_oack(&x->prm, x->oack, sizeof(x->oack));
		if (!x->oack_len) {
			send_error_fd(x->fd, TFTP_EOPTNEG, "Option negotiation failed");
			goto fail;
		}
	}
	tftp_window_init(&x->w, x->prm.oack, x->size / x->prm.blksize + 1,
	                 x->prm.windowsize);
	x->w.msft = x->prm.msft;
	/* Until the client first answers, the server's own timeout bounds the
	 * retries: a request with "timeout 255" that never ACKs (spoofed, or
	 * gone) would otherwise hold a transfer slot for two hours.  The
	 * client's value applies from its first ACK on. */
	x->rto_opt = x->prm.timeout_s;
	x->rto_base = t->cfg.timeout_ms / 1000.0;
	if (x->rto_opt > 0 && x->rto_opt < x->rto_base)
		x->rto_base = x->rto_opt;
	x->rto = x->rto_base;

	/* link in */
	x->next = t->xfers;
	if (t->xfers)
		t->xfers->prev = x;
	t->xfers = x;
	{
		unsigned h = peer_hash(peer);
		x->hnext = t->hash[h];
		t->hash[h] = x;
	}
	t->active++;
	if (pxh_addr_count_add(&t->per_addr, pxh_addr_key_of(&peer->sa)) < 0) {
		/* out of memory: the count would go wrong at the end */
		t->active--;
		t->hash[peer_hash(peer)] = x->hnext;
		t->xfers = x->next;
		if (x->next)
			x->next->prev = NULL;
		reply_error(l, peer, local, ifindex, TFTP_EUNDEF, "Server out of memory");
		goto fail;
	}
	ev_io_init(&x->io, xfer_io_cb, x->fd, EV_READ);
	x->io.data = x;
	ev_io_start(s->loop, &x->io);
	ev_timer_init(&x->timer, xfer_timer_cb, x->rto, 0.);
	x->timer.data = x;

	pxh_logf(PXH_LOG_DEBUG, &x->client,
	         "tftp: sending %s size=%llu blksize=%u windowsize=%u%s%s%s", x->file,
	         (unsigned long long)x->size, x->prm.blksize, x->prm.windowsize,
	         x->prm.msft ? " msftwindow" : "",
	         x->mem ? " from memory" : "", hit ? " (cache hit)" : "");
	emit(x, PXH_EV_TFTP_START, PXH_LOG_INFO, "start", NULL);
	xfer_send_window(x); /* may end X */
	return;
fail:
	xfer_release(x);
	free(x);
}
