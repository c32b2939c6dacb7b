/* Per-source-address bounds (core/addr_limit.c). */
#ifndef PXEHUB_ADDR_LIMIT_H
#define PXEHUB_ADDR_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* A client address as a key: IPv4 as v4-mapped IPv6, IPv6 whole (a
 * link-local one with its interface).  pxh_addr_key_v4 takes network
 * order. */
typedef struct pxh_addr_key {
	uint64_t hi, lo;
} pxh_addr_key;
struct sockaddr;
pxh_addr_key pxh_addr_key_v4(uint32_t addr);
pxh_addr_key pxh_addr_key_of(const struct sockaddr *sa);

/* Exact count of what each address holds: TFTP transfers, HTTP
 * connections.  Zero-initialised is empty. */
#define PXH_ADDR_BUCKETS 1024
struct pxh_addr_node;
struct pxh_addr_count {
	struct pxh_addr_node *b[PXH_ADDR_BUCKETS];
};
uint32_t pxh_addr_count_get(const struct pxh_addr_count *c, pxh_addr_key addr);
int pxh_addr_count_add(struct pxh_addr_count *c, pxh_addr_key addr);
void pxh_addr_count_del(struct pxh_addr_count *c, pxh_addr_key addr);
void pxh_addr_count_free(struct pxh_addr_count *c);

/* Token bucket per address: RATE per second, BURST at once; rate 0 =
 * unlimited.  pxh_addr_rate_take: true if ADDR may go on now. */
#define PXH_ADDR_RATE_SLOTS 4096
struct pxh_addr_rate_slot {
	pxh_addr_key addr;
	bool used;
	double tokens, stamp;
};
struct pxh_addr_rate {
	double rate, burst;
	struct pxh_addr_rate_slot slot[PXH_ADDR_RATE_SLOTS];
};
void pxh_addr_rate_set(struct pxh_addr_rate *r, double rate, double burst);
bool pxh_addr_rate_take(struct pxh_addr_rate *r, pxh_addr_key addr, double now);

#endif /* PXEHUB_ADDR_LIMIT_H */
