/* The options area of a DHCPv4 message (RFC 2131 4.1, RFC 2132 9.3
 * overload, RFC 3396 long options), read without trusting any length:
 * the SDK's pxh_client_option() on a client's raw request, and the DHCP
 * module's parser (core/dhcp/dhcp_parse.c) walk it with these. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pxehub/plugin.h"
#include "dhcp/dhcp_proto.h"
#include "dhcp_options.h"

struct area_walk {
	pxh_dhcp_opt_fn fn;
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

int pxh_dhcp_check_header(const uint8_t *p, size_t len, const char **why)
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
int pxh_dhcp_walk_options(const uint8_t *p, size_t len, pxh_dhcp_opt_fn fn,
                          void *ud, const char **why)
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

	if (!p || pxh_dhcp_check_header(p, len, &why) < 0)
		return NULL;
	if (pxh_dhcp_walk_options(p, len, find_one, &f, &why) < 0 || f.n == 0 || f.overflow)
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
