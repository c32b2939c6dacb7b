/* Server mode conflict detection: an ICMP echo to each address offered
 * afresh, sent beside the offer (the loop never waits); a reply before the
 * client's REQUEST marks the address as in use, and the REQUEST gets a NAK
 * (RFC 2131 4.4.1 suggests probing before allocating). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dhcp.h"
#include "log.h"

#define PROBE_ID 0x7068 /* "ph": echo id on the raw socket */

int pxh_dhcp_probe_socket(bool *raw)
{
	/* raw needs CAP_NET_RAW: open as root, before privileges go; the
	 * unprivileged ping socket needs net.ipv4.ping_group_range */
	int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                IPPROTO_ICMP);

	*raw = fd >= 0;
	if (fd < 0)
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		            IPPROTO_ICMP);
	return fd < 0 ? -errno : fd;
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

void pxh_dhcp_probe_send(struct pxh_dhcp_srv *v, uint32_t ip)
{
	uint8_t pkt[16] = {ICMP_ECHO, 0};
	struct sockaddr_in to = {.sin_family = AF_INET,
	                         .sin_addr.s_addr = htonl(ip)};
	uint16_t c;

	if (v->probe_fd < 0)
		return;
	v->probe_seq++;
	pkt[4] = PROBE_ID >> 8;
	pkt[5] = PROBE_ID & 0xff;
	pkt[6] = (uint8_t)(v->probe_seq >> 8);
	pkt[7] = (uint8_t)v->probe_seq;
	memcpy(pkt + 8, "pxehub-p", 8);
	c = csum(pkt, sizeof(pkt)); /* the ping socket fills its own */
	pkt[2] = (uint8_t)(c >> 8);
	pkt[3] = (uint8_t)c;
	/* best effort: a full buffer or no route only costs the probe */
	if (sendto(v->probe_fd, pkt, sizeof(pkt), MSG_DONTWAIT,
	           (struct sockaddr *)&to, sizeof(to)) >= 0)
		(*v->c_probes)++;
}

/* Echo replies: the address answers, so another host uses it. */
static void on_reply(struct ev_loop *loop, ev_io *w, int revents)
{
	struct pxh_dhcp_srv *v = w->data;

	(void)loop;
	(void)revents;
	for (int n = 0; n < 64; n++) {
		uint8_t buf[512];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(v->probe_fd, buf, sizeof(buf), MSG_DONTWAIT,
		                     (struct sockaddr *)&from, &fl);
		const uint8_t *icmp = buf;
		size_t len;

		if (r <= 0)
			return;
		len = (size_t)r;
		if (v->probe_raw) {
			/* the raw socket sees every ICMP message the host gets,
			 * IP header first: only our echo id counts */
			size_t ihl;
			if (len < 20 || (ihl = (size_t)(buf[0] & 15) * 4) < 20 ||
			    len < ihl + 8)
				continue;
			icmp = buf + ihl;
			len -= ihl;
			if ((icmp[4] << 8 | icmp[5]) != PROBE_ID)
				continue;
		}
		if (len < 8 || icmp[0] != ICMP_ECHOREPLY)
			continue;
		uint32_t ip = ntohl(from.sin_addr.s_addr);
		if (pxh_dhcp_lease_conflict(&v->leases, ip, (int64_t)time(NULL),
		                            v->decline_secs) == 0) {
			char a[16];
			pxh_dhcp_fmt_ip(from.sin_addr.s_addr, a);
			(*v->c_conflicts)++;
			pxh_warn("dhcp: %s answers a ping while offered: another host "
			         "uses it; not handed out for %llds (a REQUEST for it "
			         "gets a NAK)", a, (long long)v->decline_secs);
		}
	}
}

void pxh_dhcp_probe_start(struct pxh_dhcp_srv *v, int fd, bool raw)
{
	v->probe_fd = fd;
	v->probe_raw = raw;
	if (fd < 0 || !v->loop)
		return;
	ev_io_init(&v->probe_io, on_reply, fd, EV_READ);
	v->probe_io.data = v;
	ev_io_start(v->loop, &v->probe_io);
}

void pxh_dhcp_probe_stop(struct pxh_dhcp_srv *v)
{
	if (v->probe_fd < 0)
		return;
	if (v->loop)
		ev_io_stop(v->loop, &v->probe_io);
	close(v->probe_fd);
	v->probe_fd = -1;
}
