/* The 200-client TFTP benchmark's yardstick: the least a server can do per
 * transfer.  One file held in memory; a read request gets a socket of its
 * own (a new TID, as RFC 1350 asks), an OACK echoing blksize, tsize and
 * timeout when asked, then lock-step DATA: each ACK of the last block sent
 * is answered with the next one by one send, nothing else (no timers, no
 * retransmission, no logging, no file system).  What a client such as
 * `curl -Z` needs against it is the client's own floor: a server close to
 * it is limited by the client, not by itself.
 *
 *   tftp_reflect FILE [PORT]      (69 by default; runs until killed)
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXBLK 65464

struct xfer {
	int fd;
	uint32_t blk, last; /* last block sent; the final block's number */
	uint32_t bs;
};

static uint8_t *file;
static size_t size;

static void send_block(struct xfer *x)
{
	static uint8_t b[4 + MAXBLK];
	size_t off = (size_t)(x->blk - 1) * x->bs;
	size_t len = off < size ? (size - off < x->bs ? size - off : x->bs) : 0;

	b[0] = 0;
	b[1] = 3;
	b[2] = (uint8_t)(x->blk >> 8);
	b[3] = (uint8_t)x->blk;
	memcpy(b + 4, file + off, len);
	send(x->fd, b, 4 + len, 0);
}

/* RRQ in b[0..n): a connected socket and the first answer; NULL if refused */
static struct xfer *start(int ep, const uint8_t *b, size_t n, const struct sockaddr_in *from)
{
	char oack[256];
	size_t o = 2;
	const char *p = (const char *)b + 2, *end = (const char *)b + n;
	struct xfer *x = calloc(1, sizeof(*x));
	struct sockaddr_in me = {.sin_family = AF_INET};
	struct epoll_event ev = {.events = EPOLLIN};

	if (!x)
		return NULL;
	x->bs = 512;
	oack[0] = 0;
	oack[1] = 6;
	p += strnlen(p, (size_t)(end - p)) + 1; /* file name: one file served */
	if (p < end)
		p += strnlen(p, (size_t)(end - p)) + 1; /* mode */
	while (p < end) {
		const char *k = p, *v;

		p += strnlen(p, (size_t)(end - p)) + 1;
		if (p >= end)
			break;
		v = p;
		p += strnlen(p, (size_t)(end - p)) + 1;
		if (!strcasecmp(k, "blksize")) {
			long bs = atol(v);
			x->bs = bs < 8 ? 8 : bs > MAXBLK ? MAXBLK : (uint32_t)bs;
			o += (size_t)snprintf(oack + o, sizeof(oack) - o, "blksize%c%u", 0, x->bs) + 1;
		} else if (!strcasecmp(k, "tsize")) {
			o += (size_t)snprintf(oack + o, sizeof(oack) - o, "tsize%c%zu", 0, size) + 1;
		} else if (!strcasecmp(k, "timeout")) {
			o += (size_t)snprintf(oack + o, sizeof(oack) - o, "timeout%c%s", 0, v) + 1;
		}
		if (o >= sizeof(oack) - 32)
			break;
	}
	x->last = (uint32_t)(size / x->bs + 1);
	x->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (x->fd < 0 || bind(x->fd, (struct sockaddr *)&me, sizeof(me)) ||
	    connect(x->fd, (const struct sockaddr *)from, sizeof(*from))) {
		if (x->fd >= 0)
			close(x->fd);
		free(x);
		return NULL;
	}
	ev.data.ptr = x;
	epoll_ctl(ep, EPOLL_CTL_ADD, x->fd, &ev);
	if (o > 2) {
		send(x->fd, oack, o, 0); /* block 0: the OACK, ACKed as 0 */
	} else {
		x->blk = 1;
		send_block(x);
	}
	return x;
}

int main(int argc, char **argv)
{
	int ep, lfd, one = 1, fd;
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct epoll_event ev = {.events = EPOLLIN}, evs[256];
	struct stat st;
	uint8_t b[2048];

	if (argc < 2) {
		fprintf(stderr, "usage: tftp_reflect FILE [PORT]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || !(file = malloc((size_t)st.st_size + 1)) ||
	    read(fd, file, (size_t)st.st_size) != st.st_size) {
		perror(argv[1]);
		return 1;
	}
	size = (size_t)st.st_size;
	close(fd);
	a.sin_port = htons(argc > 2 ? (uint16_t)atoi(argv[2]) : 69);
	lfd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ep = epoll_create1(0);
	if (lfd < 0 || ep < 0)
		return 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a))) {
		perror("bind");
		return 1;
	}
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			struct xfer *x = evs[i].data.ptr;
			ssize_t r;

			if (!x) { /* read requests */
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);

				while ((r = recvfrom(lfd, b, sizeof(b), 0, (struct sockaddr *)&from, &fl)) > 0) {
					if (r > 4 && b[0] == 0 && b[1] == 1)
						start(ep, b, (size_t)r, &from);
					fl = sizeof(from);
				}
				continue;
			}
			while ((r = recv(x->fd, b, sizeof(b), 0)) >= 4) {
				uint32_t ack = (uint32_t)(b[2] << 8 | b[3]);

				if (b[1] != 4 || ack != (x->blk & 0xffff))
					continue; /* not the ACK of the last block sent */
				if (x->blk == x->last) {
					close(x->fd); /* also leaves the epoll set */
					free(x);
					break;
				}
				x->blk++;
				send_block(x);
			}
		}
	}
}
