/* DHCPv6 message parser: bounds-checked options, nested Relay-Forward. */
#include <errno.h>
#include <string.h>

#include "dhcp6.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Every option of the list fits and the list ends with the last one. */
static bool list_ok(const uint8_t *p, size_t len)
{
	size_t o = 0;

	while (o < len) {
		if (len - o < DHCP6_OPT_HDR_LEN)
			return false;
		size_t olen = rd16(p + o + 2);
		if (olen > len - o - DHCP6_OPT_HDR_LEN)
			return false;
		o += DHCP6_OPT_HDR_LEN + olen;
	}
	return true;
}

const uint8_t *pxh_dhcp6_find(const uint8_t *opts, size_t len, uint16_t code,
                              size_t *out_len)
{
	size_t o = 0;

	while (opts && o < len && len - o >= DHCP6_OPT_HDR_LEN) {
		size_t olen = rd16(opts + o + 2);
		if (olen > len - o - DHCP6_OPT_HDR_LEN)
			return NULL;
		if (rd16(opts + o) == code) {
			if (out_len)
				*out_len = olen;
			return opts + o + DHCP6_OPT_HDR_LEN;
		}
		o += DHCP6_OPT_HDR_LEN + olen;
	}
	return NULL;
}

size_t pxh_dhcp6_count(const uint8_t *opts, size_t len, uint16_t code)
{
	size_t o = 0, n = 0;

	while (opts && o < len && len - o >= DHCP6_OPT_HDR_LEN) {
		size_t olen = rd16(opts + o + 2);
		if (olen > len - o - DHCP6_OPT_HDR_LEN)
			break;
		if (rd16(opts + o) == code)
			n++;
		o += DHCP6_OPT_HDR_LEN + olen;
	}
	return n;
}

const uint8_t *pxh_dhcp6_opt(const struct pxh_dhcp6_msg *m, uint16_t code,
                             size_t *out_len)
{
	return pxh_dhcp6_find(m->opts, m->opts_len, code, out_len);
}

/* A client's message types (RFC 8415 section 7.3): what a server takes. */
static bool client_type(uint8_t t)
{
	switch (t) {
	case DHCP6_SOLICIT: case DHCP6_REQUEST: case DHCP6_CONFIRM:
	case DHCP6_RENEW: case DHCP6_REBIND: case DHCP6_RELEASE:
	case DHCP6_DECLINE: case DHCP6_INFORMATION_REQUEST:
		return true;
	default:
		return false;
	}
}

int pxh_dhcp6_parse(const uint8_t *p, size_t len, struct pxh_dhcp6_msg *m,
                    const char **why)
{
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = "";
	memset(m, 0, sizeof(*m));
	m->pkt = p;
	m->len = len;
	/* Unwrap Relay-Forward layers iteratively: the depth is bounded by
	 * HOP_COUNT_LIMIT, and each layer is strictly shorter than the one
	 * around it, so a loop cannot come back. */
	for (;;) {
		if (!p || len < DHCP6_HDR_LEN) {
			*why = "short";
			return -EBADMSG;
		}
		if (p[0] != DHCP6_RELAY_FORW)
			break;
		if (m->n_relay >= DHCP6_HOP_COUNT_LIMIT) {
			*why = "relay messages nested too deep";
			return -EBADMSG;
		}
		if (len < DHCP6_RELAY_HDR_LEN) {
			*why = "short relay header";
			return -EBADMSG;
		}
		struct pxh_dhcp6_relay *r = &m->relay[m->n_relay++];
		const uint8_t *opts = p + DHCP6_RELAY_HDR_LEN;
		size_t olen = len - DHCP6_RELAY_HDR_LEN, inner_len = 0;
		const uint8_t *inner;

		r->hop_count = p[1];
		memcpy(&r->link, p + 2, 16);
		memcpy(&r->peer, p + 18, 16);
		if (!list_ok(opts, olen)) {
			*why = "truncated relay option";
			return -EBADMSG;
		}
		if (pxh_dhcp6_count(opts, olen, DHCP6_OPT_RELAY_MSG) != 1) {
			*why = "relay message option missing or repeated";
			return -EBADMSG;
		}
		if (pxh_dhcp6_count(opts, olen, DHCP6_OPT_INTERFACE_ID) > 1) {
			*why = "interface-id repeated";
			return -EBADMSG;
		}
		r->opts = opts;
		r->opts_len = olen;
		r->iface_id = pxh_dhcp6_find(opts, olen, DHCP6_OPT_INTERFACE_ID,
		                             &inner_len);
		r->iface_id_len = (uint16_t)(r->iface_id ? inner_len : 0);
		inner = pxh_dhcp6_find(opts, olen, DHCP6_OPT_RELAY_MSG, &inner_len);
		p = inner;
		len = inner_len;
	}
	if (!client_type(p[0])) {
		*why = p[0] == DHCP6_RELAY_REPL || p[0] == DHCP6_ADVERTISE ||
		       p[0] == DHCP6_REPLY || p[0] == DHCP6_RECONFIGURE
		               ? "a server's message type"
		               : "unknown message type";
		return -EBADMSG;
	}
	m->type = p[0];
	m->xid = (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	m->msg = p;
	m->msg_len = len;
	m->opts = p + DHCP6_HDR_LEN;
	m->opts_len = len - DHCP6_HDR_LEN;
	if (!list_ok(m->opts, m->opts_len)) {
		*why = "truncated option";
		return -EBADMSG;
	}
	/* RFC 8415 section 16: every client message carries one Client
	 * Identifier, at most one Server Identifier (we echo the first) */
	size_t n_cid = pxh_dhcp6_count(m->opts, m->opts_len, DHCP6_OPT_CLIENTID);
	if (n_cid != 1) {
		*why = n_cid ? "client identifier repeated" : "no client identifier";
		return -EBADMSG;
	}
	size_t cid_len = 0;
	pxh_dhcp6_opt(m, DHCP6_OPT_CLIENTID, &cid_len);
	if (cid_len < 2 || cid_len > DHCP6_DUID_MAX) {
		*why = "client identifier length";
		return -EBADMSG;
	}
	if (pxh_dhcp6_count(m->opts, m->opts_len, DHCP6_OPT_SERVERID) > 1) {
		*why = "server identifier repeated";
		return -EBADMSG;
	}
	return 0;
}
