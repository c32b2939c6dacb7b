/* libFuzzer: syslog_stifler's RFC 5424 rendering of arbitrary event fields.
 * Each output is read back by a strict reader written here from the RFC's
 * ABNF (not from the renderer): header fields, one SD element whose
 * PARAM-VALUEs have '"', '\' and ']' escaped, valid UTF-8 throughout (glibc
 * mbrtowc decides, limited to RFC 3629's range), and values that were clean
 * UTF-8 come back unchanged. */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "../../plugins/syslog_stifler/syslog_format.c"

static int utf8_ok(const char *s, size_t n)
{
	mbstate_t st;

	memset(&st, 0, sizeof(st));
	while (n) {
		wchar_t wc;
		size_t r = mbrtowc(&wc, s, n, &st);

		/* glibc takes up to 0x7fffffff; RFC 3629 ends at U+10FFFF and
		 * excludes surrogates */
		if (r == (size_t)-1 || r == (size_t)-2 || wc > 0x10ffff ||
		    (wc >= 0xd800 && wc <= 0xdfff))
			return 0;
		if (r == 0)
			r = 1;
		s += r;
		n -= r;
	}
	return 1;
}

static int clean(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return utf8_ok(v, strlen(v));
}

/* Skip one header field (1*PRINTUSASCII) and the space after it. */
static const char *field(const char *p)
{
	const char *s = p;

	while (*p > 32 && *p < 127)
		p++;
	if (p == s || *p != ' ')
		abort();
	return p + 1;
}

/* Read the SD element at P; when NAME's value is seen, unescape it into
 * OUT.  Returns the position after ']'. */
static const char *sd(const char *p, const char *name, char *out, size_t cap)
{
	if (strncmp(p, "[pxehub@32473", 13))
		abort();
	p += 13;
	while (*p == ' ') {
		const char *n = ++p;
		size_t o = 0;
		int mine;

		while (*p > 32 && *p < 127 && *p != '=' && *p != ']' && *p != '"')
			p++;
		if (p == n || p - n > 32 || p[0] != '=' || p[1] != '"')
			abort();
		mine = (size_t)(p - n) == strlen(name) && !strncmp(n, name, strlen(name));
		for (p += 2; *p != '"'; p++) {
			if (!*p || *p == ']')
				abort(); /* ']' must be escaped */
			if (*p == '\\') {
				p++;
				if (*p != '"' && *p != '\\' && *p != ']')
					abort(); /* only these are escaped */
			}
			if (mine && o + 1 < cap)
				out[o++] = *p;
		}
		if (mine)
			out[o] = '\0';
		p++;
	}
	if (*p != ']')
		abort();
	return p + 1;
}

static void take(char *dst, size_t cap, const uint8_t **d, size_t *n)
{
	size_t l = 0;

	while (l < *n && (*d)[l] != 0)
		l++;
	if (l >= cap)
		l = cap - 1;
	memcpy(dst, *d, l);
	dst[l] = '\0';
	l = l < *n ? l + 1 : l;
	*d += l;
	*n -= l;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static int init;
	char host[300], buf[SL_FORMAT_MIN], got[1024];
	struct sl_header hd = {.hostname = host};
	pxh_event ev;
	pxh_client cl;
	const char *p;
	size_t len;

	if (!init) {
		setlocale(LC_CTYPE, "C.UTF-8");
		init = 1;
	}
	if (n < 12)
		return 0;
	memset(&ev, 0, sizeof(ev));
	memset(&cl, 0, sizeof(cl));
	ev.client = &cl;
	ev.kind = d[0] % (PXH_EV__MAX + 1);
	ev.severity = d[1] % 9;
	hd.facility = d[2] % 25;
	hd.procid = (long)d[3] - 8;
	memcpy(&ev.bytes, d + 4, 4);
	memcpy(&ev.duration_us, d + 8, 4);
	ev.time_us = (uint64_t)d[3] * 86400000000ull * 365;
	d += 12;
	n -= 12;
	take(host, sizeof(host), &d, &n);
	take(ev.file, sizeof(ev.file), &d, &n);
	take(ev.action, sizeof(ev.action), &d, &n);
	take(ev.plugin, sizeof(ev.plugin), &d, &n);
	take(ev.message, sizeof(ev.message), &d, &n);
	take(cl.mac, sizeof(cl.mac), &d, &n);
	take(cl.uuid, sizeof(cl.uuid), &d, &n);
	take(cl.ip, sizeof(cl.ip), &d, &n);
	take(cl.arch_name, sizeof(cl.arch_name), &d, &n);

	len = sl_format(buf, sizeof(buf), &ev, &hd);
	if (!len || len != strlen(buf) || !utf8_ok(buf, len))
		abort();
	/* <PRI>1 SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD */
	if (buf[0] != '<')
		abort();
	p = strchr(buf, '>');
	if (!p || p - buf > 4 || strncmp(p, ">1 ", 3))
		abort();
	p = field(p + 3); /* TIMESTAMP */
	{
		const char *h = p;

		p = field(p); /* HOSTNAME */
		if (p - h - 1 > 255)
			abort();
	}
	if (strncmp(p, "pxehub ", 7))
		abort();
	p = field(p + 7); /* PROCID */
	p = field(p);     /* MSGID */
	got[0] = '\0';
	p = sd(p, "file", got, sizeof(got));
	if (*p && *p != ' ')
		abort();
	if (ev.file[0] && clean(ev.file) && strcmp(got, ev.file))
		abort();
	return 0;
}
