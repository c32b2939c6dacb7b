/* Server mode lease table: allocation, expiry and the lease file. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dhcp.h"
#include "log.h"

#define LEASE_FILE_MAX (4u << 20) /* a longer file is not ours */

static const uint8_t no_mac[6];

void pxh_dhcp_leases_free(struct pxh_dhcp_leases *ls)
{
	free(ls->v);
	ls->v = NULL;
	ls->n = ls->cap = 0;
}

static bool live(const struct pxh_dhcp_lease *l, int64_t now)
{
	return l->state != PXH_LEASE_FREE && l->expires > now;
}

struct pxh_dhcp_lease *pxh_dhcp_lease_by_mac(struct pxh_dhcp_leases *ls,
                                             const struct pxh_dhcp_pool *pool,
                                             const uint8_t mac[6])
{
	for (size_t i = 0; i < ls->n; i++) {
		struct pxh_dhcp_lease *l = &ls->v[i];
		if (l->state != PXH_LEASE_OFFERED && l->state != PXH_LEASE_BOUND)
			continue;
		if (memcmp(l->mac, mac, 6) ||
		    (pool && !pxh_dhcp_pool_in_range(pool, l->ip)))
			continue;
		return l;
	}
	return NULL;
}

struct pxh_dhcp_lease *pxh_dhcp_lease_by_ip(struct pxh_dhcp_leases *ls,
                                            uint32_t ip)
{
	for (size_t i = 0; i < ls->n; i++)
		if (ls->v[i].state != PXH_LEASE_FREE && ls->v[i].ip == ip)
			return &ls->v[i];
	return NULL;
}

bool pxh_dhcp_lease_ip_free(struct pxh_dhcp_leases *ls, uint32_t ip,
                            const uint8_t mac[6], int64_t now)
{
	const struct pxh_dhcp_lease *l = pxh_dhcp_lease_by_ip(ls, ip);

	if (!l || !live(l, now))
		return true;
	return l->state != PXH_LEASE_DECLINED && !memcmp(l->mac, mac, 6);
}

static void remove_at(struct pxh_dhcp_leases *ls, size_t i)
{
	if (ls->v[i].state == PXH_LEASE_BOUND || ls->v[i].state == PXH_LEASE_DECLINED)
		ls->dirty = true;
	ls->v[i] = ls->v[--ls->n];
}

size_t pxh_dhcp_leases_prune(struct pxh_dhcp_leases *ls, int64_t now,
                             const struct pxh_dhcp_pool *pools, size_t npools)
{
	size_t dropped = 0;

	for (size_t i = 0; i < ls->n;) {
		const struct pxh_dhcp_lease *l = &ls->v[i];
		bool keep = live(l, now);
		if (keep && pools) {
			keep = false;
			for (size_t k = 0; k < npools && !keep; k++)
				keep = pxh_dhcp_pool_in_range(&pools[k], l->ip);
		}
		if (keep) {
			i++;
			continue;
		}
		remove_at(ls, i);
		dropped++;
	}
	return dropped;
}

size_t pxh_dhcp_leases_count(const struct pxh_dhcp_leases *ls, int state,
                             int64_t now)
{
	size_t n = 0;
	for (size_t i = 0; i < ls->n; i++)
		if (ls->v[i].state == state && live(&ls->v[i], now))
			n++;
	return n;
}

/* A slot for a new entry: grow up to ls->max, else reuse expired ones. */
static struct pxh_dhcp_lease *new_slot(struct pxh_dhcp_leases *ls, int64_t now)
{
	if (ls->n == ls->cap && ls->n < ls->max) {
		size_t nc = ls->cap ? ls->cap * 2 : 64;
		struct pxh_dhcp_lease *nv;
		if (nc > ls->max)
			nc = ls->max;
		nv = realloc(ls->v, nc * sizeof(*nv));
		if (nv) {
			ls->v = nv;
			ls->cap = nc;
		}
	}
	if (ls->n == ls->cap && pxh_dhcp_leases_prune(ls, now, NULL, 0) == 0)
		return NULL;
	struct pxh_dhcp_lease *l = &ls->v[ls->n++];
	memset(l, 0, sizeof(*l));
	return l;
}

/* Put (or move) MAC's entry on IP in STATE until EXPIRES. */
static int set_lease(struct pxh_dhcp_leases *ls, const uint8_t mac[6],
                     uint32_t ip, int state, int64_t now, int64_t expires)
{
	struct pxh_dhcp_lease *l = pxh_dhcp_lease_by_ip(ls, ip);

	/* one entry per address, and one address per MAC and range: an older
	 * entry of MAC elsewhere is dropped */
	for (size_t i = 0; i < ls->n;) {
		struct pxh_dhcp_lease *o = &ls->v[i];
		if (o != l && o->state != PXH_LEASE_DECLINED &&
		    o->state != PXH_LEASE_FREE && !memcmp(o->mac, mac, 6) &&
		    o->ip != ip) {
			bool was_l = l == &ls->v[ls->n - 1];
			remove_at(ls, i);
			if (was_l)
				l = o; /* the last entry moved into slot i */
			continue;
		}
		i++;
	}
	if (!l && !(l = new_slot(ls, now)))
		return -ENOSPC;
	if (l->state != state || memcmp(l->mac, mac, 6))
		l->since = now;
	l->ip = ip;
	memcpy(l->mac, mac, 6);
	if (state == PXH_LEASE_BOUND || state == PXH_LEASE_DECLINED ||
	    l->state == PXH_LEASE_BOUND)
		ls->dirty = true;
	l->state = (uint8_t)state;
	l->expires = expires;
	return 0;
}

/* The oldest outstanding offer, when there are max_offers of them. */
static struct pxh_dhcp_lease *offer_to_reclaim(struct pxh_dhcp_leases *ls,
                                               int64_t now)
{
	struct pxh_dhcp_lease *oldest = NULL;
	size_t n = 0;

	for (size_t i = 0; i < ls->n; i++) {
		struct pxh_dhcp_lease *l = &ls->v[i];
		if (l->state != PXH_LEASE_OFFERED || !live(l, now))
			continue;
		n++;
		if (!oldest || l->since < oldest->since)
			oldest = l;
	}
	return ls->max_offers && n >= ls->max_offers ? oldest : NULL;
}

/* First free address of POOL from a place the MAC chooses (so a client
 * tends to get the same address again after its lease is gone): one pass
 * over the table marks what is taken. */
static uint32_t find_free(struct pxh_dhcp_leases *ls,
                          const struct pxh_dhcp_pool *pool,
                          const uint8_t mac[6], int64_t now)
{
	uint32_t size = pool->last - pool->first + 1;
	uint64_t *used = calloc((size + 63) / 64, sizeof(uint64_t));
	uint32_t found = 0;

	if (!used)
		return 0;
	for (size_t i = 0; i < ls->n; i++) {
		const struct pxh_dhcp_lease *l = &ls->v[i];
		if (!live(l, now) || !pxh_dhcp_pool_in_range(pool, l->ip))
			continue;
		uint32_t k = l->ip - pool->first;
		used[k / 64] |= 1ull << (k % 64);
	}
	uint32_t start = pxh_dhcp_mac_hash(mac) % size;
	for (uint32_t j = 0; j < size; j++) {
		uint32_t k = (start + j) % size;
		if (!(used[k / 64] & (1ull << (k % 64)))) {
			found = pool->first + k;
			break;
		}
	}
	free(used);
	return found;
}

uint32_t pxh_dhcp_lease_offer(struct pxh_dhcp_leases *ls,
                              const struct pxh_dhcp_pool *pool,
                              const uint8_t mac[6], uint32_t want,
                              int64_t now, int64_t hold, int *err)
{
	struct pxh_dhcp_lease *l = pxh_dhcp_lease_by_mac(ls, pool, mac);
	uint32_t ip = 0;

	*err = 0;
	if (l) {
		/* its own lease: a bound one stays bound until the REQUEST */
		if (l->state == PXH_LEASE_BOUND && live(l, now))
			return l->ip;
		if (pxh_dhcp_lease_ip_free(ls, l->ip, mac, now))
			ip = l->ip;
	}
	if (!ip && want && pxh_dhcp_pool_in_range(pool, want) &&
	    pxh_dhcp_lease_ip_free(ls, want, mac, now))
		ip = want;
	if (!ip)
		ip = find_free(ls, pool, mac, now);
	if (!ip) {
		/* full of offers nobody took up: the oldest goes back */
		struct pxh_dhcp_lease *o = offer_to_reclaim(ls, now);
		if (o && pxh_dhcp_pool_in_range(pool, o->ip)) {
			ip = o->ip;
			o->state = PXH_LEASE_FREE;
			o->expires = 0;
		}
	}
	if (!ip) {
		*err = PXH_LEASE_EXHAUSTED;
		return 0;
	}
	/* a flood of new MACs holds at most max_offers addresses */
	struct pxh_dhcp_lease *o = offer_to_reclaim(ls, now);
	if (o && o->ip != ip && memcmp(o->mac, mac, 6)) {
		o->state = PXH_LEASE_FREE;
		o->expires = 0;
	}
	if (set_lease(ls, mac, ip, PXH_LEASE_OFFERED, now, now + hold) < 0) {
		*err = PXH_LEASE_TABLE_FULL;
		return 0;
	}
	return ip;
}

int pxh_dhcp_lease_bind(struct pxh_dhcp_leases *ls, const uint8_t mac[6],
                        uint32_t ip, int64_t now, int64_t secs)
{
	if (!pxh_dhcp_lease_ip_free(ls, ip, mac, now))
		return -EADDRINUSE;
	return set_lease(ls, mac, ip, PXH_LEASE_BOUND, now, now + secs);
}

int pxh_dhcp_lease_release(struct pxh_dhcp_leases *ls, const uint8_t mac[6],
                           uint32_t ip)
{
	for (size_t i = 0; i < ls->n; i++) {
		struct pxh_dhcp_lease *l = &ls->v[i];
		if (l->ip == ip && !memcmp(l->mac, mac, 6) &&
		    (l->state == PXH_LEASE_BOUND || l->state == PXH_LEASE_OFFERED)) {
			remove_at(ls, i);
			return 0;
		}
	}
	return -ENOENT;
}

/* In use by another host: nobody's, and not handed out for SECS. */
static void mark_declined(struct pxh_dhcp_leases *ls, struct pxh_dhcp_lease *l,
                          int64_t now, int64_t secs)
{
	memcpy(l->mac, no_mac, 6);
	l->state = PXH_LEASE_DECLINED;
	l->since = now;
	l->expires = now + secs;
	ls->dirty = true;
}

int pxh_dhcp_lease_decline(struct pxh_dhcp_leases *ls, const uint8_t mac[6],
                           uint32_t ip, int64_t now, int64_t secs)
{
	struct pxh_dhcp_lease *l = pxh_dhcp_lease_by_ip(ls, ip);

	/* only the client the address was given to may decline it: anyone
	 * else could take addresses out of the pool at will */
	if (!l || memcmp(l->mac, mac, 6) ||
	    (l->state != PXH_LEASE_BOUND && l->state != PXH_LEASE_OFFERED))
		return -ENOENT;
	mark_declined(ls, l, now, secs);
	return 0;
}

int pxh_dhcp_lease_conflict(struct pxh_dhcp_leases *ls, uint32_t ip,
                            int64_t now, int64_t secs)
{
	struct pxh_dhcp_lease *l = pxh_dhcp_lease_by_ip(ls, ip);

	/* a bound address answers pings from its own client: only an offer
	 * (nobody has it yet) is a conflict */
	if (!l || l->state != PXH_LEASE_OFFERED || l->expires <= now)
		return -ENOENT;
	mark_declined(ls, l, now, secs);
	return 0;
}

void pxh_dhcp_lease_unoffer(struct pxh_dhcp_leases *ls, const uint8_t mac[6])
{
	for (size_t i = 0; i < ls->n; i++) {
		if (ls->v[i].state == PXH_LEASE_OFFERED &&
		    !memcmp(ls->v[i].mac, mac, 6)) {
			remove_at(ls, i);
			return;
		}
	}
}

/* ---- the lease file ------------------------------------------------------ */
static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
	           &b[4], &b[5], &tail) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* One line: "lease IP MAC EXPIRES" or "declined IP - EXPIRES". */
static int parse_line(struct pxh_dhcp_leases *ls, char *line, int64_t now)
{
	char *tok[5];
	int n = 0;
	char *save = NULL;
	struct in_addr a;
	uint8_t mac[6] = {0};
	char *end;
	long long exp;
	int state;

	for (char *t = strtok_r(line, " \t", &save); t && n < 5;
	     t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	if (n != 4)
		return -EINVAL;
	if (!strcmp(tok[0], "lease"))
		state = PXH_LEASE_BOUND;
	else if (!strcmp(tok[0], "declined"))
		state = PXH_LEASE_DECLINED;
	else
		return -EINVAL;
	if (inet_pton(AF_INET, tok[1], &a) != 1 || !a.s_addr)
		return -EINVAL;
	if (state == PXH_LEASE_BOUND ? parse_mac(tok[2], mac) < 0
	                             : strcmp(tok[2], "-") != 0)
		return -EINVAL;
	errno = 0;
	exp = strtoll(tok[3], &end, 10);
	if (errno || *end || end == tok[3] || exp < 0)
		return -EINVAL;
	if (exp <= now)
		return 0; /* expired while we were away */
	if (pxh_dhcp_lease_by_ip(ls, ntohl(a.s_addr)))
		return -EEXIST;
	if (ls->n >= ls->max)
		return -ENOSPC;
	struct pxh_dhcp_lease *l = new_slot(ls, now);
	if (!l)
		return -ENOSPC;
	l->ip = ntohl(a.s_addr);
	memcpy(l->mac, mac, 6);
	l->state = (uint8_t)state;
	l->expires = exp;
	l->since = now;
	return 0;
}

int pxh_dhcp_leases_parse(struct pxh_dhcp_leases *ls, const char *text,
                          size_t len, int64_t now, size_t *bad)
{
	size_t i = 0;

	*bad = 0;
	while (i < len) {
		char line[160];
		size_t e = i, k = 0;
		while (e < len && text[e] != '\n')
			e++;
		/* a line longer than any we write is not one of ours */
		if (e - i < sizeof(line)) {
			for (size_t j = i; j < e; j++)
				line[k++] = text[j] ? text[j] : ' ';
			line[k] = 0;
			if (k && line[0] != '#' && parse_line(ls, line, now) < 0)
				(*bad)++;
		} else {
			(*bad)++;
		}
		i = e + 1;
	}
	ls->dirty = false;
	return 0;
}

int pxh_dhcp_leases_load(struct pxh_dhcp_leases *ls, const char *path,
                         int64_t now)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	char *buf = NULL;
	size_t bad = 0, got = 0;
	int r = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > LEASE_FILE_MAX) {
		r = -EINVAL;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	pxh_dhcp_leases_parse(ls, buf, got, now, &bad);
	if (bad)
		pxh_warn("dhcp: %s: %zu line(s) not understood or beyond "
		         "max_leases: skipped", path, bad);
out:
	free(buf);
	close(fd);
	return r;
}

int pxh_dhcp_leases_save(struct pxh_dhcp_leases *ls, const char *path,
                         int64_t now)
{
	char tmp[4200];
	FILE *f;
	int fd, r = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	fprintf(f, "# pxehub DHCP leases: lease ADDRESS MAC EXPIRES | declined "
	           "ADDRESS - EXPIRES (seconds since 1970)\n");
	for (size_t i = 0; i < ls->n; i++) {
		const struct pxh_dhcp_lease *l = &ls->v[i];
		char ip[16], mac[18];
		if (!live(l, now) || (l->state != PXH_LEASE_BOUND &&
		                      l->state != PXH_LEASE_DECLINED))
			continue;
		pxh_dhcp_fmt_ip(htonl(l->ip), ip);
		if (l->state == PXH_LEASE_BOUND)
			pxh_dhcp_fmt_mac(l->mac, mac);
		fprintf(f, "%s %s %s %lld\n",
		        l->state == PXH_LEASE_BOUND ? "lease" : "declined", ip,
		        l->state == PXH_LEASE_BOUND ? mac : "-",
		        (long long)l->expires);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		r = -errno;
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	else
		ls->dirty = false;
	return r;
}
