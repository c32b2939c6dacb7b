/* Per-MAC token bucket and duplicate suppression in a fixed-size table. */
#include <string.h>

#include "dhcp.h"

/* FNV-1a over the MAC: cheap and spreads sequential MACs well.  The table
 * is direct mapped, so a flood of random MACs costs no memory; a MAC pushed
 * out by another starts afresh, which errs on the side of answering. */
uint32_t pxh_dhcp_mac_hash(const uint8_t mac[6])
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 6; i++) {
		h ^= mac[i];
		h *= 16777619u;
	}
	return h ^ (h >> 16);
}

static unsigned slot_of(const uint8_t mac[6])
{
	return pxh_dhcp_mac_hash(mac) % PXH_DHCP_LIMIT_SLOTS;
}

enum pxh_dhcp_limit_verdict pxh_dhcp_limit_check(struct pxh_dhcp_limit *l,
                                                 const uint8_t mac[6],
                                                 uint32_t xid, uint8_t type,
                                                 uint16_t port, double now)
{
	struct pxh_dhcp_limit_slot *s = &l->slot[slot_of(mac)];

	if (!s->used || memcmp(s->mac, mac, 6) != 0) {
		memset(s, 0, sizeof(*s));
		memcpy(s->mac, mac, 6);
		s->used = 1;
		s->tokens = l->burst;
		s->stamp = now;
		s->last_time = -1e9;
	}
	/* A retransmission (same xid, type and port) inside the window is the
	 * same request again: the first one is being answered. */
	if (l->dup_window > 0 && s->last_xid == xid && s->last_type == type &&
	    s->last_port == port && now - s->last_time < l->dup_window)
		return PXH_LIMIT_DUPLICATE;
	if (l->rate > 0) {
		s->tokens += (now - s->stamp) * l->rate;
		if (s->tokens > l->burst)
			s->tokens = l->burst;
		s->stamp = now;
		if (s->tokens < 1.0)
			return PXH_LIMIT_RATE;
		s->tokens -= 1.0;
	}
	s->last_xid = xid;
	s->last_type = type;
	s->last_port = port;
	s->last_time = now;
	return PXH_LIMIT_PASS;
}

void pxh_dhcp_limit_forget(struct pxh_dhcp_limit *l, const uint8_t mac[6])
{
	struct pxh_dhcp_limit_slot *s = &l->slot[slot_of(mac)];

	if (s->used && memcmp(s->mac, mac, 6) == 0)
		s->last_time = -1e9;
}

void pxh_dhcp_limit_read(struct pxh_dhcp_limit *l, struct pxh_addr_rate *dest,
                         const struct pxh_conf *conf)
{
	double rpd = (double)pxh_dhcp_conf(conf)->replies_per_destination;

	pxh_addr_rate_set(dest, rpd, 2.0 * rpd);
	l->rate = (double)pxh_dhcp_conf(conf)->rate_per_mac;
	l->burst = (double)pxh_dhcp_conf(conf)->rate_burst;
	if (l->burst < 1)
		l->burst = 1;
	l->dup_window =
		(double)pxh_dhcp_conf(conf)->duplicate_window_ms / 1000.0;
}
