/* IP address -> client facts, learnt from DHCP, so a TFTP request carries
 * the machine's MAC, UUID and architecture into resolver hooks and events. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "tftp_server.h"

#define MAP_SLOTS 2048   /* power of two */
#define MAP_PROBE 8      /* open addressing, bounded probe */
#define MAP_TTL 3600.0   /* seconds a learnt client stays valid */

struct slot {
	uint32_t ip; /* network order; 0 = empty */
	double t;
	pxh_client c;
};

struct tftp_clientmap {
	struct slot s[MAP_SLOTS];
};

struct tftp_clientmap *tftp_clientmap_new(void)
{
	return calloc(1, sizeof(struct tftp_clientmap));
}

void tftp_clientmap_free(struct tftp_clientmap *m)
{
	free(m);
}

static uint32_t hash_ip(uint32_t ip)
{
	ip ^= ip >> 16;
	ip *= 0x45d9f3bu;
	ip ^= ip >> 16;
	return ip & (MAP_SLOTS - 1);
}

void tftp_clientmap_put(struct tftp_clientmap *m, const pxh_client *c,
                        double now)
{
	struct in_addr a;
	struct slot *victim = NULL, *sl;
	uint32_t h;

	if (!m || !c || inet_pton(AF_INET, c->ip, &a) != 1 || a.s_addr == 0)
		return;
	h = hash_ip(a.s_addr);
	for (int i = 0; i < MAP_PROBE; i++) {
		sl = &m->s[(h + (uint32_t)i) & (MAP_SLOTS - 1)];
		if (sl->ip == a.s_addr) {
			victim = sl;
			break;
		}
		if (!victim || (victim->ip != 0 &&
		                (sl->ip == 0 || sl->t < victim->t)))
			victim = sl; /* first empty slot, else the oldest */
	}
	victim->ip = a.s_addr;
	victim->t = now;
	victim->c = *c;
	/* the raw DHCP packet is not ours to keep */
	victim->c.raw = NULL;
	victim->c.raw_len = 0;
}

bool tftp_clientmap_get(struct tftp_clientmap *m, const char *ip, double now,
                        pxh_client *out)
{
	struct in_addr a;
	struct slot *sl;
	uint32_t h;

	if (!m || inet_pton(AF_INET, ip, &a) != 1)
		return false;
	h = hash_ip(a.s_addr);
	for (int i = 0; i < MAP_PROBE; i++) {
		sl = &m->s[(h + (uint32_t)i) & (MAP_SLOTS - 1)];
		if (sl->ip == a.s_addr && now - sl->t < MAP_TTL) {
			*out = sl->c;
			return true;
		}
	}
	return false;
}
