/* Configuration Manager plugins: what both validation-kit routes share
 * (pxehubctl sccm check, in-process only): JSON answers, verdicts, the
 * query string, and the sanitizer that makes a site's exchanges into a
 * fixture a stand-in can replay without the site's names. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sccm_kit.h"

int sccm_kit_reply(pxh_http_response *rs, int status, json_t *o)
{
	rs->status = status;
	rs->content_type = "application/json";
	rs->body = json_dumps(o, JSON_INDENT(1) | JSON_SORT_KEYS);
	rs->body_len = rs->body ? strlen(rs->body) : 0;
	json_decref(o);
	return rs->body ? 0 : -ENOMEM;
}

void sccm_kit_check(json_t *checks, int *failed, const char *name, const char *level,
                    const char *detail)
{
	if (!strcmp(level, "fail"))
		(*failed)++;
	json_array_append_new(checks, json_pack("{s:s, s:s, s:s}", "name", name, "level", level,
	                                        "detail", detail));
}

/* ---- query string -------------------------------------------------------- */
static int hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

void sccm_kit_qparam(const char *q, const char *name, char *out, size_t len)
{
	size_t nl = strlen(name), o = 0;

	out[0] = '\0';
	for (const char *p = q; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t seg = amp ? (size_t)(amp - p) : strlen(p);
		if (seg > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			for (size_t i = nl + 1; i < seg && o + 1 < len; i++) {
				int hi, lo;
				if (p[i] == '%' && i + 2 < seg + 1 && (hi = hexval(p[i + 1])) >= 0 &&
				    (lo = hexval(p[i + 2])) >= 0) {
					out[o++] = (char)(hi * 16 + lo);
					i += 2;
				} else {
					out[o++] = p[i] == '+' ? ' ' : p[i];
				}
			}
			out[o] = '\0';
			return;
		}
		p = amp ? amp + 1 : NULL;
	}
}

/* ---- sanitizing ---------------------------------------------------------- */
static int mapped(const struct sccm_sanit *z, const char *from, size_t len)
{
	for (size_t i = 0; i < z->n; i++)
		if (strlen(z->map[i].from) == len && !strncasecmp(z->map[i].from, from, len))
			return 1;
	return 0;
}

/* FROM (LEN bytes) -> TO unless mapped already or the table is full. */
static void add(struct sccm_sanit *z, const char *from, size_t len, const char *to)
{
	if (!len || mapped(z, from, len) || z->n >= SCCM_SANIT_MAX)
		return;
	if (!(z->map[z->n].from = strndup(from, len)) || !(z->map[z->n].to = strdup(to))) {
		free(z->map[z->n].from);
		return;
	}
	z->n++;
}

void sccm_sanit_init(struct sccm_sanit *z, const char *mac, const char *guid, const char *dp)
{
	char dash[18];

	memset(z, 0, sizeof(*z));
	snprintf(dash, sizeof(dash), "%s", mac);
	for (char *c = dash; *c; c++)
		if (*c == ':')
			*c = '-';
	add(z, mac, strlen(mac), SCCM_FIX_MAC);
	add(z, dash, strlen(dash), SCCM_FIX_MAC);
	add(z, guid, strlen(guid), SCCM_FIX_GUID);
	add(z, dp, strlen(dp), SCCM_FIX_DP);
	z->macs = mac[0] ? 1 : 0;
	z->guids = guid[0] ? 1 : 0;
	z->hosts = dp[0] ? 1 : 0;
}

void sccm_sanit_free(struct sccm_sanit *z)
{
	for (size_t i = 0; i < z->n; i++) {
		free(z->map[i].from);
		free(z->map[i].to);
	}
	z->n = 0;
}

/* The host of a URL or UNC path that S is (e.g. the DP in PackagePath) is
 * the site's: SCCM_FIX_DP instead. */
static char *hide_host(const char *s)
{
	const char *h = NULL;
	size_t hl;
	char *out;

	if (!strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8))
		h = strstr(s, "//") + 2;
	else if (s[0] == '\\' && s[1] == '\\')
		h = s + 2;
	if (!h)
		return strdup(s);
	hl = strcspn(h, "/\\:");
	if (!(out = malloc(strlen(s) + sizeof(SCCM_FIX_DP))))
		return NULL;
	snprintf(out, strlen(s) + sizeof(SCCM_FIX_DP), "%.*s%s%s", (int)(h - s), s, SCCM_FIX_DP,
	         h + hl);
	return out;
}

/* One pass over V: at each place the longest mapped value that starts
 * there is replaced and skipped, so a stand-in is never rewritten by a
 * later (shorter) mapping. */
char *sccm_sanitize(const struct sccm_sanit *z, const char *v)
{
	size_t cap = strlen(v) + 1, n = 0;
	char *out = malloc(cap), *next;

	while (out && *v) {
		size_t best = 0, bl = 0, tl;
		for (size_t i = 0; i < z->n; i++) {
			size_t fl = strlen(z->map[i].from);
			if (fl > bl && !strncasecmp(v, z->map[i].from, fl)) {
				best = i;
				bl = fl;
			}
		}
		tl = bl ? strlen(z->map[best].to) : 1;
		if (n + tl + 1 > cap) {
			cap = (n + tl + 1) * 2;
			if (!(next = realloc(out, cap))) {
				free(out);
				return NULL;
			}
			out = next;
		}
		if (bl) {
			memcpy(out + n, z->map[best].to, tl);
			v += bl;
		} else {
			out[n] = *v++;
		}
		n += tl;
	}
	if (!out)
		return NULL;
	out[n] = '\0';
	if (!strncasecmp(out, "http", 4) || (out[0] == '\\' && out[1] == '\\')) {
		next = hide_host(out);
		free(out);
		out = next;
	}
	return out;
}

/* N hex digits at S */
static int hexrun(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static size_t guid_at(const char *s)
{
	static const size_t grp[] = {8, 4, 4, 4, 12};
	size_t o = 0;

	for (size_t g = 0; g < 5; g++) {
		if (!hexrun(s + o, grp[g]))
			return 0;
		o += grp[g];
		if (g < 4 && s[o++] != '-')
			return 0;
	}
	return isxdigit((unsigned char)s[o]) ? 0 : o;
}

static size_t mac_at(const char *s)
{
	char sep;

	if (!hexrun(s, 2) || ((sep = s[2]) != ':' && sep != '-'))
		return 0; /* s[2] is read only when s[0..1] are not the end */
	for (size_t i = 0; i < 6; i++)
		if (!hexrun(s + 3 * i, 2) || (i < 5 && s[3 * i + 2] != sep))
			return 0;
	return isxdigit((unsigned char)s[17]) || s[17] == sep ? 0 : 17;
}

static void scan_ids(struct sccm_sanit *z, const char *text)
{
	char to[48], alt[18];
	size_t n;

	for (const char *s = text; *s; s++) {
		/* not inside a longer run of hex groups ("GUID:" before one is fine) */
		if (s > text && (isxdigit((unsigned char)s[-1]) || s[-1] == '-'))
			continue;
		if ((n = guid_at(s))) {
			if (!mapped(z, s, n)) {
				snprintf(to, sizeof(to), "00000000-0000-4000-8000-%012u", ++z->guids);
				add(z, s, n, to);
			}
			s += n - 1;
		} else if ((s == text || s[-1] != ':') && (n = mac_at(s))) {
			memcpy(alt, s, 17);
			alt[17] = '\0';
			for (char *c = alt; *c; c++)
				*c = *c == '-' ? ':' : *c == ':' ? '-' : *c;
			if (!mapped(z, s, n) && !mapped(z, alt, 17)) {
				snprintf(to, sizeof(to), "02:00:5E:00:00:%02X", (++z->macs) & 0xff);
				add(z, s, n, to);
				add(z, alt, 17, to);
			}
			s += n - 1;
		}
	}
}

static void scan_hosts(struct sccm_sanit *z, const char *text)
{
	static const char *const pre[] = {"http://", "https://", "\\\\"};
	char to[48];

	for (size_t k = 0; k < 3; k++)
		for (const char *s = strcasestr(text, pre[k]); s; s = strcasestr(s + 1, pre[k])) {
			const char *h = s + strlen(pre[k]);
			size_t n = strcspn(h, "/\\:\"'<> \t\r\n");
			if (n < 2 || mapped(z, h, n))
				continue;
			if (z->hosts++)
				snprintf(to, sizeof(to), "dp%u.example.invalid", z->hosts);
			else
				snprintf(to, sizeof(to), "%s", SCCM_FIX_DP);
			add(z, h, n, to);
		}
}

/* A machine, site or server name of LEN bytes at S: not one of ours, not a
 * bare number (an item key), long enough not to hit everything. */
static void add_name(struct sccm_sanit *z, const char *s, size_t n)
{
	char to[24];
	size_t digits = strspn(s, "0123456789");

	if (n < 2 || digits >= n || mapped(z, s, n))
		return;
	for (size_t i = 0; i < z->n; i++)
		if (strlen(z->map[i].to) == n && !strncasecmp(z->map[i].to, s, n))
			return;
	snprintf(to, sizeof(to), "%s%u", SCCM_FIX_NAME, ++z->names);
	add(z, s, n, to);
}

void sccm_sanit_scan(struct sccm_sanit *z, const char *text, const char *const *name_tags,
                     const char *const *name_attrs)
{
	char open[64], close[64];

	scan_ids(z, text);
	scan_hosts(z, text);
	for (size_t t = 0; name_tags && name_tags[t]; t++) {
		snprintf(open, sizeof(open), "<%s>", name_tags[t]);
		snprintf(close, sizeof(close), "</%s>", name_tags[t]);
		for (const char *s = strstr(text, open); s; s = strstr(s + 1, open)) {
			const char *v = s + strlen(open), *e = strstr(v, close);
			if (e)
				add_name(z, v, (size_t)(e - v));
		}
	}
	for (size_t a = 0; name_attrs && name_attrs[a]; a++) {
		snprintf(open, sizeof(open), " %s=\"", name_attrs[a]);
		for (const char *s = strstr(text, open); s; s = strstr(s + 1, open)) {
			const char *v = s + strlen(open), *e = strchr(v, '"');
			if (e)
				add_name(z, v, (size_t)(e - v));
		}
	}
}
