/* Bounds-checked DHCP request parser (RFC 2131/2132); the options area
 * itself (overload, RFC 3396 concatenation) is read by core/dhcp_options.c. */
#include <errno.h>
#include <string.h>

#include "dhcp.h"
#include "answer.h"
#include "dhcp_options.h"

struct parse_state {
	struct pxh_dhcp_msg *m;
	uint8_t count[256];
	uint16_t total[256];
	uint16_t off[256]; /* pass 2: offset in scratch */
	uint16_t filled[256];
	bool pass2;
};

static void collect(void *ud, uint8_t code, const uint8_t *v, uint8_t len)
{
	struct parse_state *st = ud;
	struct pxh_dhcp_msg *m = st->m;

	if (st->pass2) {
		if (st->count[code] < 2)
			return;
		memcpy(m->scratch + st->off[code] + st->filled[code], v, len);
		st->filled[code] += len;
		return;
	}
	if (!(m->present[code >> 3] & (1u << (code & 7)))) {
		m->present[code >> 3] |= (uint8_t)(1u << (code & 7));
		m->opt[code].p = v;
		m->opt[code].len = len;
	}
	if (st->count[code] < 255)
		st->count[code]++;
	st->total[code] = (uint16_t)(st->total[code] + len);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

int pxh_dhcp_parse(const uint8_t *p, size_t len, struct pxh_dhcp_msg *m,
                   const char **why)
{
	static const char *none = "";
	struct parse_state st;
	const char *w = none;
	int r;

	if (!why)
		why = &w;
	memset(m->present, 0, sizeof(m->present));
	m->scratch_used = 0;
	m->pkt = p;
	m->len = len;
	r = pxh_dhcp_check_header(p, len, why);
	if (r < 0)
		return r;
	if (len > DHCP_MAX_PKT) {
		*why = "longer than the receive buffer";
		return -EBADMSG;
	}
	m->op = p[DHCP_OFF_OP];
	m->htype = p[DHCP_OFF_HTYPE];
	m->hlen = p[DHCP_OFF_HLEN];
	m->hops = p[DHCP_OFF_HOPS];
	memcpy(&m->xid, p + DHCP_OFF_XID, 4);
	m->flags = (uint16_t)(p[DHCP_OFF_FLAGS] << 8 | p[DHCP_OFF_FLAGS + 1]);
	m->ciaddr = rd32(p + DHCP_OFF_CIADDR);
	m->yiaddr = rd32(p + DHCP_OFF_YIADDR);
	m->siaddr = rd32(p + DHCP_OFF_SIADDR);
	m->giaddr = rd32(p + DHCP_OFF_GIADDR);
	m->chaddr = p + DHCP_OFF_CHADDR;
	if (m->hlen > DHCP_CHADDR_LEN) {
		*why = "hardware address longer than 16";
		return -EBADMSG;
	}

	memset(&st, 0, sizeof(st));
	st.m = m;
	r = pxh_dhcp_walk_options(p, len, collect, &st, why);
	if (r < 0)
		return r;

	/* RFC 3396: concatenate the fragments of options that appear more
	 * than once, in area order. */
	bool split = false;
	size_t used = 0;
	for (unsigned c = 1; c < 255; c++) {
		if (st.count[c] < 2)
			continue;
		split = true;
		st.off[c] = (uint16_t)used;
		used += st.total[c];
	}
	if (split) {
		if (used > sizeof(m->scratch)) {
			*why = "split options too long";
			return -EBADMSG;
		}
		st.pass2 = true;
		r = pxh_dhcp_walk_options(p, len, collect, &st, why);
		if (r < 0)
			return r;
		for (unsigned c = 1; c < 255; c++) {
			if (st.count[c] < 2)
				continue;
			m->opt[c].p = m->scratch + st.off[c];
			m->opt[c].len = st.total[c];
		}
		m->scratch_used = used;
	}

	size_t l;
	const uint8_t *v = pxh_dhcp_opt(m, DHCP_OPT_OVERLOAD, &l);
	m->overload = v ? v[0] : 0;
	v = pxh_dhcp_opt(m, DHCP_OPT_MSG_TYPE, &l);
	m->msg_type = 0;
	if (v) {
		if (l != 1) {
			*why = "message type (53) not one byte";
			return -EBADMSG;
		}
		m->msg_type = v[0];
	}
	return 0;
}

const uint8_t *pxh_dhcp_opt(const struct pxh_dhcp_msg *m, uint8_t code,
                            size_t *len)
{
	if (!(m->present[code >> 3] & (1u << (code & 7))))
		return NULL;
	if (len)
		*len = m->opt[code].len;
	/* a zero-length option is present: give a valid pointer */
	return m->opt[code].p;
}
