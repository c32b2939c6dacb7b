/* peer plugin: heartbeat datagrams, encoded and authenticated. */
#include <errno.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "peer_proto.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int name_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* Compare without an early exit: the time taken must not tell how many
 * bytes of a forged HMAC were right. */
static int same(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

int peer_msg_encode(const struct peer_msg *m, const void *key, size_t keylen,
                    uint8_t *out, size_t outlen)
{
	size_t nl = strnlen(m->name, sizeof(m->name));

	if (nl > PEER_NAME_MAX || !name_ok(m->name, nl) ||
	    outlen < PEER_HDR_LEN + nl + PEER_HMAC_LEN)
		return -EINVAL;
	memset(out, 0, PEER_HDR_LEN);
	memcpy(out, PEER_MAGIC, 4);
	out[4] = PEER_VERSION;
	out[5] = m->type;
	put16(out + 6, m->flags);
	memcpy(out + 8, m->id, PEER_ID_LEN);
	put64(out + 24, m->seq);
	put64(out + 32, m->time_ms);
	memcpy(out + 40, &m->addr, 4);
	put16(out + 44, m->http_port);
	put32(out + 48, m->weight);
	put32(out + 52, m->free_mb);
	put32(out + 56, m->load100);
	put32(out + 60, m->uptime_s);
	put32(out + 64, m->preference);
	put64(out + 68, m->serial);
	put32(out + 76, m->held);
	put32(out + 80, m->total);
	put32(out + 84, m->next_weight);
	out[88] = (uint8_t)nl;
	memcpy(out + PEER_HDR_LEN, m->name, nl);
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, keylen, out,
	                     PEER_HDR_LEN + nl, out + PEER_HDR_LEN + nl) < 0)
		return -EINVAL;
	return (int)(PEER_HDR_LEN + nl + PEER_HMAC_LEN);
}

int peer_msg_decode(const uint8_t *p, size_t len, const void *key,
                    size_t keylen, struct peer_msg *m)
{
	uint8_t mac[PEER_HMAC_LEN];
	size_t nl;

	if (len < PEER_MSG_MIN || len > PEER_MSG_MAX ||
	    memcmp(p, PEER_MAGIC, 4) || p[4] != PEER_VERSION ||
	    (p[5] != PEER_T_HELLO && p[5] != PEER_T_BYE))
		return -EBADMSG;
	nl = p[88];
	if (nl > PEER_NAME_MAX || len != PEER_HDR_LEN + nl + PEER_HMAC_LEN ||
	    !name_ok((const char *)p + PEER_HDR_LEN, nl))
		return -EBADMSG;
	/* authenticate before believing any field */
	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, keylen, p,
	                     PEER_HDR_LEN + nl, mac) < 0 ||
	    !same(mac, p + PEER_HDR_LEN + nl, PEER_HMAC_LEN))
		return -EPERM;
	memset(m, 0, sizeof(*m));
	m->type = p[5];
	m->flags = get16(p + 6);
	memcpy(m->id, p + 8, PEER_ID_LEN);
	m->seq = get64(p + 24);
	m->time_ms = get64(p + 32);
	memcpy(&m->addr, p + 40, 4);
	m->http_port = get16(p + 44);
	m->weight = get32(p + 48);
	m->free_mb = get32(p + 52);
	m->load100 = get32(p + 56);
	m->uptime_s = get32(p + 60);
	m->preference = get32(p + 64);
	m->serial = get64(p + 68);
	m->held = get32(p + 76);
	m->total = get32(p + 80);
	m->next_weight = get32(p + 84);
	memcpy(m->name, p + PEER_HDR_LEN, nl);
	m->name[nl] = '\0';
	return 0;
}
