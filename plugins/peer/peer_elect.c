/* peer plugin: weighted rendezvous hashing over the live members. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "peer_elect.h"

/* Natural logarithm of U in (0, 1), with nothing but IEEE 754 additions,
 * multiplications and divisions in a fixed order: every peer gets the
 * same bits whatever its libm (a library log() may differ in the last
 * bit between versions, and a tie broken differently is a client answered
 * twice).  u = m * 2^e, m in [0.5, 1); ln m = 2 atanh(z), z = (m-1)/(m+1),
 * |z| <= 1/3, so 24 terms of the series are exact to double precision. */
static double peer_ln(double u)
{
	uint64_t bits;
	int e;
	double m, z, z2, term, sum = 0;

	memcpy(&bits, &u, sizeof(bits));
	e = (int)((bits >> 52) & 0x7ff) - 1022;
	bits = (bits & 0x800fffffffffffffull) | 0x3fe0000000000000ull;
	memcpy(&m, &bits, sizeof(m));
	z = (m - 1.0) / (m + 1.0);
	z2 = z * z;
	term = z;
	for (int k = 0; k < 24; k++) {
		double t = term / (double)(2 * k + 1);
		sum = sum + t;
		term = term * z2;
	}
	return 2.0 * sum + (double)e * 0.69314718055994530942;
}

double peer_score(const uint8_t *id, const uint8_t mac[6], uint32_t weight)
{
	uint8_t in[PEER_ID_LEN + 6], d[32];
	uint64_t h = 0;
	double u;

	memcpy(in, id, PEER_ID_LEN);
	memcpy(in + PEER_ID_LEN, mac, 6);
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, in, sizeof(in), d) < 0)
		memset(d, 0, sizeof(d));
	for (int i = 0; i < 8; i++)
		h = h << 8 | d[i];
	/* 53 bits, centred in their interval: u is never 0 nor 1 */
	u = ((double)(h >> 11) + 0.5) / 9007199254740992.0;
	return (double)weight / -peer_ln(u);
}

struct ranked {
	double score;
	const uint8_t *id;
	size_t i;
};

static int by_score(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return memcmp(x->id, y->id, PEER_ID_LEN);
}

void peer_rank(const struct peer_cand *c, size_t n, const uint8_t mac[6],
               size_t *order)
{
	struct ranked r[64], *rp = n <= 64 ? r : calloc(n, sizeof(*rp));
	size_t i;

	if (!rp) { /* out of memory: input order, still the same everywhere */
		for (i = 0; i < n; i++)
			order[i] = i;
		return;
	}
	for (i = 0; i < n; i++) {
		rp[i].score = peer_score(c[i].id, mac, c[i].weight);
		rp[i].id = c[i].id;
		rp[i].i = i;
	}
	qsort(rp, n, sizeof(*rp), by_score);
	for (i = 0; i < n; i++)
		order[i] = rp[i].i;
	if (rp != r)
		free(rp);
}

int peer_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char sep[5], end;

	if (sscanf(s, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%c", &v[0], &sep[0], &v[1],
	           &sep[1], &v[2], &sep[2], &v[3], &sep[3], &v[4], &sep[4],
	           &v[5], &end) != 11)
		return -EINVAL;
	for (int i = 0; i < 5; i++)
		if (sep[i] != ':' && sep[i] != '-')
			return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

void peer_replay_init(struct peer_replay *r, double window)
{
	memset(r, 0, sizeof(*r));
	r->window = window;
}

enum peer_replay_result peer_replay_check(struct peer_replay *r,
                                          const uint8_t *id, uint64_t seq,
                                          uint64_t msg_ms, uint64_t now_ms,
                                          double mono)
{
	uint64_t w = (uint64_t)(r->window * 1000.0);
	struct peer_replay_slot *free_slot = NULL;

	if (msg_ms > now_ms + w || msg_ms + w < now_ms)
		return PEER_RP_STALE;
	for (size_t i = 0; i < PEER_REPLAY_SLOTS; i++) {
		struct peer_replay_slot *s = &r->s[i];

		if (s->heard > 0 && mono - s->heard > 2 * r->window)
			s->heard = 0; /* expired: its datagrams are stale now */
		if (s->heard <= 0) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (memcmp(s->id, id, PEER_ID_LEN))
			continue;
		if (seq <= s->seq)
			return PEER_RP_REPLAY;
		s->seq = seq;
		s->heard = mono;
		return PEER_RP_OK;
	}
	if (!free_slot)
		return PEER_RP_FULL;
	memcpy(free_slot->id, id, PEER_ID_LEN);
	free_slot->seq = seq;
	free_slot->heard = mono > 0 ? mono : 1e-9;
	return PEER_RP_OK;
}
