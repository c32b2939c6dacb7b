/* tftpfast: a fast TFTP read client for tests and benchmarks.  It receives
 * with recvmmsg, acknowledges per RFC 7440 window, reports a gap at once
 * with an ACK of the last in-order block, and prints one line of figures.
 *
 *   tftpfast [-b BLKSIZE] [-w WINDOWSIZE] [-t TIMEOUT_MS] [-p PORT]
 *            [-o OUT] [-n] [-s] [-T TOTAL_S] SERVER FILE
 *   -o OUT  write the file (default: discard)   -n  no options (RFC 1350)
 *   -s      poll without sleeping, as firmware clients do (one CPU busy)
 * Output: "bytes=N secs=S MBps=R data=D acks=A dups=U rtt_us=M spread_us=P
 * period_us=Q period_p99_us=Z rtt_p99_us=Y client_us=C client_p99_us=X
 * blksize=B ws=W" ; exit 0 on success (B and W as granted; client_us: from
 * a window's last DATA arriving to its ACK leaving, this program's share).  rtt_us is the median time from a
 * window's ACK leaving to the next window's first DATA arriving (the kernel's
 * receive timestamp), spread_us the median time from a window's first to its
 * last DATA, period_us the median time between window ACKs: period = rtt +
 * spread + the client's own time. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAXPKT 65536
#define MAXSAMPLES 200000

struct samples {
	double v[MAXSAMPLES];
	size_t n;
};
static struct samples s_rtt, s_spread, s_period, s_client;

static void sample(struct samples *s, double v)
{
	if (s->n < MAXSAMPLES && v >= 0)
		s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The Q quantile in microseconds (sorts S). */
static double quantile_us(struct samples *s, double q)
{
	if (!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(s->v[0]), cmp_double);
	return s->v[(size_t)(q * (double)(s->n - 1))] * 1e6;
}

static double median_us(struct samples *s)
{
	return quantile_us(s, 0.5);
}

static double wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

static double ack_at; /* when the last window ACK left (wall clock) */

static int send_ack(int fd, uint16_t blk)
{
	uint8_t a[4] = {0, 4, (uint8_t)(blk >> 8), (uint8_t)blk};
	int rc = send(fd, a, 4, 0) == 4 ? 0 : -1;

	ack_at = wall();
	return rc;
}

int main(int argc, char **argv)
{
	unsigned blksize = 512, ws = 1, port = 69, tmo = 1000, total = 600;
	const char *out = NULL;
	int noopt = 0, spin = 0, c, fd, ofd = -1;
	struct sockaddr_in srv = {.sin_family = AF_INET}, from;
	uint8_t req[1024];
	size_t rl;
	char num[32];
	static uint8_t bufs[BATCH][MAXPKT];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in froms[BATCH];
	static uint8_t ctl[BATCH][CMSG_SPACE(sizeof(struct timespec))];
	double win_first = 0, last_ack = 0, want_first = 0;
	int one = 1;
	uint64_t expect = 1, bytes = 0, data = 0, acks = 0, dups = 0, gap_acked = 0;
	unsigned inwin = 0, tries = 0;
	double t0, deadline;
	int connected = 0, rcvbuf = 8 << 20;

	while ((c = getopt(argc, argv, "b:w:t:p:o:nT:s")) != -1) {
		switch (c) {
		case 'b': blksize = (unsigned)atoi(optarg); break;
		case 'w': ws = (unsigned)atoi(optarg); break;
		case 't': tmo = (unsigned)atoi(optarg); break;
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'o': out = optarg; break;
		case 'n': noopt = 1; break;
		case 's': spin = 1; break;
		case 'T': total = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || inet_pton(AF_INET, argv[optind], &srv.sin_addr) != 1) {
		fprintf(stderr, "usage: tftpfast [-b N] [-w N] [-o OUT] SERVER FILE\n");
		return 2;
	}
	srv.sin_port = htons((uint16_t)port);
	if (out && (ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		perror(out);
		return 1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	req[0] = 0;
	req[1] = 1;
	rl = put(req, 2, argv[optind + 1]);
	rl = put(req, rl, "octet");
	if (!noopt) {
		snprintf(num, sizeof(num), "%u", blksize);
		rl = put(req, rl, "blksize");
		rl = put(req, rl, num);
		rl = put(req, rl, "tsize");
		rl = put(req, rl, "0");
		snprintf(num, sizeof(num), "%u", ws);
		rl = put(req, rl, "windowsize");
		rl = put(req, rl, num);
	} else {
		blksize = 512;
		ws = 1;
	}
	t0 = now();
	deadline = t0 + total;
	if (sendto(fd, req, rl, 0, (struct sockaddr *)&srv, sizeof(srv)) < 0) {
		perror("sendto");
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = MAXPKT;
	}
	while (now() < deadline) {
		struct pollfd pf = {fd, POLLIN, 0};
		int n, r;

		if (spin) {
			/* like firmware clients: poll the socket, never sleep
			 * (bounded by the timeout) */
			double until = now() + tmo / 1000.0;
			while ((r = poll(&pf, 1, 0)) == 0 && now() < until)
				;
		} else {
			r = poll(&pf, 1, (int)tmo);
		}

		if (r == 0) {
			if (++tries > 10) {
				fprintf(stderr, "tftpfast: timed out at block %llu\n",
				        (unsigned long long)expect);
				return 1;
			}
			if (!connected)
				sendto(fd, req, rl, 0, (struct sockaddr *)&srv, sizeof(srv));
			else
				send_ack(fd, (uint16_t)(expect - 1)), acks++;
			inwin = 0;
			want_first = last_ack = win_first = 0;
			continue;
		}
		for (int i = 0; i < BATCH; i++) {
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &froms[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(froms[i]);
			msgs[i].msg_hdr.msg_control = ctl[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			continue;
		tries = 0;
		for (int i = 0; i < n; i++) {
			uint8_t *p = bufs[i];
			size_t len = msgs[i].msg_len;
			unsigned op = len >= 4 ? (unsigned)(p[0] << 8 | p[1]) : 0;
			double at = 0;
			struct cmsghdr *cm;

			for (cm = CMSG_FIRSTHDR(&msgs[i].msg_hdr); cm;
			     cm = CMSG_NXTHDR(&msgs[i].msg_hdr, cm)) {
				if (cm->cmsg_level == SOL_SOCKET &&
				    cm->cmsg_type == SCM_TIMESTAMPNS) {
					struct timespec ts;
					memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
					at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
				}
			}
			if (!at)
				at = wall();

			if (!connected) {
				from = froms[i];
				if (connect(fd, (struct sockaddr *)&from, sizeof(from)) < 0)
					return 1;
				connected = 1;
			}
			if (op == 5) {
				fprintf(stderr, "tftpfast: error %u: %.200s\n",
				        (unsigned)(p[2] << 8 | p[3]), (char *)p + 4);
				return 1;
			}
			if (op == 6) { /* OACK */
				char *q = (char *)p + 2, *end = (char *)p + len;
				/* options the server left out are not in force */
				blksize = 512;
				ws = 1;
				while (q < end) {
					char *v = q + strnlen(q, (size_t)(end - q)) + 1;
					if (v >= end)
						break;
					if (!strcasecmp(q, "blksize"))
						blksize = (unsigned)atoi(v);
					if (!strcasecmp(q, "windowsize"))
						ws = (unsigned)atoi(v);
					q = v + strnlen(v, (size_t)(end - v)) + 1;
				}
				if (expect == 1) {
					send_ack(fd, 0);
					acks++;
				}
				continue;
			}
			if (op != 3)
				continue;
			data++;
			uint16_t wire = (uint16_t)(p[2] << 8 | p[3]);
			if (wire != (uint16_t)expect) {
				dups++;
				/* ahead of us: a gap; report it once */
				if ((uint16_t)(wire - (uint16_t)expect) < 32768 &&
				    gap_acked != expect) {
					send_ack(fd, (uint16_t)(expect - 1));
					acks++;
					gap_acked = expect;
					inwin = 0;
					want_first = last_ack = win_first = 0;
				}
				continue;
			}
			if (want_first) {
				/* the first block after a window ACK */
				sample(&s_rtt, at - want_first);
				want_first = 0;
				win_first = at;
			}
			if (!win_first)
				win_first = at;
			len -= 4;
			if (ofd >= 0 && len && write(ofd, p + 4, len) != (ssize_t)len) {
				perror("write");
				return 1;
			}
			bytes += len;
			expect++;
			if (len < blksize) {
				send_ack(fd, (uint16_t)(expect - 1));
				acks++;
				double secs = now() - t0;
				printf("bytes=%llu secs=%.4f MBps=%.2f data=%llu acks=%llu dups=%llu"
				       " rtt_us=%.1f spread_us=%.1f period_us=%.1f"
				       " period_p99_us=%.1f rtt_p99_us=%.1f client_us=%.1f"
				       " client_p99_us=%.1f blksize=%u ws=%u\n",
				       (unsigned long long)bytes, secs, bytes / secs / 1e6,
				       (unsigned long long)data, (unsigned long long)acks,
				       (unsigned long long)dups, median_us(&s_rtt),
				       median_us(&s_spread), median_us(&s_period),
				       quantile_us(&s_period, 0.99), quantile_us(&s_rtt, 0.99),
				       median_us(&s_client), quantile_us(&s_client, 0.99),
				       blksize, ws);
				return 0;
			}
			if (++inwin >= ws) {
				sample(&s_spread, at - win_first);
				send_ack(fd, (uint16_t)(expect - 1));
				sample(&s_client, ack_at - at);
				acks++;
				inwin = 0;
				/* only clean windows give samples: a gap ACK or a
				 * timeout in between clears want_first */
				if (last_ack)
					sample(&s_period, ack_at - last_ack);
				last_ack = ack_at;
				want_first = ack_at;
				win_first = 0;
			}
		}
	}
	fprintf(stderr, "tftpfast: gave up after %u s\n", total);
	return 1;
}
