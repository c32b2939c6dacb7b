/* Per-source-address bounds: an exact count of what each address holds
 * (TFTP transfers, HTTP connections) and a per-address token bucket for
 * request rates and reply rates; IPv4 and IPv6 alike. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "addr_limit.h"

struct pxh_addr_node {
	struct pxh_addr_node *next;
	pxh_addr_key addr;
	uint32_t n;
};

/* The key of one address.  IPv4 as its v4-mapped IPv6 form, so a
 * dual-stack socket's ::ffff:10.0.0.5 and a plain 10.0.0.5 are one client.
 * IPv6 by the whole address, not its /64: a boot network is one /64, and
 * keying on it would give all its machines one machine's share (the
 * global caps bound a host that rotates addresses, as they bound an IPv4
 * host that takes free addresses on its LAN).  A link-local address
 * carries its interface in bytes 4-7 (zero in every fe80::/64 address):
 * fe80::1 on eth0 and fe80::1 on eth1 are two machines. */
pxh_addr_key pxh_addr_key_v4(uint32_t addr)
{
	pxh_addr_key k = {0, 0};

	k.lo = 0xffff00000000ull | ntohl(addr);
	return k;
}

pxh_addr_key pxh_addr_key_of(const struct sockaddr *sa)
{
	pxh_addr_key k = {0, 0};

	if (sa->sa_family == AF_INET)
		return pxh_addr_key_v4(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr);
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)sa;
		const uint8_t *b = a->sin6_addr.s6_addr;

		for (int i = 0; i < 8; i++) {
			k.hi = k.hi << 8 | b[i];
			k.lo = k.lo << 8 | b[8 + i];
		}
		if (IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr))
			k.hi |= a->sin6_scope_id;
	}
	return k;
}

static bool key_eq(pxh_addr_key a, pxh_addr_key b)
{
	return a.hi == b.hi && a.lo == b.lo;
}

static unsigned addr_hash(pxh_addr_key k, unsigned mask)
{
	uint64_t a = k.lo ^ (k.hi * 0x9e3779b97f4a7c15ull);

	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdull;
	a ^= a >> 33;
	a *= 0xc4ceb9fe1a85ec53ull;
	a ^= a >> 33;
	return (unsigned)a & mask;
}

/* ---- exact counts ------------------------------------------------------------ */
/* Chained: a node exists only while its address holds something, so the
 * table is as large as what is held (bounded by the global caps), and an
 * address can never lose its count to another one. */
uint32_t pxh_addr_count_get(const struct pxh_addr_count *c, pxh_addr_key addr)
{
	for (const struct pxh_addr_node *n = c->b[addr_hash(addr, PXH_ADDR_BUCKETS - 1)];
	     n; n = n->next)
		if (key_eq(n->addr, addr))
			return n->n;
	return 0;
}

int pxh_addr_count_add(struct pxh_addr_count *c, pxh_addr_key addr)
{
	struct pxh_addr_node **h = &c->b[addr_hash(addr, PXH_ADDR_BUCKETS - 1)], *n;

	for (n = *h; n; n = n->next)
		if (key_eq(n->addr, addr)) {
			n->n++;
			return 0;
		}
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->addr = addr;
	n->n = 1;
	n->next = *h;
	*h = n;
	return 0;
}

void pxh_addr_count_del(struct pxh_addr_count *c, pxh_addr_key addr)
{
	for (struct pxh_addr_node **p = &c->b[addr_hash(addr, PXH_ADDR_BUCKETS - 1)];
	     *p; p = &(*p)->next) {
		struct pxh_addr_node *n = *p;

		if (!key_eq(n->addr, addr))
			continue;
		if (--n->n == 0) {
			*p = n->next;
			free(n);
		}
		return;
	}
}

void pxh_addr_count_free(struct pxh_addr_count *c)
{
	for (size_t i = 0; i < PXH_ADDR_BUCKETS; i++)
		while (c->b[i]) {
			struct pxh_addr_node *n = c->b[i];

			c->b[i] = n->next;
			free(n);
		}
}

/* ---- rates ------------------------------------------------------------------ */
/* Direct mapped, like the DHCP per-MAC limit: a flood of random addresses
 * costs no memory; an address pushed out by another starts with a full
 * bucket, which errs on the side of answering. */
bool pxh_addr_rate_take(struct pxh_addr_rate *r, pxh_addr_key addr, double now)
{
	struct pxh_addr_rate_slot *s = &r->slot[addr_hash(addr, PXH_ADDR_RATE_SLOTS - 1)];

	if (r->rate <= 0)
		return true;
	if (!s->used || !key_eq(s->addr, addr)) {
		s->used = true;
		s->addr = addr;
		s->tokens = r->burst;
		s->stamp = now;
	}
	s->tokens += (now - s->stamp) * r->rate;
	if (s->tokens > r->burst)
		s->tokens = r->burst;
	s->stamp = now;
	if (s->tokens < 1.0)
		return false;
	s->tokens -= 1.0;
	return true;
}

void pxh_addr_rate_set(struct pxh_addr_rate *r, double rate, double burst)
{
	r->rate = rate;
	r->burst = burst < 1.0 ? 1.0 : burst;
	for (size_t i = 0; i < PXH_ADDR_RATE_SLOTS; i++)
		if (r->slot[i].tokens > r->burst)
			r->slot[i].tokens = r->burst;
}
