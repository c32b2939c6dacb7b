/* DHCPv6 Advertise/Reply builder, wrapped in Relay-Reply when relayed. */
#include <errno.h>
#include <string.h>

#include "dhcp6.h"
#include "dhcp/dhcp_proto.h"

struct wbuf {
	uint8_t *p;
	size_t cap, len;
	bool over;
};

static void put(struct wbuf *w, const void *v, size_t n)
{
	if (w->over || n > w->cap - w->len) {
		w->over = true;
		return;
	}
	if (n)
		memcpy(w->p + w->len, v, n);
	w->len += n;
}

static void put16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(w, b, 2);
}

static void put32(struct wbuf *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
	                (uint8_t)v};
	put(w, b, 4);
}

static void opt(struct wbuf *w, uint16_t code, const void *v, size_t n)
{
	if (n > 0xffff) {
		w->over = true;
		return;
	}
	put16(w, code);
	put16(w, (uint16_t)n);
	put(w, v, n);
}

static void status(struct wbuf *w, uint16_t code, const char *msg)
{
	size_t n = msg ? strlen(msg) : 0;

	put16(w, DHCP6_OPT_STATUS_CODE);
	put16(w, (uint16_t)(2 + n));
	put16(w, code);
	put(w, msg, n);
}

size_t pxh_dhcp6_make_duid(const uint8_t mac[6], uint32_t time, uint8_t *out)
{
	struct wbuf w = {.p = out, .cap = 14};

	put16(&w, time ? DHCP6_DUID_LLT : DHCP6_DUID_LL);
	put16(&w, DHCP6_HWTYPE_ETHER);
	if (time)
		put32(&w, time);
	put(&w, mac, 6);
	return w.len;
}

/* The answer to the client's own message, at W. */
static void client_reply(const struct pxh_dhcp6_msg *m,
                         const struct pxh_dhcp6_reply *r, struct wbuf *w)
{
	size_t len = 0, o = 0;
	const uint8_t *cid = pxh_dhcp6_opt(m, DHCP6_OPT_CLIENTID, &len);

	put(w, &r->type, 1);
	put(w, m->msg + 1, 3); /* transaction-id */
	opt(w, DHCP6_OPT_CLIENTID, cid, cid ? len : 0);
	opt(w, DHCP6_OPT_SERVERID, r->server_duid, r->server_duid_len);
	/* Each IA_NA asked for, with the status saying why no address
	 * (RFC 8415 18.3.2 and 18.3.4): same IAID, T1 = T2 = 0. */
	while (r->ia_status && o < m->opts_len) {
		const uint8_t *p = m->opts + o;
		uint16_t code = (uint16_t)(p[0] << 8 | p[1]);
		size_t olen = (size_t)(p[2] << 8 | p[3]);

		if (code == DHCP6_OPT_IA_NA && olen >= 12) {
			const char *msg = r->ia_status == DHCP6_STATUS_NO_BINDING
			                  ? "no binding here: a boot server"
			                  : "no addresses: a boot server";
			put16(w, DHCP6_OPT_IA_NA);
			put16(w, (uint16_t)(12 + 6 + strlen(msg)));
			put(w, p + 4, 4); /* IAID */
			put32(w, 0);
			put32(w, 0);
			status(w, r->ia_status, msg);
		}
		o += 4 + olen; /* the parser checked the list */
	}
	if (r->status)
		status(w, r->status, r->status_msg);
	if (r->url && r->url[0]) {
		/* option 16: enterprise 343 and one class item; EDK2 reads
		 * the item at data offset 6 (PxeBcParseDhcp6Packet) */
		const char *vc = r->http_client ? PXE_VENDOR_HTTPCLIENT
		                                : PXE_VENDOR_PXECLIENT;
		size_t n = strlen(vc);
		put16(w, DHCP6_OPT_VENDOR_CLASS);
		put16(w, (uint16_t)(4 + 2 + n));
		put32(w, DHCP6_ENTERPRISE_PXE);
		put16(w, (uint16_t)n);
		put(w, vc, n);
		opt(w, DHCP6_OPT_BOOTFILE_URL, r->url, strlen(r->url));
	}
	if (r->params && r->params[0]) {
		size_t n = strlen(r->params);
		if (n > 0xfff0) {
			w->over = true;
			return;
		}
		put16(w, DHCP6_OPT_BOOTFILE_PARAM);
		put16(w, (uint16_t)(2 + n));
		put16(w, (uint16_t)n);
		put(w, r->params, n);
	}
}

int pxh_dhcp6_build(const struct pxh_dhcp6_msg *m,
                    const struct pxh_dhcp6_reply *r, uint8_t *out, size_t cap)
{
	size_t hdr[DHCP6_HOP_COUNT_LIMIT], prefix = 0;
	struct wbuf w;

	if (!m || !r || !out || !m->msg || m->n_relay > DHCP6_HOP_COUNT_LIMIT ||
	    (r->type != DHCP6_ADVERTISE && r->type != DHCP6_REPLY))
		return -EINVAL;
	/* Relay-Reply headers come first: their sizes are known, so the
	 * client's reply is written once, after them. */
	for (size_t i = 0; i < m->n_relay; i++) {
		const struct pxh_dhcp6_relay *rl = &m->relay[i];
		hdr[i] = DHCP6_RELAY_HDR_LEN + DHCP6_OPT_HDR_LEN +
		         (rl->iface_id ? DHCP6_OPT_HDR_LEN + rl->iface_id_len : 0);
		prefix += hdr[i];
	}
	if (prefix > cap)
		return -EMSGSIZE;
	w = (struct wbuf){.p = out, .cap = cap, .len = prefix};
	client_reply(m, r, &w);
	if (w.over)
		return -EMSGSIZE;
	size_t pos = 0;
	for (size_t i = 0; i < m->n_relay; i++) {
		const struct pxh_dhcp6_relay *rl = &m->relay[i];
		size_t inner = w.len - pos - hdr[i];
		struct wbuf h = {.p = out + pos, .cap = hdr[i]};
		uint8_t t = DHCP6_RELAY_REPL;

		if (inner > 0xffff)
			return -EMSGSIZE;
		put(&h, &t, 1);
		put(&h, &rl->hop_count, 1);
		put(&h, &rl->link, 16);
		put(&h, &rl->peer, 16);
		/* RFC 8415 19.3: the interface-id comes back as sent */
		if (rl->iface_id)
			opt(&h, DHCP6_OPT_INTERFACE_ID, rl->iface_id,
			    rl->iface_id_len);
		put16(&h, DHCP6_OPT_RELAY_MSG);
		put16(&h, (uint16_t)inner);
		if (h.over || h.len != hdr[i])
			return -EINVAL;
		pos += hdr[i];
	}
	return (int)w.len;
}
