/* Bounds-checked DHCP request parser (RFC 2131/2132, overload, RFC 3396). */
#include <errno.h>
#include <string.h>

#include "dhcp.h"
#include "answer.h"

typedef void (*opt_fn)(void *ud, uint8_t code, const uint8_t *v, uint8_t len);

struct area_walk {
	opt_fn fn;
	void *ud;
	uint8_t overload;
	bool seen_overload;
};

/* One option area: PAD is skipped, END stops, a missing END is tolerated
 * (common in the field), an option running past the area is not. */
static int walk_area(const uint8_t *p, size_t len, struct area_walk *w,
                     bool main_area, const char **why)
{
	size_t i = 0;

	while (i < len) {
		uint8_t code = p[i];
		if (code == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (code == DHCP_OPT_END)
			return 0;
		if (len - i < 2) {
			*why = "truncated option header";
			return -EBADMSG;
		}
		uint8_t l = p[i + 1];
		if (l > len - i - 2) {
			*why = "option runs past its area";
			return -EBADMSG;
		}
		if (code == DHCP_OPT_OVERLOAD) {
			/* RFC 2132 9.3: only in the options field, one byte 1..3 */
			if (!main_area || l != 1 || p[i + 2] < 1 || p[i + 2] > 3 ||
			    w->seen_overload) {
				*why = "bad option overload (52)";
				return -EBADMSG;
			}
			w->seen_overload = true;
			w->overload = p[i + 2];
		}
		w->fn(w->ud, code, p + i + 2, l);
		i += 2 + (size_t)l;
	}
	return 0;
}

static int check_header(const uint8_t *p, size_t len, const char **why)
{
	if (len < DHCP_OFF_OPTIONS) {
		*why = "shorter than a BOOTP header";
		return -EBADMSG;
	}
	uint32_t cookie = (uint32_t)p[DHCP_OFF_COOKIE] << 24 |
	                  (uint32_t)p[DHCP_OFF_COOKIE + 1] << 16 |
	                  (uint32_t)p[DHCP_OFF_COOKIE + 2] << 8 |
	                  p[DHCP_OFF_COOKIE + 3];
	if (cookie != DHCP_MAGIC) {
		*why = "no DHCP magic cookie";
		return -EBADMSG;
	}
	return 0;
}

/* RFC 3396 order: options field, then file, then sname. */
static int walk_all(const uint8_t *p, size_t len, opt_fn fn, void *ud,
                    const char **why)
{
	struct area_walk w = {.fn = fn, .ud = ud};
	int r = walk_area(p + DHCP_OFF_OPTIONS, len - DHCP_OFF_OPTIONS, &w, true,
	                  why);
	if (r < 0)
		return r;
	if (w.overload & DHCP_OVERLOAD_FILE) {
		r = walk_area(p + DHCP_OFF_FILE, DHCP_FILE_LEN, &w, false, why);
		if (r < 0)
			return r;
	}
	if (w.overload & DHCP_OVERLOAD_SNAME) {
		r = walk_area(p + DHCP_OFF_SNAME, DHCP_SNAME_LEN, &w, false, why);
		if (r < 0)
			return r;
	}
	return 0;
}

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
	r = check_header(p, len, why);
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
	r = walk_all(p, len, collect, &st, why);
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
		r = walk_all(p, len, collect, &st, why);
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

struct find_state {
	uint8_t code;
	unsigned n;
	const uint8_t *first;
	size_t first_len;
	uint8_t *buf;
	size_t cap, used;
	bool overflow;
};

static void find_one(void *ud, uint8_t code, const uint8_t *v, uint8_t len)
{
	struct find_state *f = ud;

	if (code != f->code)
		return;
	if (f->n++ == 0) {
		f->first = v;
		f->first_len = len;
		return;
	}
	if (f->n == 2) {
		if (f->first_len > f->cap) {
			f->overflow = true;
			return;
		}
		memcpy(f->buf, f->first, f->first_len);
		f->used = f->first_len;
	}
	if (f->overflow || len > f->cap - f->used) {
		f->overflow = true;
		return;
	}
	memcpy(f->buf + f->used, v, len);
	f->used += len;
}

const uint8_t *pxh_dhcp_find(const uint8_t *p, size_t len, uint8_t code,
                             uint8_t *buf, size_t cap, size_t *out_len)
{
	struct find_state f = {.code = code, .buf = buf, .cap = cap};
	const char *why = "";

	if (!p || check_header(p, len, &why) < 0)
		return NULL;
	if (walk_all(p, len, find_one, &f, &why) < 0 || f.n == 0 || f.overflow)
		return NULL;
	if (f.n == 1) {
		if (out_len)
			*out_len = f.first_len;
		return f.first;
	}
	if (out_len)
		*out_len = f.used;
	return f.buf;
}

/* Concatenated options are kept in a small per-thread ring so that a few
 * results stay valid together (plugins read several options in turn). */
#define OPT_RING 4
static __thread uint8_t opt_ring[OPT_RING][DHCP_MAX_PKT];
static __thread unsigned opt_ring_next;

const uint8_t *pxh_client_option(const pxh_client *c, uint8_t code, size_t *len)
{
	if (!c || !c->raw || c->raw_len < DHCP_OFF_OPTIONS)
		return NULL;
	uint8_t *buf = opt_ring[opt_ring_next % OPT_RING];
	size_t l = 0;
	const uint8_t *v = pxh_dhcp_find(c->raw, c->raw_len, code, buf,
	                                 DHCP_MAX_PKT, &l);
	if (v == buf)
		opt_ring_next++;
	if (v && len)
		*len = l;
	return v;
}
