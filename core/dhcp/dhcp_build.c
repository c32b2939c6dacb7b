/* Builds proxyDHCP OFFERs (port 67) and PXE boot server ACKs (port 4011). */
#include <errno.h>
#include <string.h>

#include "dhcp.h"
#include "answer.h"

struct wbuf {
	uint8_t *p;
	size_t cap, pos;
	bool full;
};

/* Write option CODE, split into 255-byte fragments (RFC 3396 section 5);
 * one byte stays free for END. */
static void put_opt(struct wbuf *b, uint8_t code, const void *data, size_t len)
{
	const uint8_t *d = data;
	size_t frags = len == 0 ? 1 : (len + 254) / 255;

	if (b->full || b->pos + len + 2 * frags + 1 > b->cap) {
		b->full = true;
		return;
	}
	do {
		size_t n = len > 255 ? 255 : len;
		b->p[b->pos++] = code;
		b->p[b->pos++] = (uint8_t)n;
		if (n)
			memcpy(b->p + b->pos, d, n);
		b->pos += n;
		d += n;
		len -= n;
	} while (len > 0);
}

static bool overridden(const struct pxh_dhcp_reply *r, uint8_t code)
{
	for (size_t i = 0; i < r->n_extra; i++)
		if (r->extra[i].code == code)
			return true;
	return false;
}

/* PXE sub-option 71 (boot item) of the request's option 43, if sent. */
static const uint8_t *boot_item(const struct pxh_dhcp_msg *m)
{
	size_t len, i = 0;
	const uint8_t *v = pxh_dhcp_opt(m, DHCP_OPT_VENDOR, &len);

	while (v && i + 1 < len) {
		uint8_t code = v[i], l;
		if (code == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (code == DHCP_OPT_END)
			break;
		l = v[i + 1];
		if (l > len - i - 2)
			break;
		if (code == PXE_VENDOR_BOOT_ITEM && l == 4)
			return v + i + 2;
		i += 2 + (size_t)l;
	}
	return NULL;
}

size_t pxh_dhcp_reply_limit(const struct pxh_dhcp_msg *m)
{
	size_t l, max = 576;
	const uint8_t *v = pxh_dhcp_opt(m, DHCP_OPT_MAX_SIZE, &l);

	if (v && l == 2 && (size_t)(v[0] << 8 | v[1]) > max)
		max = (size_t)(v[0] << 8 | v[1]);
	if (max > 1500)
		max = 1500;
	return max - 28;
}

int pxh_dhcp_build(const struct pxh_dhcp_msg *m, const struct pxh_dhcp_reply *r,
                   uint8_t *out, size_t cap)
{
	struct wbuf b = {.p = out, .cap = cap};
	size_t flen = r->file ? strlen(r->file) : 0;
	const uint8_t *v;
	size_t len;

	if (cap < DHCP_MIN_REPLY)
		return -EMSGSIZE;
	memset(out, 0, DHCP_MIN_REPLY);
	out[DHCP_OFF_OP] = BOOTREPLY;
	out[DHCP_OFF_HTYPE] = m->htype;
	out[DHCP_OFF_HLEN] = m->hlen;
	memcpy(out + DHCP_OFF_XID, &m->xid, 4);
	uint16_t flags = m->flags;
	/* RFC 2131 4.3.2: a relayed NAK is broadcast by the relay */
	if (r->msg_type == DHCPNAK && m->giaddr)
		flags |= DHCP_FLAG_BROADCAST;
	out[DHCP_OFF_FLAGS] = (uint8_t)(flags >> 8);
	out[DHCP_OFF_FLAGS + 1] = (uint8_t)flags;
	/* RFC 2131 table 3: ciaddr is 0 in a NAK */
	if (r->msg_type != DHCPNAK)
		memcpy(out + DHCP_OFF_CIADDR, &m->ciaddr, 4);
	memcpy(out + DHCP_OFF_YIADDR, &r->yiaddr, 4);
	memcpy(out + DHCP_OFF_SIADDR, &r->siaddr, 4);
	memcpy(out + DHCP_OFF_GIADDR, &m->giaddr, 4);
	memcpy(out + DHCP_OFF_CHADDR, m->chaddr, DHCP_CHADDR_LEN);
	/* The file field holds names up to 127 bytes; longer ones (URLs) go
	 * in option 67 only (RFC 2132 9.5). */
	if (flen > 0 && flen < DHCP_FILE_LEN && !r->address_only)
		memcpy(out + DHCP_OFF_FILE, r->file, flen);
	out[DHCP_OFF_COOKIE] = 0x63;
	out[DHCP_OFF_COOKIE + 1] = 0x82;
	out[DHCP_OFF_COOKIE + 2] = 0x53;
	out[DHCP_OFF_COOKIE + 3] = 0x63;
	b.pos = DHCP_OFF_OPTIONS;

	put_opt(&b, DHCP_OPT_MSG_TYPE, &r->msg_type, 1);
	if (!overridden(r, DHCP_OPT_SERVER_ID))
		put_opt(&b, DHCP_OPT_SERVER_ID, &r->server_id, 4);
	/* server mode: the address options (already encoded, each < 256) */
	for (size_t i = 0; i + 2 <= r->addr_opts_len;) {
		uint8_t code = r->addr_opts[i], l = r->addr_opts[i + 1];
		if (i + 2 + l > r->addr_opts_len)
			break;
		if (!overridden(r, code))
			put_opt(&b, code, r->addr_opts + i + 2, l);
		i += 2 + (size_t)l;
	}
	if (r->address_only)
		goto relay;
	if (!overridden(r, DHCP_OPT_VENDOR_CLASS)) {
		const char *vc = r->http_client ? PXE_VENDOR_HTTPCLIENT
		                                : PXE_VENDOR_PXECLIENT;
		put_opt(&b, DHCP_OPT_VENDOR_CLASS, vc, strlen(vc));
	}
	/* Some firmware refuses offers that do not echo option 97. */
	v = pxh_dhcp_opt(m, DHCP_OPT_CLIENT_UUID, &len);
	if (v && !overridden(r, DHCP_OPT_CLIENT_UUID))
		put_opt(&b, DHCP_OPT_CLIENT_UUID, v, len);
	if (!r->http_client && !overridden(r, DHCP_OPT_VENDOR)) {
		uint8_t pxe[12];
		size_t n = 0;
		const uint8_t *item = boot_item(m);
		if (r->discovery_control >= 0) {
			pxe[n++] = PXE_VENDOR_DISCOVERY_CONTROL;
			pxe[n++] = 1;
			pxe[n++] = (uint8_t)r->discovery_control;
		}
		if (item && r->msg_type == DHCPACK) {
			pxe[n++] = PXE_VENDOR_BOOT_ITEM;
			pxe[n++] = 4;
			memcpy(pxe + n, item, 4);
			n += 4;
		}
		if (n > 0) {
			pxe[n++] = DHCP_OPT_END;
			put_opt(&b, DHCP_OPT_VENDOR, pxe, n);
		}
	}
	if (flen >= DHCP_FILE_LEN && !overridden(r, DHCP_OPT_BOOTFILE))
		put_opt(&b, DHCP_OPT_BOOTFILE, r->file, flen);
	for (size_t i = 0; i < r->n_extra; i++) {
		const struct pxh_dhcp_opt *o = &r->extra[i];
		if (o->code == DHCP_OPT_PAD || o->code == DHCP_OPT_END ||
		    o->code == DHCP_OPT_MSG_TYPE ||
		    o->code == DHCP_OPT_RELAY_AGENT)
			continue;
		put_opt(&b, o->code, o->data, o->len);
	}
relay:
	/* RFC 3046 2.2: echo the relay agent information, last. */
	v = pxh_dhcp_opt(m, DHCP_OPT_RELAY_AGENT, &len);
	if (v && m->giaddr)
		put_opt(&b, DHCP_OPT_RELAY_AGENT, v, len);
	if (b.full)
		return -EMSGSIZE;
	out[b.pos++] = DHCP_OPT_END;
	if (b.pos < DHCP_MIN_REPLY) {
		memset(out + b.pos, 0, DHCP_MIN_REPLY - b.pos);
		b.pos = DHCP_MIN_REPLY;
	}
	return (int)b.pos;
}
