/* sccm_mp_http: Configuration Manager messages on the wire: request
 * templates, UTF-16LE text, zlib payloads, the multipart/mixed body of a
 * CCM_POST, and the payload of a reply. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "sccm_mp_http.h"

#define MP_BOUNDARY "aAbBcCdDv1234567890VxXyYzZ"
#define MP_MAX_PAYLOAD (4u << 20) /* an inflated reply; real ones are a few KB */

/* ---- a growing buffer ------------------------------------------------------ */
struct buf {
	uint8_t *p;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		uint8_t *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static uint8_t *take(struct buf *b, size_t *len)
{
	if (b->oom || !b->p) {
		free(b->p);
		return NULL;
	}
	*len = b->len;
	return b->p;
}

/* ---- templates ----------------------------------------------------------- */
static void put_escaped(struct buf *b, const char *v)
{
	for (; *v; v++) {
		switch (*v) {
		case '&': puts_(b, "&amp;"); break;
		case '<': puts_(b, "&lt;"); break;
		case '>': puts_(b, "&gt;"); break;
		case '"': puts_(b, "&quot;"); break;
		case '\'': puts_(b, "&apos;"); break;
		default: put(b, v, 1);
		}
	}
}

char *mp_template_expand(const char *tmpl, const struct mp_var *vars, size_t n,
                         char *why, size_t why_len)
{
	struct buf b = {0};
	const char *s = tmpl;
	size_t len;

	while (*s) {
		const char *open = strstr(s, "{{"), *close;
		size_t i;

		if (!open) {
			puts_(&b, s);
			break;
		}
		put(&b, s, (size_t)(open - s));
		close = strstr(open + 2, "}}");
		if (!close) {
			snprintf(why, why_len, "unterminated {{ placeholder");
			goto fail;
		}
		for (i = 0; i < n; i++)
			if (strlen(vars[i].name) == (size_t)(close - open - 2) &&
			    !strncmp(vars[i].name, open + 2, (size_t)(close - open - 2)))
				break;
		if (i == n) {
			snprintf(why, why_len, "unknown placeholder {{%.*s}}",
			         (int)(close - open - 2 > 40 ? 40 : close - open - 2), open + 2);
			goto fail;
		}
		put_escaped(&b, vars[i].value ? vars[i].value : "");
		s = close + 2;
	}
	if (!b.p)
		put(&b, "", 0);
	if (b.oom)
		snprintf(why, why_len, "out of memory");
	return (char *)take(&b, &len);
fail:
	free(b.p);
	return NULL;
}

/* ---- UTF-16LE and zlib ------------------------------------------------------ */
uint8_t *mp_utf16le(const char *s, size_t *out_len)
{
	const uint8_t *p = (const uint8_t *)s;
	struct buf b = {0};

	while (*p) {
		uint32_t cp;
		int extra;
		uint8_t u[4];

		if (*p < 0x80) {
			cp = *p;
			extra = 0;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			extra = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			extra = 2;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			extra = 3;
		} else {
			goto bad;
		}
		p++;
		for (int i = 0; i < extra; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				goto bad;
			cp = cp << 6 | (*p & 0x3f);
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000;
			uint16_t hi = (uint16_t)(0xd800 | v >> 10), lo = (uint16_t)(0xdc00 | (v & 0x3ff));
			u[0] = (uint8_t)hi;
			u[1] = (uint8_t)(hi >> 8);
			u[2] = (uint8_t)lo;
			u[3] = (uint8_t)(lo >> 8);
			put(&b, u, 4);
		} else {
			u[0] = (uint8_t)cp;
			u[1] = (uint8_t)(cp >> 8);
			put(&b, u, 2);
		}
	}
	if (!b.p)
		put(&b, "", 0);
	return take(&b, out_len);
bad:
	free(b.p);
	return NULL;
}

uint8_t *mp_utf16le_bom(const char *s, size_t *out_len)
{
	size_t n;
	uint8_t *t = mp_utf16le(s, &n), *out;

	if (!t || !(out = malloc(n + 2))) {
		free(t);
		return NULL;
	}
	out[0] = 0xff;
	out[1] = 0xfe;
	memcpy(out + 2, t, n);
	free(t);
	*out_len = n + 2;
	return out;
}

uint8_t *mp_zlib(const uint8_t *p, size_t len, size_t *out_len)
{
	uLongf n = compressBound((uLong)len);
	uint8_t *out = malloc(n ? n : 1);

	if (!out)
		return NULL;
	if (compress2(out, &n, p, (uLong)len, Z_DEFAULT_COMPRESSION) != Z_OK) {
		free(out);
		return NULL;
	}
	*out_len = n;
	return out;
}

static int inflate_all(const uint8_t *p, size_t len, uint8_t **out, size_t *out_len)
{
	z_stream z;
	struct buf b = {0};
	uint8_t chunk[16384];
	int rc;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END)
			break;
		put(&b, chunk, sizeof(chunk) - z.avail_out);
		if (b.len > MP_MAX_PAYLOAD)
			rc = Z_MEM_ERROR;
	} while (rc == Z_OK && (z.avail_in > 0 || z.avail_out == 0));
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(b.p);
		return -EBADMSG;
	}
	*out = take(&b, out_len);
	return *out ? 0 : -ENOMEM;
}

/* ---- multipart ---------------------------------------------------------------- */
uint8_t *mp_multipart(const uint8_t *hdr, size_t hdr_len, const uint8_t *payload,
                      size_t payload_len, const char **ctype, size_t *out_len)
{
	struct buf b = {0};

	*ctype = "multipart/mixed; boundary=\"" MP_BOUNDARY "\"";
	puts_(&b, "--" MP_BOUNDARY "\r\ncontent-type: text/plain; charset=UTF-16\r\n\r\n");
	put(&b, hdr, hdr_len);
	puts_(&b, "\r\n--" MP_BOUNDARY "\r\ncontent-type: application/octet-stream\r\n\r\n");
	put(&b, payload, payload_len);
	puts_(&b, "\r\n--" MP_BOUNDARY "--\r\n");
	return take(&b, out_len);
}

static const uint8_t *find(const uint8_t *p, size_t len, const char *needle, size_t nlen)
{
	if (nlen == 0 || len < nlen)
		return NULL;
	for (size_t i = 0; i + nlen <= len; i++)
		if (p[i] == (uint8_t)needle[0] && !memcmp(p + i, needle, nlen))
			return p + i;
	return NULL;
}

/* BOUNDARY from a Content-Type value, or -EINVAL. */
static int boundary_of(const char *ct, char *out, size_t len)
{
	const char *b = ct ? strcasestr(ct, "boundary=") : NULL;
	size_t n = 0;

	if (!b)
		return -EINVAL;
	b += 9;
	if (*b == '"')
		b++;
	while (b[n] && b[n] != '"' && b[n] != ';' && b[n] != ' ' && n + 1 < len)
		n++;
	if (!n || n > 70)
		return -EINVAL;
	memcpy(out, b, n);
	out[n] = '\0';
	return 0;
}

/* The last part's content (between its blank line and the next delimiter). */
static int last_part(const uint8_t *p, size_t len, const char *bnd, const uint8_t **out,
                     size_t *out_len)
{
	char delim[80];
	size_t dl = (size_t)snprintf(delim, sizeof(delim), "--%s", bnd);
	const uint8_t *cur = find(p, len, delim, dl), *best = NULL;
	size_t best_len = 0;

	while (cur) {
		const uint8_t *end = p + len, *body, *next;
		cur += dl;
		if (end - cur >= 2 && cur[0] == '-' && cur[1] == '-')
			break; /* closing delimiter */
		body = find(cur, (size_t)(end - cur), "\r\n\r\n", 4);
		if (!body)
			return -EBADMSG;
		body += 4;
		next = find(body, (size_t)(end - body), delim, dl);
		if (!next)
			return -EBADMSG;
		best = body;
		best_len = (size_t)(next - body);
		if (best_len >= 2 && next[-2] == '\r' && next[-1] == '\n')
			best_len -= 2;
		cur = next;
	}
	if (!best)
		return -EBADMSG;
	*out = best;
	*out_len = best_len;
	return 0;
}

int mp_reply_payload(const uint8_t *p, size_t len, const char *content_type,
                     const uint8_t **out, size_t *out_len, uint8_t **free_me)
{
	char bnd[80];

	*free_me = NULL;
	*out = p;
	*out_len = len;
	if (content_type && !strncasecmp(content_type, "multipart/", 10)) {
		if (boundary_of(content_type, bnd, sizeof(bnd)) ||
		    last_part(p, len, bnd, out, out_len))
			return -EBADMSG;
	}
	/* a zlib stream: CMF 0x78 (deflate, 32K window) and a valid FCHECK */
	if (*out_len >= 2 && (*out)[0] == 0x78 && (((*out)[0] << 8) | (*out)[1]) % 31 == 0) {
		int rc = inflate_all(*out, *out_len, free_me, out_len);
		if (rc)
			return rc;
		*out = *free_me;
	}
	return *out_len ? 0 : -EBADMSG;
}
