/* Per-source-address bounds (core/addr_limit.c). */
#ifndef PXEHUB_ADDR_LIMIT_H
#define PXEHUB_ADDR_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* Exact count of what each IPv4 address (network order) holds: TFTP
 * transfers, HTTP connections.  Zero-initialised is empty. */
#define PXH_ADDR_BUCKETS 1024
struct pxh_addr_node;
struct pxh_addr_count {
	struct pxh_addr_node *b[PXH_ADDR_BUCKETS];
};
uint32_t pxh_addr_count_get(const struct pxh_addr_count *c, uint32_t addr);
int pxh_addr_count_add(struct pxh_addr_count *c, uint32_t addr);
void pxh_addr_count_del(struct pxh_addr_count *c, uint32_t addr);
void pxh_addr_count_free(struct pxh_addr_count *c);

/* Token bucket per address: RATE per second, BURST at once; rate 0 =
 * unlimited.  pxh_addr_rate_take: true if ADDR may go on now. */
#define PXH_ADDR_RATE_SLOTS 4096
struct pxh_addr_rate_slot {
	uint32_t addr;
	bool used;
	double tokens, stamp;
};
struct pxh_addr_rate {
	double rate, burst;
	struct pxh_addr_rate_slot slot[PXH_ADDR_RATE_SLOTS];
};
void pxh_addr_rate_set(struct pxh_addr_rate *r, double rate, double burst);
bool pxh_addr_rate_take(struct pxh_addr_rate *r, uint32_t addr, double now);

#endif /* PXEHUB_ADDR_LIMIT_H */
