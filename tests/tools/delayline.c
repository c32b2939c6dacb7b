/* delayline: a network delay line for tests and benchmarks (this kernel has
 * no netem).  It creates two TUN devices and forwards every IP packet read
 * from one to the other after a fixed delay, optional jitter, reordering,
 * loss and duplication.  Move the devices into two namespaces, address them
 * in one /24, and traffic between the namespaces crosses the line.
 *
 *   delayline -a tunA -b tunB -d 500 [-j 0] [-r 0] [-R 2000] [-l 0] [-D 0]
 *             [-s SEED] [-T 600] [-S 0]
 *   -d one-way delay (microseconds)   -j uniform jitter added (us)
 *   -r percent of packets held back an extra -R us (reordering)
 *   -l percent dropped   -D percent duplicated   -T lifetime bound (s)
 *   -S wake this many us before a packet is due and spin until it is (a
 *      precise wire at the price of CPU; 0 = sleep until due)
 * Prints "ready" on stdout once both devices exist; exits on SIGTERM, and
 * prints what it forwarded and how late packets left (median, p90, p99) on
 * stderr; SIGUSR1 prints the same figures since the last report ("report:"
 * line) and starts counting afresh. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define MAXQ 65536
#define PKT 2048

struct pkt {
	uint64_t due, seq;
	int to;
	uint16_t len;
	uint8_t data[PKT];
};

static struct pkt *heap[MAXQ];
static size_t nheap;
static volatile sig_atomic_t stop, report;
static uint64_t seqno;
static uint64_t rnd_state = 88172645463325252ull;
#define LATE_BINS 10001 /* microseconds late, the last bin is 10 ms or more */
static uint64_t late_hist[LATE_BINS];

static uint64_t late_quantile(double q)
{
	uint64_t total = 0, acc = 0;

	for (size_t i = 0; i < LATE_BINS; i++)
		total += late_hist[i];
	for (size_t i = 0; i < LATE_BINS; i++) {
		acc += late_hist[i];
		if (total && acc >= (uint64_t)(q * (double)total))
			return i;
	}
	return 0;
}

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int before(const struct pkt *a, const struct pkt *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_push(struct pkt *p)
{
	size_t i = nheap++;

	heap[i] = p;
	while (i > 0 && before(heap[i], heap[(i - 1) / 2])) {
		struct pkt *t = heap[i];
		heap[i] = heap[(i - 1) / 2];
		heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct pkt *heap_pop(void)
{
	struct pkt *top = heap[0];
	size_t i = 0;

	heap[0] = heap[--nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < nheap && before(heap[l], heap[m]))
			m = l;
		if (r < nheap && before(heap[r], heap[m]))
			m = r;
		if (m == i)
			break;
		struct pkt *t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
	return top;
}

static int tun_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		report = 1;
	else
		stop = 1;
}

static void print_late(const char *what, uint64_t fwd, uint64_t dropped,
                       uint64_t overflow)
{
	fprintf(stderr, "delayline: %s forwarded %llu, dropped %llu, overflow %llu,"
	        " late_us median %llu p90 %llu p99 %llu\n", what,
	        (unsigned long long)fwd, (unsigned long long)dropped,
	        (unsigned long long)overflow,
	        (unsigned long long)late_quantile(0.5),
	        (unsigned long long)late_quantile(0.9),
	        (unsigned long long)late_quantile(0.99));
	fflush(stderr);
}

int main(int argc, char **argv)
{
	const char *an = "dlA", *bn = "dlB";
	long delay = 500, jitter = 0, reorder = 0, hold = 2000, loss = 0, dup = 0;
	long life = 600, spin = 0;
	uint64_t fwd = 0, dropped = 0, overflow = 0, start;
	uint64_t rep_fwd = 0, rep_dropped = 0, rep_overflow = 0;
	int fd[2], c;

	while ((c = getopt(argc, argv, "a:b:d:j:r:R:l:D:s:T:S:")) != -1) {
		switch (c) {
		case 'a': an = optarg; break;
		case 'b': bn = optarg; break;
		case 'd': delay = atol(optarg); break;
		case 'j': jitter = atol(optarg); break;
		case 'r': reorder = atol(optarg); break;
		case 'R': hold = atol(optarg); break;
		case 'l': loss = atol(optarg); break;
		case 'D': dup = atol(optarg); break;
		case 's': rnd_state = strtoull(optarg, NULL, 0) | 1; break;
		case 'T': life = atol(optarg); break;
		case 'S': spin = atol(optarg); break;
		default:
			fprintf(stderr, "usage: see the comment at the top of delayline.c\n");
			return 2;
		}
	}
	fd[0] = tun_open(an);
	fd[1] = tun_open(bn);
	if (fd[0] < 0 || fd[1] < 0) {
		fprintf(stderr, "delayline: cannot create %s/%s: %s\n", an, bn,
		        strerror(errno));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGUSR1, on_signal);
	prctl(PR_SET_TIMERSLACK, 1UL);
	printf("ready\n");
	fflush(stdout);
	start = now_us();
	while (!stop && now_us() - start < (uint64_t)life * 1000000u) {
		struct pollfd pf[2] = {{fd[0], POLLIN, 0}, {fd[1], POLLIN, 0}};
		struct timespec ts = {1, 0};
		uint64_t t = now_us();

		if (nheap) {
			uint64_t due = heap[0]->due > (uint64_t)spin
			                       ? heap[0]->due - (uint64_t)spin : 0;
			uint64_t wait = due > t ? due - t : 0;
			ts.tv_sec = (time_t)(wait / 1000000u);
			ts.tv_nsec = (long)(wait % 1000000u) * 1000;
		}
		if (ppoll(pf, 2, &ts, NULL) < 0 && errno != EINTR)
			break;
		if (report) {
			report = 0;
			print_late("report:", fwd - rep_fwd, dropped - rep_dropped,
			           overflow - rep_overflow);
			memset(late_hist, 0, sizeof(late_hist));
			rep_fwd = fwd;
			rep_dropped = dropped;
			rep_overflow = overflow;
			continue;
		}
		for (int side = 0; side < 2; side++) {
			if (!(pf[side].revents & POLLIN))
				continue;
			for (int i = 0; i < 256; i++) {
				struct pkt *p = malloc(sizeof(*p));
				ssize_t n;

				if (!p)
					break;
				n = read(fd[side], p->data, sizeof(p->data));
				if (n <= 0) {
					free(p);
					break;
				}
				if (loss && (long)(rnd() % 100) < loss) {
					dropped++;
					free(p);
					continue;
				}
				if (nheap >= MAXQ - 1) {
					overflow++;
					free(p);
					continue;
				}
				p->len = (uint16_t)n;
				p->to = fd[1 - side];
				p->seq = seqno++;
				p->due = now_us() + (uint64_t)delay;
				if (jitter)
					p->due += rnd() % (uint64_t)(jitter + 1);
				if (reorder && (long)(rnd() % 100) < reorder)
					p->due += (uint64_t)hold;
				if (dup && (long)(rnd() % 100) < dup && nheap < MAXQ - 2) {
					struct pkt *q = malloc(sizeof(*q));
					if (q) {
						memcpy(q, p, sizeof(*q));
						q->seq = seqno++;
						heap_push(q);
					}
				}
				heap_push(p);
			}
		}
		t = now_us();
		/* bounded: spin at most SPIN us for the first packet due */
		while (spin && nheap && heap[0]->due > t &&
		       heap[0]->due - t <= (uint64_t)spin)
			t = now_us();
		while (nheap && heap[0]->due <= t) {
			struct pkt *p = heap_pop();
			uint64_t at = now_us(), late = at > p->due ? at - p->due : 0;

			late_hist[late < LATE_BINS - 1 ? late : LATE_BINS - 1]++;
			if (write(p->to, p->data, p->len) == p->len)
				fwd++;
			else
				dropped++;
			free(p);
		}
	}
	print_late("end:", fwd, dropped, overflow);
	return 0;
}
