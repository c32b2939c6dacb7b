/* peer plugin: heartbeats on the shared segment, membership and the
 * election every peer computes alike from it. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- our own weight ---------------------------------------------------------- */
static double read_first(const char *file)
{
	FILE *f = fopen(file, "re");
	double v = 0;

	if (f) {
		if (fscanf(f, "%lf", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* The weight for the next minute.  Coarse steps, so that small changes in
 * load do not move clients from one peer to another; a load step changes
 * only 0.1 past its bound. */
static void weigh(struct peer *p)
{
	static const double bound[] = {0.5, 1.0, 2.0}; /* load per CPU */
	struct statvfs vfs;
	double free_gb = 0, load, up, f_disk, f_up;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (!statvfs(p->state_dir, &vfs))
		free_gb = (double)vfs.f_bavail * (double)vfs.f_frsize / 1073741824.0;
	load = read_first("/proc/loadavg") / (double)(ncpu > 0 ? ncpu : 1);
	up = read_first("/proc/uptime");
	while (p->load_step < 3 && load > bound[p->load_step] + 0.1)
		p->load_step++;
	while (p->load_step > 0 && load < bound[p->load_step - 1] - 0.1)
		p->load_step--;
	f_disk = free_gb < 1 ? 0.25 : free_gb < 10 ? 0.5 : free_gb < 50 ? 0.75 : 1;
	f_up = up < 600 ? 0.5 : 1;
	p->self.free_mb = (uint32_t)(free_gb * 1024 > 4e9 ? 4e9 : free_gb * 1024);
	p->self.load100 = (uint32_t)(load * 100 > 1e6 ? 1e6 : load * 100);
	p->self.uptime_s = (uint32_t)(up > 4e9 ? 4e9 : up);
	p->self.preference = p->preference;
	p->self.next_weight = (uint32_t)(p->preference * 1000.0 * f_disk *
	                                 (1.0 - 0.25 * p->load_step) * f_up);
	if (p->preference && !p->self.next_weight)
		p->self.next_weight = 1;
}

/* ---- the interface ------------------------------------------------------------- */
/* Find our interface (named, or the first one up with IPv4), its address
 * and broadcast address; join the group there.  0 or -ENODEV. */
static int find_iface(struct peer *p)
{
	struct ifaddrs *ifa, *i;
	int rc = -ENODEV;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_UP))
			continue;
		if (p->ifname[0] ? strcmp(p->ifname, i->ifa_name)
		                 : (i->ifa_flags & IFF_LOOPBACK) != 0)
			continue;
		if (!p->ifname[0])
			snprintf(p->ifname, sizeof(p->ifname), "%s", i->ifa_name);
		if (!p->fixed_addr)
			p->addr = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		p->bcast.s_addr = 0;
		if ((i->ifa_flags & IFF_BROADCAST) && i->ifa_broadaddr)
			p->bcast = ((struct sockaddr_in *)i->ifa_broadaddr)->sin_addr;
		/* no brd configured ("ip addr add" without "brd +"): the
		 * subnet's from address and mask */
		if (!p->bcast.s_addr && i->ifa_netmask) {
			struct in_addr a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			struct in_addr m = ((struct sockaddr_in *)i->ifa_netmask)->sin_addr;
			if (m.s_addr != 0xffffffffu)
				p->bcast.s_addr = a.s_addr | ~m.s_addr;
		}
		rc = 0;
		break;
	}
	freeifaddrs(ifa);
	if (rc)
		return rc;
	unsigned idx = if_nametoindex(p->ifname);
	if (idx && idx != p->ifindex && !p->use_bcast) {
		struct ip_mreqn mr = {.imr_multiaddr = p->group,
		                      .imr_ifindex = (int)idx};
		if (setsockopt(p->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
		               sizeof(mr)) < 0 && errno != EADDRINUSE)
			pxh_log(p->h, PXH_LOG_WARNING, NULL, "cannot join "
			        "%s on %s: %s", inet_ntoa(p->group), p->ifname,
			        strerror(errno));
		mr.imr_multiaddr.s_addr = 0;
		setsockopt(p->fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr));
	}
	if (idx != p->ifindex)
		pxh_log(p->h, PXH_LOG_INFO, NULL, "on %s, address %s",
		        p->ifname, inet_ntoa(p->addr));
	p->ifindex = idx;
	return 0;
}

/* ---- members --------------------------------------------------------------------- */
static struct peer_member *member(struct peer *p, const uint8_t *id, bool add)
{
	double now = pxh_now(p->h);

	for (size_t i = 0; i < p->n; i++)
		if (!memcmp(p->m[i].id, id, PEER_ID_LEN))
			return &p->m[i];
	if (!add)
		return NULL;
	if (p->n == PEER_MAX_MEMBERS - 1) {
		/* full: reuse the longest silent departed member */
		size_t old = p->n;
		for (size_t i = 0; i < p->n; i++)
			if (!p->m[i].alive && (old == p->n ||
			    p->m[i].last_heard < p->m[old].last_heard))
				old = i;
		if (old == p->n)
			return NULL;
		p->m[old] = p->m[--p->n];
	}
	memset(&p->m[p->n], 0, sizeof(p->m[p->n]));
	memcpy(p->m[p->n].id, id, PEER_ID_LEN);
	p->m[p->n].first_heard = now;
	return &p->m[p->n++];
}

size_t peer_alive_count(const struct peer *p)
{
	size_t n = 1;

	for (size_t i = 0; i < p->n; i++)
		n += p->m[i].alive;
	return n;
}

static void heard(struct peer *p, const struct peer_msg *msg,
                  const struct sockaddr_in *src)
{
	struct peer_member *m = member(p, msg->id, msg->type == PEER_T_HELLO);
	double now = pxh_now(p->h);
	bool was_alive;

	if (!m)
		return;
	was_alive = m->alive;
	if (msg->type == PEER_T_BYE) {
		if (was_alive) {
			m->alive = false;
			p->c.lost++;
			peer_event(p, PXH_LOG_NOTICE, "leave", NULL,
			           "%s (%s) left; its clients go to the next peer",
			           m->name, inet_ntoa(m->addr));
		}
		return;
	}
	snprintf(m->name, sizeof(m->name), "%s", msg->name);
	m->addr.s_addr = msg->addr ? msg->addr : src->sin_addr.s_addr;
	m->http_port = msg->http_port;
	m->flags = msg->flags;
	m->weight = msg->weight;
	m->next_weight = msg->next_weight;
	m->minute = msg->time_ms / 60000;
	m->free_mb = msg->free_mb;
	m->load100 = msg->load100;
	m->uptime_s = msg->uptime_s;
	m->preference = msg->preference;
	m->held = msg->held;
	m->total = msg->total;
	m->last_heard = now;
	m->alive = true;
	if (!was_alive) {
		p->c.joined++;
		peer_event(p, PXH_LOG_NOTICE, "join", NULL,
		           "%s (%s) joined, weight %u%s; %zu peers", m->name,
		           inet_ntoa(m->addr), m->weight,
		           m->flags & PEER_F_JOINING ? ", still listening" : "",
		           peer_alive_count(p));
	}
	if (msg->serial != m->serial || !was_alive) {
		m->serial = msg->serial;
		peer_content_heard(p, m);
	}
}

static void on_read(void *ud, int fd, int revents)
{
	struct peer *p = ud;

	(void)revents;
	for (int batch = 0; batch < 64; batch++) {
		uint8_t buf[PEER_MSG_MAX + 1];
		union {
			char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
			struct cmsghdr align;
		} ctl;
		struct sockaddr_in src;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr mh = {.msg_name = &src, .msg_namelen = sizeof(src),
		                    .msg_iov = &iov, .msg_iovlen = 1,
		                    .msg_control = ctl.b,
		                    .msg_controllen = sizeof(ctl.b)};
		struct in_pktinfo pi = {0};
		struct peer_msg msg;
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		int rc;

		if (n < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
		     c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_PKTINFO)
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		/* group and broadcast traffic only from our segment; unicast
		 * (the peers key) from anywhere routed to us */
		uint32_t dst = ntohl(pi.ipi_addr.s_addr);
		if (p->ifindex && (IN_MULTICAST(dst) || dst == 0xffffffffu ||
		                   pi.ipi_addr.s_addr == p->bcast.s_addr) &&
		    (unsigned)pi.ipi_ifindex != p->ifindex) {
			p->c.rx_other_if++;
			continue;
		}
		rc = peer_msg_decode(buf, (size_t)n, p->key, p->keylen, &msg);
		if (rc == -EBADMSG) {
			p->c.rx_malformed++;
			continue;
		}
		if (rc) {
			if (p->c.rx_auth++ % 100 == 0)
				pxh_log(p->h, PXH_LOG_NOTICE, NULL, "heartbeat "
				        "from %s:%u failed authentication (another "
				        "key?): ignored (%llu so far)",
				        inet_ntoa(src.sin_addr), ntohs(src.sin_port),
				        (unsigned long long)p->c.rx_auth);
			continue;
		}
		if (!memcmp(msg.id, p->self.id, PEER_ID_LEN))
			continue; /* our own, looped back */
		switch (peer_replay_check(&p->replay, msg.id, msg.seq,
		                          msg.time_ms, wall_ms(),
		                          pxh_now(p->h))) {
		case PEER_RP_OK:
			p->c.rx_ok++;
			heard(p, &msg, &src);
			break;
		case PEER_RP_STALE:
			if (p->c.rx_stale++ % 100 == 0)
				pxh_log(p->h, PXH_LOG_NOTICE, NULL, "heartbeat "
				        "of %s from %s outside the %.0f s window "
				        "(replayed, or clocks apart): ignored",
				        msg.name, inet_ntoa(src.sin_addr), p->skew);
			break;
		case PEER_RP_REPLAY:
			if (p->c.rx_replay++ % 100 == 0)
				pxh_log(p->h, PXH_LOG_NOTICE, NULL, "replayed "
				        "heartbeat of %s (seq %llu) from %s: ignored",
				        msg.name, (unsigned long long)msg.seq,
				        inet_ntoa(src.sin_addr));
			break;
		case PEER_RP_FULL:
			p->c.rx_full++;
			break;
		}
	}
}

/* ---- sending ----------------------------------------------------------------------- */
/* IFINDEX > 0: leave through that interface (a limited broadcast has no
 * route to choose one by). */
static void send_to(struct peer *p, const uint8_t *b, size_t n,
                    const struct sockaddr_in *to, unsigned ifindex)
{
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)b, .iov_len = n};
	struct msghdr mh = {.msg_name = (void *)to, .msg_namelen = sizeof(*to),
	                    .msg_iov = &iov, .msg_iovlen = 1};

	if (ifindex) {
		struct in_pktinfo pi = {.ipi_ifindex = (int)ifindex};
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	if (sendmsg(p->fd, &mh, MSG_DONTWAIT) < 0)
		p->c.tx_errors++;
	else
		p->c.tx++;
}

static void send_msg(struct peer *p, uint8_t type)
{
	struct peer_msg m = {0};
	uint8_t buf[PEER_MSG_MAX];
	uint64_t now = wall_ms();
	int n;

	m.type = type;
	m.flags = p->self.flags;
	memcpy(m.id, p->self.id, PEER_ID_LEN);
	/* microseconds since the epoch, then +1: higher than anything this
	 * node sent before a restart, without keeping state */
	if (p->seq < now * 1000u)
		p->seq = now * 1000u;
	m.seq = ++p->seq;
	m.time_ms = now;
	m.addr = p->addr.s_addr;
	m.http_port = p->http_port;
	m.weight = p->self.weight;
	m.next_weight = p->self.next_weight;
	m.free_mb = p->self.free_mb;
	m.load100 = p->self.load100;
	m.uptime_s = p->self.uptime_s;
	m.preference = p->self.preference;
	m.serial = p->mf.serial;
	m.held = peer_content_held(p);
	m.total = (uint32_t)p->mf.n;
	snprintf(m.name, sizeof(m.name), "%s", p->name);
	n = peer_msg_encode(&m, p->key, p->keylen, buf, sizeof(buf));
	if (n < 0)
		return;
	if (p->ifindex) {
		struct sockaddr_in to = {.sin_family = AF_INET,
		                         .sin_port = htons(p->port)};
		/* the limited broadcast, out of our interface: the subnet's
		 * address is only a broadcast where "brd" was configured */
		to.sin_addr.s_addr = p->use_bcast ? htonl(INADDR_BROADCAST)
		                                  : p->group.s_addr;
		send_to(p, buf, (size_t)n, &to, p->use_bcast ? p->ifindex : 0);
	}
	for (size_t i = 0; i < p->n_unicast; i++)
		send_to(p, buf, (size_t)n, &p->unicast[i], 0);
}

static void tick(void *ud)
{
	struct peer *p = ud;
	double now = pxh_now(p->h);
	size_t i;

	if (!p->ifindex || !p->fixed_addr)
		find_iface(p);
	/* Weights change only when a minute of Unix time begins, to the value
	 * announced during the whole minute before: every peer switches at
	 * the same moment (as far as the clocks agree), so no client is
	 * answered twice or not at all because views differ. */
	uint64_t minute = wall_ms() / 60000;
	if (minute != p->self.minute) {
		p->self.weight = p->self.next_weight;
		p->self.minute = minute;
		weigh(p);
	}
	if ((p->self.flags & PEER_F_JOINING) && now - p->started >= p->join_wait) {
		p->self.flags &= (uint16_t)~PEER_F_JOINING;
		peer_event(p, PXH_LOG_NOTICE, "ready", NULL,
		           "%s answers clients now; %zu peers, weight %u",
		           p->name, peer_alive_count(p), p->self.weight);
	}
	if (peer_content_held(p) == p->mf.n && (p->mf.n || !p->pub))
		p->self.flags |= PEER_F_READY;
	else
		p->self.flags &= (uint16_t)~PEER_F_READY;
	for (i = 0; i < p->n; i++) {
		struct peer_member *m = &p->m[i];

		if (m->alive && now - m->last_heard > p->dead_after) {
			m->alive = false;
			p->c.lost++;
			peer_event(p, PXH_LOG_NOTICE, "lost", NULL,
			           "%s (%s) silent for %.1f s: gone; its clients "
			           "go to the next peer (%zu left)", m->name,
			           inet_ntoa(m->addr), now - m->last_heard,
			           peer_alive_count(p));
		}
	}
	/* departed members stay listed ten minutes */
	for (i = 0; i < p->n;)
		if (!p->m[i].alive && now - p->m[i].last_heard > 600)
			p->m[i] = p->m[--p->n];
		else
			i++;
	send_msg(p, PEER_T_HELLO);
	peer_content_tick(p);
}

/* ---- election ---------------------------------------------------------------------- */
/* The weight in force now: announced ahead, see tick(). */
static uint32_t weight_now(const struct peer_member *m, uint64_t minute)
{
	return minute > m->minute ? m->next_weight : m->weight;
}

static bool eligible(const struct peer_member *m, bool need_ready,
                     uint64_t minute)
{
	return m->alive && !(m->flags & PEER_F_JOINING) &&
	       weight_now(m, minute) > 0 &&
	       (!need_ready || (m->flags & PEER_F_READY));
}

const struct peer_member *peer_elect(struct peer *p, const uint8_t mac[6],
                                     size_t *rank_of_self, size_t *n_cand)
{
	const struct peer_member *who[PEER_MAX_MEMBERS];
	struct peer_cand c[PEER_MAX_MEMBERS];
	size_t order[PEER_MAX_MEMBERS], n = 0, i;
	bool need_ready = false;
	uint64_t minute = wall_ms() / 60000;

	*rank_of_self = 0;
	*n_cand = 0;
	if (p->self.flags & PEER_F_JOINING)
		return NULL; /* we do not know the others yet */
	p->self.alive = true;
	/* peers holding every file come first, when there are any */
	if (eligible(&p->self, true, minute))
		need_ready = true;
	for (i = 0; i < p->n && !need_ready; i++)
		need_ready = eligible(&p->m[i], true, minute);
	if (eligible(&p->self, need_ready, minute))
		who[n++] = &p->self;
	for (i = 0; i < p->n; i++)
		if (eligible(&p->m[i], need_ready, minute))
			who[n++] = &p->m[i];
	if (!n)
		return NULL;
	for (i = 0; i < n; i++) {
		c[i].id = who[i]->id;
		c[i].weight = weight_now(who[i], minute);
	}
	peer_rank(c, n, mac, order);
	*n_cand = n;
	for (i = 0; i < n; i++)
		if (who[order[i]] == &p->self)
			*rank_of_self = i;
	return who[order[0]];
}

/* ---- start and stop --------------------------------------------------------------- */
static int parse_unicast(struct peer *p, char *why, size_t why_len)
{
	size_t n = p->cf->peers.n;

	for (size_t i = 0; i < n; i++) {
		const char *w = p->cf->peers.v[i];
		char host[64];
		const char *colon = strchr(w, ':');
		unsigned port = p->port;
		struct sockaddr_in *a;

		if (p->n_unicast == PEER_MAX_UNICAST) {
			snprintf(why, why_len, "peers: at most %d addresses",
			         PEER_MAX_UNICAST);
			return -EINVAL;
		}
		a = &p->unicast[p->n_unicast];
		snprintf(host, sizeof(host), "%.*s",
		         (int)(colon ? (size_t)(colon - w) : strlen(w)), w);
		if (colon && (sscanf(colon + 1, "%u", &port) != 1 || !port ||
		              port > 65535)) {
			snprintf(why, why_len, "peers: bad port in %s", w);
			return -EINVAL;
		}
		memset(a, 0, sizeof(*a));
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
			snprintf(why, why_len, "peers: %s is not an IPv4 address", w);
			return -EINVAL;
		}
		p->n_unicast++;
	}
	return 0;
}

int peer_net_start(struct peer *p, char *why, size_t why_len)
{
	const char *g = p->cf->group;
	const char *a = p->cf->address;
	struct sockaddr_in sa = {.sin_family = AF_INET,
	                         .sin_port = htons(p->port)};
	int one = 1, zero = 0, rc;

	if (!strcmp(g, "broadcast")) {
		p->use_bcast = true;
	} else if (inet_pton(AF_INET, g, &p->group) != 1 ||
	           !IN_MULTICAST(ntohl(p->group.s_addr))) {
		snprintf(why, why_len, "group %s: neither a multicast address "
		         "nor \"broadcast\"", g);
		return -EINVAL;
	}
	if (a && *a) {
		if (inet_pton(AF_INET, a, &p->addr) != 1) {
			snprintf(why, why_len, "address %s: not an IPv4 address", a);
			return -EINVAL;
		}
		p->fixed_addr = true;
	}
	if ((rc = parse_unicast(p, why, why_len)))
		return rc;
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0 ||
	    setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(p->fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) ||
	    setsockopt(p->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) ||
	    setsockopt(p->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero,
	               sizeof(zero)) ||
	    setsockopt(p->fd, IPPROTO_IP, IP_MULTICAST_TTL, &one, sizeof(one)) ||
	    bind(p->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		snprintf(why, why_len, "UDP port %u: %s", p->port, strerror(errno));
		return rc;
	}
	if (find_iface(p) && !p->n_unicast)
		pxh_log(p->h, PXH_LOG_WARNING, NULL, "no interface %s up "
		        "with IPv4 yet; trying again every heartbeat",
		        p->ifname[0] ? p->ifname : "(any)");
	peer_replay_init(&p->replay, p->skew);
	p->self.flags = p->join_wait > 0 ? PEER_F_JOINING : 0;
	p->self.alive = true;
	p->self.http_port = p->http_port;
	snprintf(p->self.name, sizeof(p->self.name), "%s", p->name);
	p->started = pxh_now(p->h);
	weigh(p);
	p->self.weight = p->self.next_weight;
	p->self.minute = wall_ms() / 60000;
	p->io = pxh_io_watch(p->h, p->fd, PXH_IO_READ, on_read, p);
	p->hb_timer = pxh_timer_start(p->h, 0.01, p->hb, tick, p);
	if (!p->io || !p->hb_timer) {
		snprintf(why, why_len, "cannot watch the socket");
		return -ENOMEM;
	}
	pxh_log(p->h, PXH_LOG_INFO, NULL, "%s on UDP %s:%u, heartbeat "
	        "%.0f ms, gone after %.0f ms, weight %u", p->name,
	        p->use_bcast ? "broadcast" : inet_ntoa(p->group), p->port,
	        p->hb * 1000, p->dead_after * 1000, p->self.weight);
	return 0;
}

void peer_net_stop(struct peer *p)
{
	if (p->fd >= 0 && p->hb_timer)
		send_msg(p, PEER_T_BYE);
	pxh_timer_stop(p->hb_timer);
	p->hb_timer = NULL;
	pxh_io_stop(p->io);
	p->io = NULL;
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}
