/* Boot-storm simulator: N synthetic PXE clients, each doing the whole
 * network boot (proxyDHCP DISCOVER -> 4011 REQUEST -> TFTP loader -> DHCP
 * as iPXE -> GET /boot.ipxe (two stages) -> GET an image over HTTP), all in
 * one epoll loop; prints per-stage and total p50/p99 and failures.
 *
 *   storm -n 1000 -s 10.88.0.1 -I bc0 -a 10.88.1.0 -k 250 [options]
 *
 * Runs in its own network namespace: the clients share UDP port 68 (for the
 * proxy offers, which go to 255.255.255.255:68) and bind their own sockets
 * to one of K client addresses.  -S PORT fetches the image over HTTPS
 * (GnuTLS, TLS 1.3 with AES-128-GCM only, so every server does the same
 * work; the certificate is not checked).
 * Build: cc -O2 -o storm bench/storm.c -lgnutls */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

/* DHCP (RFC 2131/2132, PXE 2.1) */
#define BOOTP_FIXED 236
#define DHCP_MAGIC 0x63825363u
#define OPT_PAD 0
#define OPT_END 255
#define OPT_MSGTYPE 53      /* RFC 2132 9.6 */
#define OPT_VENDOR_CLASS 60 /* RFC 2132 9.13 */
#define OPT_BOOTFILE 67     /* RFC 2132 9.5 */
#define OPT_USER_CLASS 77   /* RFC 3004 */
#define OPT_ARCH 93         /* RFC 4578 2.1 */
#define OPT_NDI 94          /* RFC 4578 2.2 */
#define OPT_UUID 97         /* RFC 4578 2.3 */
#define OPT_VENDOR 43       /* RFC 2132 8.4, PXE 2.1 sub-options */
#define OPT_MAXSIZE 57      /* RFC 2132 9.10 */
#define OPT_IPXE 175        /* iPXE's encapsulated options */
#define PXE_BOOT_MENU 9     /* PXE 2.1 option 43 sub-option */
#define PXE_BOOT_ITEM 71    /* PXE 2.1 option 43 sub-option */
#define DHCPDISCOVER 1
#define DHCPOFFER 2
#define DHCPREQUEST 3
#define DHCPACK 5
/* TFTP (RFC 1350, 2347-2349, 7440) */
#define TFTP_RRQ 1
#define TFTP_DATA 3
#define TFTP_ACK 4
#define TFTP_ERROR 5
#define TFTP_OACK 6

enum stage { S_DHCP, S_PXE, S_TFTP, S_IPXE_DHCP, S_SCRIPT, S_IMAGE, S_TOTAL, S__N };
static const char *const stage_name[S__N] = {
	"dhcp_offer", "pxe_4011", "tftp_loader", "ipxe_dhcp", "boot_ipxe",
	"image", "total",
};

enum state {
	ST_WAIT, ST_DISCOVER, ST_REQ4011, ST_TFTP, ST_IPXE_DISCOVER,
	ST_IPXE_REQ4011, ST_HTTP, ST_DONE, ST_FAILED,
};

struct client {
	int id;
	uint8_t mac[6];
	struct in_addr ip;
	enum state st;
	uint32_t xid;
	int udp, tcp;
	double t_start, t_stage, deadline, next_retry;
	int tries;
	double dur[S__N];
	enum stage failed_at;
	char fail_why[256];
	/* from the offers */
	uint16_t boot_item; /* PXE menu item type to ask 4011 for, 0 = none */
	bool has_item;
	char file[256];
	struct in_addr next_server;
	/* TFTP */
	struct sockaddr_in tftp_peer;
	bool tftp_connected;
	uint16_t blksize, window;
	uint32_t block; /* last in-order block received (not wrapped) */
	bool nacked;    /* a gap was reported since the last progress */
	uint64_t bytes, tsize;
	/* HTTP */
	int http_step; /* 0 stage one, 1 stage two, 2 image */
	char rbuf[8192];
	size_t rlen;
	bool in_body, chunked, conn_close;
	uint64_t body_left, body_got;
	char stage1[2048];
	size_t stage1_len;
	char path[512];
	gnutls_session_t tls; /* the image over HTTPS (-S) */
	bool tls_ready;       /* handshake done */
};

static struct opts {
	int n;
	struct in_addr server;
	const char *ifname;
	struct in_addr ip_base;
	int n_ips;
	double ramp;
	double deadline;
	const char *image;
	int http_port;
	int https_port; /* -S: the image over HTTPS on this port */
	int rcvbuf; /* -R: each HTTP socket's SO_RCVBUF (0: the kernel's autotuning) */
	int blksize, window;
	bool no_4011;
	const char *json;
	const char *arch; /* "bios" or "efi" */
	int verbose;
} o = {
	.n = 100, .n_ips = 250, .deadline = 300, .image = "/files/image.bin",
	.http_port = 0, .blksize = 1468, .window = 4, .arch = "bios",
};

static struct client *cl;
static int ep, dhcp_fd;
static int n_done, n_failed;
static uint8_t scratch[1 << 16];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void ep_add(int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("epoll_ctl");
		exit(2);
	}
}

static void ep_mod(int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};

	epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

/* Tags: low 32 bits client index, high bits the kind. */
#define TAG_UDP (1ull << 32)
#define TAG_TCP (2ull << 32)
#define TAG_DHCP (3ull << 32)

static gnutls_certificate_credentials_t tls_cred;

static void tls_end(struct client *c)
{
	if (c->tls)
		gnutls_deinit(c->tls);
	c->tls = NULL;
	c->tls_ready = false;
}

static void fail(struct client *c, enum stage s, const char *why)
{
	if (c->st == ST_DONE || c->st == ST_FAILED)
		return;
	tls_end(c);
	c->st = ST_FAILED;
	c->failed_at = s;
	snprintf(c->fail_why, sizeof(c->fail_why), "%s", why);
	if (c->udp >= 0)
		close(c->udp);
	if (c->tcp >= 0)
		close(c->tcp);
	c->udp = c->tcp = -1;
	n_failed++;
	if (o.verbose)
		fprintf(stderr, "client %d failed in %s: %s\n", c->id,
		        stage_name[s], why);
}

static void stage_end(struct client *c, enum stage s)
{
	double t = now();

	c->dur[s] = t - c->t_stage;
	c->t_stage = t;
}

/* ---- DHCP ------------------------------------------------------------------ */
static size_t opt_put(uint8_t *p, size_t off, uint8_t code, const void *v,
                      size_t len)
{
	p[off] = code;
	p[off + 1] = (uint8_t)len;
	memcpy(p + off + 2, v, len);
	return off + 2 + len;
}

static size_t dhcp_build(struct client *c, uint8_t *p, int type, bool ipxe)
{
	char vc[64];
	uint8_t u8, arch[2], ndi[3] = {1, 2, 1}, uuid[17], maxsz[2] = {0x05, 0xc0};
	size_t off;
	bool efi = !strcmp(o.arch, "efi");

	memset(p, 0, 548);
	p[0] = 1; /* BOOTREQUEST */
	p[1] = 1;
	p[2] = 6;
	memcpy(p + 4, &c->xid, 4);
	p[10] = 0x80; /* broadcast flag: the firmware has no address yet */
	if (type == DHCPREQUEST) {
		p[10] = 0;
		memcpy(p + 12, &c->ip, 4); /* ciaddr */
	}
	memcpy(p + 28, c->mac, 6);
	uint32_t magic = htonl(DHCP_MAGIC);
	memcpy(p + BOOTP_FIXED, &magic, 4);
	off = BOOTP_FIXED + 4;
	u8 = (uint8_t)type;
	off = opt_put(p, off, OPT_MSGTYPE, &u8, 1);
	snprintf(vc, sizeof(vc), "PXEClient:Arch:%05d:UNDI:%s", efi ? 7 : 0,
	         ipxe ? (efi ? "003010" : "002001") : (efi ? "003000" : "002001"));
	off = opt_put(p, off, OPT_VENDOR_CLASS, vc, strlen(vc));
	arch[0] = 0;
	arch[1] = efi ? 7 : 0;
	off = opt_put(p, off, OPT_ARCH, arch, 2);
	off = opt_put(p, off, OPT_NDI, ndi, 3);
	/* option 97: type 0 + the GUID, first three fields little-endian as
	 * SMBIOS stores them; unique per client */
	uuid[0] = 0;
	for (int i = 0; i < 16; i++)
		uuid[1 + i] = (uint8_t)(0x10 + i);
	memcpy(uuid + 13, c->mac + 2, 4);
	off = opt_put(p, off, OPT_UUID, uuid, 17);
	off = opt_put(p, off, OPT_MAXSIZE, maxsz, 2);
	if (ipxe) {
		static const uint8_t feat[] = {0x13, 1, 1, 0x10, 1, 1}; /* PXE, PXEXT */
		off = opt_put(p, off, OPT_USER_CLASS, "iPXE", 4);
		off = opt_put(p, off, OPT_IPXE, feat, sizeof(feat));
	}
	if (type == DHCPREQUEST && c->has_item) {
		uint8_t v[6] = {PXE_BOOT_ITEM, 4, (uint8_t)(c->boot_item >> 8),
		                (uint8_t)c->boot_item, 0, 0};
		off = opt_put(p, off, OPT_VENDOR, v, sizeof(v));
	}
	p[off++] = OPT_END;
	return off < 300 ? 300 : off;
}

/* Parse a reply: message type, file (field or option 67), siaddr, first
 * PXE menu item.  Returns the message type or -1. */
static int dhcp_parse(const uint8_t *p, size_t len, struct client *c)
{
	const uint8_t *opt = p + BOOTP_FIXED + 4, *end = p + len;
	uint32_t magic;
	int type = -1;
	char file[256] = "";

	if (len < BOOTP_FIXED + 4 || p[0] != 2)
		return -1;
	memcpy(&magic, p + BOOTP_FIXED, 4);
	if (ntohl(magic) != DHCP_MAGIC)
		return -1;
	memcpy(file, p + 108, 128);
	file[128] = 0;
	c->has_item = false;
	while (opt < end && *opt != OPT_END) {
		if (*opt == OPT_PAD) {
			opt++;
			continue;
		}
		if (opt + 2 > end || opt + 2 + opt[1] > end)
			return -1;
		uint8_t code = opt[0], l = opt[1];
		const uint8_t *v = opt + 2;

		if (code == OPT_MSGTYPE && l == 1)
			type = v[0];
		else if (code == OPT_BOOTFILE && l > 0) {
			memcpy(file, v, l);
			file[l] = 0;
		} else if (code == OPT_VENDOR) {
			for (const uint8_t *s = v; s + 2 <= v + l && *s != 255;) {
				if (*s == 0) {
					s++;
					continue;
				}
				if (s + 2 + s[1] > v + l)
					break;
				if (s[0] == PXE_BOOT_MENU && s[1] >= 3) {
					c->boot_item = (uint16_t)(s[2] << 8 | s[3]);
					c->has_item = true;
				}
				s += 2 + s[1];
			}
		}
		opt += 2 + l;
	}
	snprintf(c->file, sizeof(c->file), "%s", file);
	memcpy(&c->next_server, p + 20, 4);
	return type;
}

static void send_discover(struct client *c, bool ipxe)
{
	uint8_t pkt[548];
	size_t n = dhcp_build(c, pkt, DHCPDISCOVER, ipxe);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(67),
	                         .sin_addr.s_addr = INADDR_BROADCAST};

	if (sendto(dhcp_fd, pkt, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0 &&
	    o.verbose)
		perror("sendto discover");
}

static void send_req4011(struct client *c, bool ipxe)
{
	uint8_t pkt[548];
	size_t n = dhcp_build(c, pkt, DHCPREQUEST, ipxe);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(4011),
	                         .sin_addr = o.server};

	sendto(c->udp, pkt, n, 0, (struct sockaddr *)&to, sizeof(to));
}

/* ---- TFTP ------------------------------------------------------------------ */
static void tftp_send_rrq(struct client *c)
{
	char pkt[512], b[16], w[16];
	size_t n = 2;
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(69),
	                         .sin_addr = c->next_server.s_addr ? c->next_server
	                                                           : o.server};
	const char *f = c->file;

	pkt[0] = 0;
	pkt[1] = TFTP_RRQ;
	snprintf(b, sizeof(b), "%d", o.blksize);
	snprintf(w, sizeof(w), "%d", o.window);
	const char *parts[] = {f, "octet", "blksize", b, "tsize", "0",
	                       o.window > 1 ? "windowsize" : NULL, w};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && parts[i]; i++) {
		size_t l = strlen(parts[i]) + 1;
		if (n + l > sizeof(pkt))
			break;
		memcpy(pkt + n, parts[i], l);
		n += l;
	}
	c->tftp_connected = false;
	c->blksize = 512;
	c->window = 1;
	c->block = 0;
	c->bytes = 0;
	sendto(c->udp, pkt, n, 0, (struct sockaddr *)&to, sizeof(to));
}

static void tftp_ack(struct client *c, uint32_t block)
{
	uint8_t pkt[4] = {0, TFTP_ACK, (uint8_t)(block >> 8), (uint8_t)block};

	send(c->udp, pkt, 4, 0);
}

static void start_ipxe_dhcp(struct client *c);

static void tftp_rx(struct client *c, const uint8_t *p, size_t n,
                    const struct sockaddr_in *from)
{
	uint16_t op;

	if (n < 4)
		return;
	op = (uint16_t)(p[0] << 8 | p[1]);
	if (!c->tftp_connected) {
		c->tftp_peer = *from;
		if (connect(c->udp, (const struct sockaddr *)from, sizeof(*from)) < 0) {
			fail(c, S_TFTP, "connect to the TFTP TID");
			return;
		}
		c->tftp_connected = true;
	}
	if (op == TFTP_ERROR) {
		char why[80];
		snprintf(why, sizeof(why), "TFTP error %u: %.60s",
		         (unsigned)(p[2] << 8 | p[3]), n > 4 ? (const char *)p + 4 : "");
		fail(c, S_TFTP, why);
		return;
	}
	if (op == TFTP_OACK) {
		/* name\0value\0 pairs */
		const char *s = (const char *)p + 2, *e = (const char *)p + n;
		while (s < e) {
			const char *name = s, *val = memchr(s, 0, (size_t)(e - s));
			if (!val || ++val >= e)
				break;
			const char *nx = memchr(val, 0, (size_t)(e - val));
			if (!nx)
				break;
			if (!strcasecmp(name, "blksize"))
				c->blksize = (uint16_t)atoi(val);
			else if (!strcasecmp(name, "windowsize"))
				c->window = (uint16_t)atoi(val);
			else if (!strcasecmp(name, "tsize"))
				c->tsize = strtoull(val, NULL, 10);
			s = nx + 1;
		}
		tftp_ack(c, 0);
		c->next_retry = now() + 1.0;
		c->tries = 0;
		return;
	}
	if (op != TFTP_DATA)
		return;
	uint16_t blk = (uint16_t)(p[2] << 8 | p[3]);
	size_t dlen = n - 4;

	if (blk != (uint16_t)(c->block + 1)) {
		/* out of order or a repeat: tell the server where we are, once
		 * per window (RFC 7440 section 4) */
		if (blk != (uint16_t)c->block && !c->nacked) {
			tftp_ack(c, c->block);
			c->nacked = true;
		}
		return;
	}
	c->block++;
	c->nacked = false;
	c->bytes += dlen;
	c->tries = 0;
	c->next_retry = now() + 1.0;
	if (dlen < c->blksize) {
		tftp_ack(c, c->block);
		stage_end(c, S_TFTP);
		if (c->tsize && c->bytes != c->tsize) {
			fail(c, S_TFTP, "size differs from tsize");
			return;
		}
		start_ipxe_dhcp(c);
		return;
	}
	if (c->block % c->window == 0)
		tftp_ack(c, c->block);
}

/* ---- HTTP ------------------------------------------------------------------ */
static int http_port_of(const char *url, char *host, size_t hl, char *path,
                        size_t pl)
{
	const char *h = url + 7, *sl, *colon;
	int port = 80;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	sl = strchr(h, '/');
	if (!sl)
		sl = h + strlen(h);
	colon = memchr(h, ':', (size_t)(sl - h));
	snprintf(host, hl, "%.*s", (int)((colon ? colon : sl) - h), h);
	if (colon)
		port = atoi(colon + 1);
	snprintf(path, pl, "%s", *sl ? sl : "/");
	return port;
}

static void http_send(struct client *c)
{
	char req[1024];
	int n = snprintf(req, sizeof(req),
	                 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: iPXE/1.0.0 "
	                 "(storm)\r\nConnection: keep-alive\r\n\r\n",
	                 c->path, inet_ntoa(o.server));

	c->rlen = 0;
	c->in_body = false;
	c->chunked = false;
	c->conn_close = false;
	c->body_got = 0;
	c->stage1_len = 0;
	if (c->tls) {
		ssize_t k;

		do
			k = gnutls_record_send(c->tls, req, (size_t)n);
		while (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED);
		if (k != n)
			fail(c, S_IMAGE, "TLS send request");
		return;
	}
	if (send(c->tcp, req, (size_t)n, MSG_NOSIGNAL) != n)
		fail(c, c->http_step == 2 ? S_IMAGE : S_SCRIPT, "send request");
}

static void http_connect(struct client *c)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = o.server};
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr = c->ip};
	char host[64], path[512];
	int port = http_port_of(c->file, host, sizeof(host), path, sizeof(path));
	int one = 1;

	tls_end(c);
	if (c->tcp >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->tcp, NULL);
		close(c->tcp);
		c->tcp = -1;
	}
	if (port < 0) {
		fail(c, S_SCRIPT, "boot file is not an http:// URL");
		return;
	}
	inet_aton(host, &to.sin_addr);
	to.sin_port = htons((uint16_t)(o.http_port ? o.http_port : port));
	if (c->http_step == 2 && o.https_port)
		to.sin_port = htons((uint16_t)o.https_port);
	c->tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->tcp < 0) {
		fail(c, S_SCRIPT, "socket");
		return;
	}
	setsockopt(c->tcp, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* a real client's receive window is its own machine's memory; 1000
	 * simulated ones share this kernel's TCP memory (see docs/http.md
	 * "Worker loops" on what its drops do) */
	if (o.rcvbuf > 0)
		setsockopt(c->tcp, SOL_SOCKET, SO_RCVBUF, &o.rcvbuf, sizeof(o.rcvbuf));
	if (bind(c->tcp, (struct sockaddr *)&me, sizeof(me)) < 0) {
		fail(c, S_SCRIPT, "bind");
		return;
	}
	if (connect(c->tcp, (struct sockaddr *)&to, sizeof(to)) < 0 &&
	    errno != EINPROGRESS) {
		fail(c, S_SCRIPT, "connect");
		return;
	}
	ep_add(c->tcp, EPOLLOUT, TAG_TCP | (uint64_t)c->id);
}

static void http_next(struct client *c)
{
	char mac[18];

	if (c->http_step == 0) {
		/* stage two: come back with the facts (pxehub's stage-one
		 * script asks for them; a static server ignores them) */
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
		         c->mac[0], c->mac[1], c->mac[2], c->mac[3], c->mac[4], c->mac[5]);
		char *q = strchr(c->path, '?');
		if (q)
			*q = 0;
		size_t l = strlen(c->path);
		snprintf(c->path + l, sizeof(c->path) - l,
		         "?mac=%s&uuid=&arch=%s&platform=%s&manufacturer=QEMU&product=storm",
		         mac, strcmp(o.arch, "efi") ? "i386" : "x86_64",
		         strcmp(o.arch, "efi") ? "pcbios" : "efi");
		c->http_step = 1;
	} else if (c->http_step == 1) {
		stage_end(c, S_SCRIPT);
		snprintf(c->path, sizeof(c->path), "%s", o.image);
		c->http_step = 2;
		if (o.https_port) {
			/* a new connection for the image, over TLS */
			http_connect(c);
			return;
		}
	} else {
		stage_end(c, S_IMAGE);
		c->dur[S_TOTAL] = now() - c->t_start;
		c->st = ST_DONE;
		tls_end(c);
		epoll_ctl(ep, EPOLL_CTL_DEL, c->tcp, NULL);
		close(c->tcp);
		c->tcp = -1;
		n_done++;
		return;
	}
	if (c->conn_close) {
		http_connect(c);
		return;
	}
	http_send(c);
}

/* Headers in rbuf complete: status and framing. */
static int http_head(struct client *c, size_t hend)
{
	char *h = c->rbuf;
	int status;

	c->rbuf[hend - 1] = 0;
	if (sscanf(h, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	if (status != 200)
		return -status;
	c->body_left = UINT64_MAX;
	for (char *l = strstr(h, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
		if (!strncasecmp(l + 2, "Content-Length:", 15))
			c->body_left = strtoull(l + 17, NULL, 10);
		else if (!strncasecmp(l + 2, "Transfer-Encoding:", 18) &&
		         strcasestr(l + 20, "chunked"))
			c->chunked = true;
		else if (!strncasecmp(l + 2, "Connection:", 11) &&
		         !strncasecmp(l + 12 + strspn(l + 12, " "), "close", 5))
			c->conn_close = true;
	}
	if (c->chunked || c->body_left == UINT64_MAX)
		return -2; /* both servers send Content-Length for these */
	return 0;
}

static void http_body(struct client *c, const char *p, size_t n)
{
	if (c->http_step == 0 && c->stage1_len + n < sizeof(c->stage1)) {
		memcpy(c->stage1 + c->stage1_len, p, n);
		c->stage1_len += n;
	}
	c->body_got += n;
	c->body_left -= n;
}

/* recv(2), or a TLS record's bytes; -1 with errno EAGAIN when none */
static ssize_t c_recv(struct client *c, void *buf, size_t len)
{
	ssize_t n;

	if (!c->tls)
		return recv(c->tcp, buf, len, 0);
	do
		n = gnutls_record_recv(c->tls, buf, len);
	while (n == GNUTLS_E_INTERRUPTED);
	if (n >= 0)
		return n;
	errno = n == GNUTLS_E_AGAIN ? EAGAIN : EPROTO;
	return -1;
}

static void http_rx(struct client *c)
{
	enum stage s = c->http_step == 2 ? S_IMAGE : S_SCRIPT;

	/* a few reads per wakeup: one machine's download must not hold up
	 * the others' packets (real clients each have their own CPU) */
	for (int loops = 0; loops < 4; loops++) {
		ssize_t r;

		if (!c->in_body) {
			r = c_recv(c, c->rbuf + c->rlen, sizeof(c->rbuf) - 1 - c->rlen);
			if (r == 0) {
				fail(c, s, "connection closed in the header");
				return;
			}
			if (r < 0) {
				if (errno != EAGAIN)
					fail(c, s, strerror(errno));
				return;
			}
			c->rlen += (size_t)r;
			c->rbuf[c->rlen] = 0;
			char *e = strstr(c->rbuf, "\r\n\r\n");
			if (!e) {
				if (c->rlen >= sizeof(c->rbuf) - 1)
					fail(c, s, "header too long");
				continue;
			}
			size_t hend = (size_t)(e - c->rbuf) + 4;
			int rc = http_head(c, hend);
			if (rc < 0) {
				char why[64];
				snprintf(why, sizeof(why), rc == -1 ? "bad status line"
				         : rc == -2 ? "no Content-Length" : "HTTP status %d", -rc);
				fail(c, s, why);
				return;
			}
			c->in_body = true;
			size_t extra = c->rlen - hend;
			if (extra > c->body_left)
				extra = (size_t)c->body_left;
			http_body(c, c->rbuf + hend, extra);
		} else {
			size_t want = c->body_left < sizeof(scratch) ? (size_t)c->body_left
			                                             : sizeof(scratch);
			if (want == 0)
				want = 1;
			r = c_recv(c, scratch, want);
			if (r == 0) {
				fail(c, s, "connection closed in the body");
				return;
			}
			if (r < 0) {
				if (errno != EAGAIN)
					fail(c, s, strerror(errno));
				return;
			}
			http_body(c, (const char *)scratch, (size_t)r);
		}
		if (c->in_body && c->body_left == 0) {
			http_next(c);
			if (c->st != ST_HTTP || c->tcp < 0)
				return;
		}
		/* GnuTLS may hold a decrypted record epoll knows nothing of */
		if (loops == 3 && c->tls && gnutls_record_check_pending(c->tls))
			loops--;
	}
}

/* The image's TLS handshake, driven by epoll. */
static void tls_step(struct client *c)
{
	int rc;

	if (!c->tls) {
		if (gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0 ||
		    gnutls_priority_set_direct(c->tls, "NORMAL:-VERS-ALL:+VERS-TLS1.3:"
		                               "-CIPHER-ALL:+AES-128-GCM", NULL) < 0 ||
		    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, tls_cred) < 0) {
			fail(c, S_IMAGE, "TLS setup");
			return;
		}
		gnutls_transport_set_int(c->tls, c->tcp);
	}
	do
		rc = gnutls_handshake(c->tls);
	while (rc == GNUTLS_E_INTERRUPTED);
	if (rc == GNUTLS_E_AGAIN) {
		ep_mod(c->tcp, gnutls_record_get_direction(c->tls) ? EPOLLOUT : EPOLLIN,
		       TAG_TCP | (uint64_t)c->id);
		return;
	}
	if (rc < 0) {
		fail(c, S_IMAGE, gnutls_strerror(rc));
		return;
	}
	c->tls_ready = true;
	ep_mod(c->tcp, EPOLLIN, TAG_TCP | (uint64_t)c->id);
	http_send(c);
}

/* ---- the state machine ------------------------------------------------------ */
static int client_udp(struct client *c)
{
	struct sockaddr_in me = {.sin_family = AF_INET, .sin_addr = c->ip};

	c->udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->udp < 0 || bind(c->udp, (struct sockaddr *)&me, sizeof(me)) < 0)
		return -1;
	ep_add(c->udp, EPOLLIN, TAG_UDP | (uint64_t)c->id);
	return 0;
}

static void client_start(struct client *c)
{
	c->t_start = c->t_stage = now();
	c->deadline = c->t_start + o.deadline;
	if (client_udp(c) < 0) {
		fail(c, S_DHCP, "client socket");
		return;
	}
	c->xid = (uint32_t)random();
	c->st = ST_DISCOVER;
	c->tries = 0;
	c->next_retry = c->t_start + 1.0;
	send_discover(c, false);
}

static void start_ipxe_dhcp(struct client *c)
{
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};

	/* forget the TFTP TID: a 4011 answer comes from another port */
	connect(c->udp, &unspec, sizeof(unspec));
	c->tftp_connected = false;
	c->xid = (uint32_t)random();
	c->st = ST_IPXE_DISCOVER;
	c->tries = 0;
	c->next_retry = now() + 1.0;
	send_discover(c, true);
}

static void got_reply(struct client *c, const uint8_t *p, size_t n)
{
	uint32_t xid;
	int type;

	memcpy(&xid, p + 4, 4);
	if (xid != c->xid)
		return;
	type = dhcp_parse(p, n, c);
	if (c->st == ST_DISCOVER && type == DHCPOFFER) {
		stage_end(c, S_DHCP);
		if (o.no_4011 && c->file[0]) {
			c->dur[S_PXE] = 0;
			goto tftp;
		}
		c->st = ST_REQ4011;
		c->tries = 0;
		c->next_retry = now() + 1.0;
		send_req4011(c, false);
	} else if (c->st == ST_REQ4011 && type == DHCPACK) {
		stage_end(c, S_PXE);
		if (!c->file[0]) {
			fail(c, S_PXE, "no boot file in the ACK");
			return;
		}
tftp:
		c->st = ST_TFTP;
		c->tries = 0;
		c->next_retry = now() + 1.0;
		tftp_send_rrq(c);
	} else if (c->st == ST_IPXE_DISCOVER && type == DHCPOFFER) {
		if (!c->file[0] || c->has_item) {
			/* a PXE menu instead of a file: ask 4011 like iPXE does */
			c->st = ST_IPXE_REQ4011;
			c->tries = 0;
			c->next_retry = now() + 1.0;
			send_req4011(c, true);
			return;
		}
		goto http;
	} else if (c->st == ST_IPXE_REQ4011 && type == DHCPACK) {
		if (!c->file[0]) {
			fail(c, S_IPXE_DHCP, "no script URL in the ACK");
			return;
		}
http:
		stage_end(c, S_IPXE_DHCP);
		epoll_ctl(ep, EPOLL_CTL_DEL, c->udp, NULL);
		close(c->udp);
		c->udp = -1;
		c->st = ST_HTTP;
		c->http_step = 0;
		char host[64];
		http_port_of(c->file, host, sizeof(host), c->path, sizeof(c->path));
		http_connect(c);
	}
}

static void on_udp(struct client *c)
{
	uint8_t buf[70000];
	struct sockaddr_in from;
	socklen_t fl;

	for (int i = 0; i < 64 && c->udp >= 0; i++) {
		fl = sizeof(from);
		ssize_t n = recvfrom(c->udp, buf, sizeof(buf), 0,
		                     (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		if (c->st == ST_TFTP)
			tftp_rx(c, buf, (size_t)n, &from);
		else if (c->st == ST_REQ4011 || c->st == ST_IPXE_REQ4011)
			got_reply(c, buf, (size_t)n);
	}
}

static void on_dhcp(void)
{
	uint8_t buf[1500];

	for (int i = 0; i < 256; i++) {
		ssize_t n = recv(dhcp_fd, buf, sizeof(buf), 0);
		if (n < BOOTP_FIXED + 4)
			return;
		if (buf[0] != 2 || buf[2] != 6)
			continue;
		/* MAC bytes 2..5 carry the client index */
		uint32_t idx = (uint32_t)buf[28 + 3] << 16 | (uint32_t)buf[28 + 4] << 8 |
		               buf[28 + 5];
		if (buf[28] != 0x52 || idx >= (uint32_t)o.n)
			continue;
		struct client *c = &cl[idx];
		if (c->st == ST_DISCOVER || c->st == ST_IPXE_DISCOVER)
			got_reply(c, buf, (size_t)n);
	}
}

static void on_tcp(struct client *c, uint32_t events)
{
	enum stage s = c->http_step == 2 ? S_IMAGE : S_SCRIPT;

	if (c->st != ST_HTTP)
		return;
	if (c->tls && !c->tls_ready) {
		tls_step(c);
		return;
	}
	if (events & EPOLLOUT) {
		int err = 0;
		socklen_t l = sizeof(err);
		getsockopt(c->tcp, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			fail(c, s, strerror(err));
			return;
		}
		if (c->http_step == 2 && o.https_port) {
			tls_step(c);
			return;
		}
		ep_mod(c->tcp, EPOLLIN, TAG_TCP | (uint64_t)c->id);
		http_send(c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		http_rx(c);
}

/* A deadline in HTTP says where the connection stood, to tell a server
 * that stopped sending (nothing unread here, no data in for long) from a
 * client that stopped reading (bytes unread in its socket) and from TCP
 * backing off (retransmissions, a long RTO). */
static void deadline_fail(struct client *c, enum stage s)
{
	char why[256];
	struct tcp_info ti;
	socklen_t tl = sizeof(ti);
	int inq = -1;

	if (c->st != ST_HTTP || c->tcp < 0) {
		fail(c, s, "deadline");
		return;
	}
	ioctl(c->tcp, SIOCINQ, &inq);
	memset(&ti, 0, sizeof(ti));
	getsockopt(c->tcp, IPPROTO_TCP, TCP_INFO, &ti, &tl);
	snprintf(why, sizeof(why),
	         "deadline (%s, body %llu in, %llu left; unread %d; tcp state %u, "
	         "last data in %u ms ago, rto %u ms, backoff %u, retrans %u, "
	         "rcv_space %u)",
	         c->in_body ? "in the body" : "no head yet",
	         (unsigned long long)c->body_got,
	         (unsigned long long)(c->in_body ? c->body_left : 0), inq,
	         ti.tcpi_state, ti.tcpi_last_data_recv, ti.tcpi_rto / 1000,
	         ti.tcpi_backoff, ti.tcpi_total_retrans, ti.tcpi_rcv_space);
	fail(c, s, why);
}

/* Retransmissions (1 s, doubling, 5 tries like iPXE) and deadlines. */
static void timers(double t)
{
	for (int i = 0; i < o.n; i++) {
		struct client *c = &cl[i];

		if (c->st == ST_WAIT || c->st == ST_DONE || c->st == ST_FAILED)
			continue;
		if (t > c->deadline) {
			enum stage s = c->st == ST_DISCOVER ? S_DHCP : c->st == ST_REQ4011 ? S_PXE
			             : c->st == ST_TFTP ? S_TFTP : c->st == ST_HTTP ?
			             (c->http_step == 2 ? S_IMAGE : S_SCRIPT) : S_IPXE_DHCP;
			deadline_fail(c, s);
			continue;
		}
		if (c->st == ST_HTTP || t < c->next_retry)
			continue;
		if (++c->tries > 6) {
			fail(c, c->st == ST_DISCOVER ? S_DHCP : c->st == ST_REQ4011 ? S_PXE
			     : c->st == ST_TFTP ? S_TFTP : S_IPXE_DHCP, "no answer after retries");
			continue;
		}
		c->next_retry = t + (c->st == ST_TFTP ? 1.0 : (double)(1 << (c->tries < 4 ? c->tries : 4)));
		switch (c->st) {
		case ST_DISCOVER: send_discover(c, false); break;
		case ST_IPXE_DISCOVER: send_discover(c, true); break;
		case ST_REQ4011: send_req4011(c, false); break;
		case ST_IPXE_REQ4011: send_req4011(c, true); break;
		case ST_TFTP:
			if (!c->tftp_connected)
				tftp_send_rrq(c);
			else
				tftp_ack(c, c->block);
			break;
		default: break;
		}
	}
}

/* ---- report ------------------------------------------------------------------- */
static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(const double *v, int n, double p)
{
	if (n == 0)
		return 0;
	int i = (int)(p * n + 0.999999) - 1;
	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static void report(double wall)
{
	double *v = calloc((size_t)o.n, sizeof(double));
	int fails[S__N] = {0};
	FILE *j = o.json ? fopen(o.json, "w") : NULL;

	for (int i = 0; i < o.n; i++)
		if (cl[i].st == ST_FAILED)
			fails[cl[i].failed_at]++;
		else if (cl[i].st != ST_DONE)
			fails[S_TOTAL]++;
	struct rusage ru;

	printf("storm: %d clients, %d done, %d failed, wall %.2f s\n", o.n, n_done,
	       o.n - n_done, wall);
	/* the simulator's own CPU: on a shared machine what it spends (its
	 * reads, and the TCP work the kernel charges to it) the servers
	 * cannot have */
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		printf("storm: client cpu: user %.2f s, sys %.2f s\n",
		       (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	printf("%-12s %9s %9s %9s %6s\n", "stage", "p50_ms", "p99_ms", "max_ms", "fail");
	if (j)
		fprintf(j, "{\"clients\": %d, \"done\": %d, \"failed\": %d, \"wall_s\": %.3f, \"stages\": {",
		        o.n, n_done, o.n - n_done, wall);
	for (int s = 0; s < S__N; s++) {
		int k = 0;
		for (int i = 0; i < o.n; i++)
			if (cl[i].st == ST_DONE)
				v[k++] = cl[i].dur[s];
		qsort(v, (size_t)k, sizeof(double), dcmp);
		printf("%-12s %9.1f %9.1f %9.1f %6d\n", stage_name[s], pct(v, k, 0.50) * 1e3,
		       pct(v, k, 0.99) * 1e3, k ? v[k - 1] * 1e3 : 0, fails[s]);
		if (j)
			fprintf(j, "%s\"%s\": {\"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f, \"failed\": %d}",
			        s ? ", " : "", stage_name[s], pct(v, k, 0.50) * 1e3,
			        pct(v, k, 0.99) * 1e3, k ? v[k - 1] * 1e3 : 0, fails[s]);
	}
	if (j) {
		fprintf(j, "}}\n");
		fclose(j);
	}
	/* the first few failures, for the reader */
	for (int i = 0, shown = 0; i < o.n && shown < 5; i++)
		if (cl[i].st == ST_FAILED) {
			printf("  failure: client %d in %s: %s\n", i, stage_name[cl[i].failed_at],
			       cl[i].fail_why);
			shown++;
		}
	free(v);
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: storm -s SERVER -I IFACE -a FIRST_CLIENT_IP [-n CLIENTS] [-k IPS]\n"
	        "             [-r RAMP_S] [-d DEADLINE_S] [-i IMAGE_PATH] [-b BLKSIZE]\n"
	        "             [-w WINDOWSIZE] [-A bios|efi] [-N] [-j JSON] [-S HTTPS_PORT] [-R RCVBUF] [-v]\n"
	        "  -N  skip the 4011 REQUEST when the offer names the loader\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int ch, one = 1;

	while ((ch = getopt(argc, argv, "n:s:I:a:k:r:d:i:b:w:A:Nj:p:S:R:v")) != -1) {
		switch (ch) {
		case 'n': o.n = atoi(optarg); break;
		case 's': inet_aton(optarg, &o.server); break;
		case 'I': o.ifname = optarg; break;
		case 'a': inet_aton(optarg, &o.ip_base); break;
		case 'k': o.n_ips = atoi(optarg); break;
		case 'r': o.ramp = atof(optarg); break;
		case 'd': o.deadline = atof(optarg); break;
		case 'i': o.image = optarg; break;
		case 'b': o.blksize = atoi(optarg); break;
		case 'w': o.window = atoi(optarg); break;
		case 'A': o.arch = optarg; break;
		case 'N': o.no_4011 = true; break;
		case 'j': o.json = optarg; break;
		case 'p': o.http_port = atoi(optarg); break;
		case 'S': o.https_port = atoi(optarg); break;
		case 'R': o.rcvbuf = atoi(optarg); break;
		case 'v': o.verbose++; break;
		default: usage();
		}
	}
	if (!o.server.s_addr || !o.ifname || !o.ip_base.s_addr || o.n < 1 ||
	    o.n > 1 << 24 || o.n_ips < 1)
		usage();
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	if (o.https_port && gnutls_certificate_allocate_credentials(&tls_cred) < 0) {
		fprintf(stderr, "gnutls credentials\n");
		return 2;
	}
	cl = calloc((size_t)o.n, sizeof(*cl));
	ep = epoll_create1(EPOLL_CLOEXEC);
	dhcp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!cl || ep < 0 || dhcp_fd < 0) {
		perror("setup");
		return 2;
	}
	int rcv = 8 << 20;
	setsockopt(dhcp_fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	setsockopt(dhcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(dhcp_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	if (setsockopt(dhcp_fd, SOL_SOCKET, SO_BINDTODEVICE, o.ifname,
	               (socklen_t)strlen(o.ifname)) < 0) {
		perror("SO_BINDTODEVICE");
		return 2;
	}
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_port = htons(68)};
	if (bind(dhcp_fd, (struct sockaddr *)&any, sizeof(any)) < 0) {
		perror("bind :68");
		return 2;
	}
	ep_add(dhcp_fd, EPOLLIN, TAG_DHCP);
	for (int i = 0; i < o.n; i++) {
		struct client *c = &cl[i];
		c->id = i;
		c->udp = c->tcp = -1;
		c->mac[0] = 0x52;
		c->mac[1] = 0x54;
		c->mac[2] = 0xbb;
		c->mac[3] = (uint8_t)(i >> 16);
		c->mac[4] = (uint8_t)(i >> 8);
		c->mac[5] = (uint8_t)i;
		c->ip.s_addr = htonl(ntohl(o.ip_base.s_addr) + (uint32_t)(i % o.n_ips));
	}

	double t0 = now(), t;
	int started = 0;
	struct epoll_event evs[256];

	while (n_done + n_failed < o.n) {
		t = now();
		while (started < o.n &&
		       (o.ramp <= 0 || t - t0 >= o.ramp * started / o.n))
			client_start(&cl[started++]);
		int n = epoll_wait(ep, evs, 256, 5);
		/* datagrams first: DHCP and TFTP are latency bound, HTTP bulk */
		for (int pass = 0; pass < 2; pass++)
			for (int i = 0; i < n; i++) {
				uint64_t tag = evs[i].data.u64;
				uint32_t idx = (uint32_t)tag;
				if (pass == 0 && (tag >> 32) == 3)
					on_dhcp();
				else if (pass == 0 && (tag >> 32) == 1)
					on_udp(&cl[idx]);
				else if (pass == 1 && (tag >> 32) == 2)
					on_tcp(&cl[idx], evs[i].events);
			}
		static double last_timers;
		t = now();
		if (t - last_timers > 0.01) {
			timers(t);
			last_timers = t;
		}
		if (t - t0 > o.deadline + o.ramp + 30)
			break;
	}
	report(now() - t0);
	return n_done == o.n ? 0 : 1;
}
