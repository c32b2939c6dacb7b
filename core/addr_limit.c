/* Per-source-address bounds: an exact count of what each IPv4 address holds
 * (TFTP transfers, HTTP connections) and a per-address token bucket for
 * request rates and reply rates. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr_limit.h"

struct pxh_addr_node {
	struct pxh_addr_node *next;
	uint32_t addr;
	uint32_t n;
};

static unsigned addr_hash(uint32_t a, unsigned mask)
{
	a ^= a >> 16;
	a *= 0x7feb352du;
	a ^= a >> 15;
	a *= 0x846ca68bu;
	a ^= a >> 16;
	return a & mask;
}

/* ---- exact counts ------------------------------------------------------------ */
/* Chained: a node exists only while its address holds something, so the
 * table is as large as what is held (bounded by the global caps), and an
 * address can never lose its count to another one. */
uint32_t pxh_addr_count_get(const struct pxh_addr_count *c, uint32_t addr)
{
	for (const struct pxh_addr_node *n = c->b[addr_hash(addr, PXH_ADDR_BUCKETS - 1)];
	     n; n = n->next)
		if (n->addr == addr)
			return n->n;
	return 0;
}

int pxh_addr_count_add(struct pxh_addr_count *c, uint32_t addr)
{
	struct pxh_addr_node **h = &c->b[addr_hash(addr, PXH_ADDR_BUCKETS - 1)], *n;

	for (n = *h; n; n = n->next)
		if (n->addr == addr) {
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

void pxh_addr_count_del(struct pxh_addr_count *c, uint32_t addr)
{
	for (struct pxh_addr_node **p = &c->b[addr_hash(addr, PXH_ADDR_BUCKETS - 1)];
	     *p; p = &(*p)->next) {
		struct pxh_addr_node *n = *p;

		if (n->addr != addr)
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
bool pxh_addr_rate_take(struct pxh_addr_rate *r, uint32_t addr, double now)
{
	struct pxh_addr_rate_slot *s = &r->slot[addr_hash(addr, PXH_ADDR_RATE_SLOTS - 1)];

	if (r->rate <= 0)
		return true;
	if (!s->used || s->addr != addr) {
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
