/* tftpmsft: a TFTP read client speaking the request of Windows boot programs
 * (bootmgr, pxeboot): tsize 0, blksize, windowsize and "msftwindow 31416";
 * when the OACK answers "msftwindow 27182" every ACK carries one more byte,
 * the number of blocks wanted in the next window.  This client's window
 * policy (its own, not Microsoft's): start at -w, grow by a quarter (at
 * least 1) after each clean window up to -H, halve on a gap or a timeout.
 *
 *   tftpmsft [-b BLKSIZE] [-w WINDOWSIZE] [-H MAXHINT] [-t TIMEOUT_MS]
 *            [-p PORT] [-o OUT] [-T TOTAL_S] [-M] [-F] [-S] SERVER FILE
 *   -M  no msftwindow in the request (RFC 7440 windows only)
 *   -F  fixed hint (-w every time: no adaptation)
 *   -S  strict: fail unless the server answers msftwindow 27182
 * Output: "bytes=N secs=S MBps=R data=D acks=A dups=U msft=0|1 gaps=G
 *          timeouts=X win_min=.. win_max=.. win_last=.." ; exit 0 on
 * success, 1 on failure, 3 when -S and the extension was not granted. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAXPKT 65536
#define MSFT_CLIENT "31416"
#define MSFT_SERVER "27182"

struct st {
	int fd, ofd;
	int msft;                 /* extension granted */
	unsigned blksize, ws;     /* in force */
	unsigned hint, hint_max;  /* next window asked for */
	int fixed;
	uint64_t expect;          /* next block wanted (absolute) */
	uint64_t win_end;         /* last block of the window asked for */
	uint64_t bytes, data, acks, dups, gaps, timeouts;
	unsigned win_min, win_max;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t put(uint8_t *p, size_t off, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(p + off, s, n);
	return off + n;
}

static void note_window(struct st *s)
{
	if (s->hint < s->win_min)
		s->win_min = s->hint;
	if (s->hint > s->win_max)
		s->win_max = s->hint;
}

/* ACK the last in-order block, with the next window's size when the
 * extension is on; the server then sends exactly that many blocks. */
static void ack(struct st *s)
{
	uint16_t blk = (uint16_t)(s->expect - 1);
	uint8_t a[5] = {0, 4, (uint8_t)(blk >> 8), (uint8_t)blk, (uint8_t)s->hint};

	if (send(s->fd, a, s->msft ? 5 : 4, 0) < 0 && errno != ECONNREFUSED)
		perror("send");
	s->acks++;
	s->win_end = s->expect - 1 + (s->msft ? s->hint : s->ws);
	if (s->msft)
		note_window(s);
}

static void shrink(struct st *s)
{
	if (!s->fixed && s->msft)
		s->hint = s->hint > 1 ? s->hint / 2 : 1;
}

static void grow(struct st *s)
{
	unsigned step;

	if (s->fixed || !s->msft)
		return;
	step = s->hint / 4 ? s->hint / 4 : 1;
	s->hint = s->hint + step > s->hint_max ? s->hint_max : s->hint + step;
}

/* Options of an OACK; returns 0, -1 when it is malformed. */
static int oack(struct st *s, const uint8_t *p, size_t len)
{
	const char *q = (const char *)p + 2, *end = (const char *)p + len;

	s->blksize = 512; /* options left out are not in force */
	s->ws = 1;
	s->msft = 0;
	if (len < 2 || p[len - 1] != 0)
		return -1;
	while (q < end) {
		const char *v = q + strnlen(q, (size_t)(end - q)) + 1;

		if (v >= end)
			return -1;
		if (!strcasecmp(q, "blksize"))
			s->blksize = (unsigned)atoi(v);
		else if (!strcasecmp(q, "windowsize"))
			s->ws = (unsigned)atoi(v);
		else if (!strcasecmp(q, "msftwindow"))
			s->msft = !strcmp(v, MSFT_SERVER);
		q = v + strnlen(v, (size_t)(end - v)) + 1;
	}
	if (s->blksize < 8 || s->blksize > 65464 || s->ws < 1)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned port = 69, tmo = 300, total = 600, blksize = 1456, ws = 4;
	unsigned hint_max = 64, tries = 0;
	int strict = 0, offer = 1, c, connected = 0, rcvbuf = 16 << 20;
	const char *out = NULL;
	struct sockaddr_in srv = {.sin_family = AF_INET}, from;
	struct st s = {.ofd = -1, .expect = 1, .win_min = ~0u};
	uint8_t req[1024];
	size_t rl;
	char num[32];
	static uint8_t bufs[BATCH][MAXPKT];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in froms[BATCH];
	uint64_t gap_acked = 0;
	double t0, deadline, last_rx;

	while ((c = getopt(argc, argv, "b:w:H:t:p:o:T:MFS")) != -1) {
		switch (c) {
		case 'b': blksize = (unsigned)atoi(optarg); break;
		case 'w': ws = (unsigned)atoi(optarg); break;
		case 'H': hint_max = (unsigned)atoi(optarg); break;
		case 't': tmo = (unsigned)atoi(optarg); break;
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'o': out = optarg; break;
		case 'T': total = (unsigned)atoi(optarg); break;
		case 'M': offer = 0; break;
		case 'F': s.fixed = 1; break;
		case 'S': strict = 1; break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || inet_pton(AF_INET, argv[optind], &srv.sin_addr) != 1 ||
	    ws < 1 || ws > 255 || hint_max < 1 || hint_max > 255) {
		fprintf(stderr, "usage: tftpmsft [-b N] [-w 1..255] [-H 1..255] [-M] [-F] [-S] [-o OUT] SERVER FILE\n");
		return 2;
	}
	if (strlen(argv[optind + 1]) > 512) {
		fprintf(stderr, "tftpmsft: file name too long\n");
		return 2;
	}
	srv.sin_port = htons((uint16_t)port);
	s.hint = ws;
	s.hint_max = hint_max < ws ? ws : hint_max;
	if (out && (s.ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		perror(out);
		return 1;
	}
	s.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (s.fd < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(s.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	/* the order Windows boot programs use */
	req[0] = 0;
	req[1] = 1;
	rl = put(req, 2, argv[optind + 1]);
	rl = put(req, rl, "octet");
	rl = put(req, rl, "tsize");
	rl = put(req, rl, "0");
	snprintf(num, sizeof(num), "%u", blksize);
	rl = put(req, rl, "blksize");
	rl = put(req, rl, num);
	snprintf(num, sizeof(num), "%u", ws);
	rl = put(req, rl, "windowsize");
	rl = put(req, rl, num);
	if (offer) {
		rl = put(req, rl, "msftwindow");
		rl = put(req, rl, MSFT_CLIENT);
	}
	s.blksize = 512;
	s.ws = 1;
	t0 = now();
	last_rx = t0;
	deadline = t0 + total;
	if (sendto(s.fd, req, rl, 0, (struct sockaddr *)&srv, sizeof(srv)) < 0) {
		perror("sendto");
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = MAXPKT;
	}
	while (now() < deadline) {
		struct pollfd pf = {s.fd, POLLIN, 0};
		int n, r = poll(&pf, 1, (int)tmo);

		if (r == 0) {
			/* ten silent timeouts and at least 10 s: gone */
			if (++tries > 10 && now() - last_rx > 10.0) {
				fprintf(stderr, "tftpmsft: timed out at block %llu\n",
				        (unsigned long long)s.expect);
				return 1;
			}
			s.timeouts++;
			if (!connected) {
				sendto(s.fd, req, rl, 0, (struct sockaddr *)&srv, sizeof(srv));
			} else {
				/* shrink once per stall, not per repeat */
				if (gap_acked != s.expect)
					shrink(&s);
				gap_acked = s.expect;
				ack(&s);
			}
			continue;
		}
		for (int i = 0; i < BATCH; i++) {
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &froms[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(froms[i]);
		}
		n = recvmmsg(s.fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		tries = 0;
		last_rx = now();
		for (int i = 0; i < n; i++) {
			uint8_t *p = bufs[i];
			size_t len = msgs[i].msg_len;
			unsigned op = len >= 4 ? (unsigned)(p[0] << 8 | p[1]) : 0;
			uint16_t wire;

			if (!connected) {
				from = froms[i];
				if (connect(s.fd, (struct sockaddr *)&from, sizeof(from)) < 0)
					return 1;
				connected = 1;
			}
			if (op == 5) {
				fprintf(stderr, "tftpmsft: error %u: %.200s\n",
				        (unsigned)(p[2] << 8 | p[3]), (char *)p + 4);
				return 1;
			}
			if (op == 6) {
				if (s.expect != 1)
					continue; /* a repeated OACK */
				if (oack(&s, p, len) < 0) {
					fprintf(stderr, "tftpmsft: malformed OACK\n");
					return 1;
				}
				if (strict && !s.msft) {
					fprintf(stderr, "tftpmsft: msftwindow not granted\n");
					return 3;
				}
				if (!s.msft)
					s.hint = s.ws; /* RFC 7440: the OACK's window */
				ack(&s); /* ACK 0, with the first window's size */
				continue;
			}
			if (op != 3)
				continue;
			s.data++;
			wire = (uint16_t)(p[2] << 8 | p[3]);
			if (wire != (uint16_t)s.expect) {
				uint16_t ahead = (uint16_t)(wire - (uint16_t)s.expect);

				s.dups++;
				/* A gap: reported once the window's last block
				 * has come (one ACK per window, as the server
				 * expects), with a smaller window; earlier
				 * blocks of the window are dropped. */
				if (ahead < 32768 && s.expect + ahead >= s.win_end &&
				    gap_acked != s.expect) {
					s.gaps++;
					shrink(&s);
					ack(&s);
					gap_acked = s.expect;
				}
				continue;
			}
			len -= 4;
			if (s.ofd >= 0 && len &&
			    pwrite(s.ofd, p + 4, len, (off_t)s.bytes) != (ssize_t)len) {
				perror("write");
				return 1;
			}
			s.bytes += len;
			s.expect++;
			if (len < s.blksize) {
				ack(&s);
				double secs = now() - t0;
				printf("bytes=%llu secs=%.4f MBps=%.2f data=%llu acks=%llu dups=%llu "
				       "msft=%d gaps=%llu timeouts=%llu win_min=%u win_max=%u win_last=%u\n",
				       (unsigned long long)s.bytes, secs, s.bytes / secs / 1e6,
				       (unsigned long long)s.data, (unsigned long long)s.acks,
				       (unsigned long long)s.dups, s.msft,
				       (unsigned long long)s.gaps,
				       (unsigned long long)s.timeouts,
				       s.msft ? s.win_min : s.ws, s.msft ? s.win_max : s.ws,
				       s.msft ? s.hint : s.ws);
				return 0;
			}
			if (s.expect - 1 >= s.win_end) {
				if (gap_acked + 1 < s.expect)
					grow(&s); /* a clean window */
				ack(&s);
			}
		}
	}
	fprintf(stderr, "tftpmsft: gave up after %u s\n", total);
	return 1;
}
