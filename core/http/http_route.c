/* Routing: request target -> decoded path -> endpoint; query/form facts. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Decode %XX (and '+' as space when FORM) of P[0..N) into OUT.  Returns the
 * length or -1 on a bad escape, %00 or overflow. */
static int pct_decode(const char *p, size_t n, bool form, char *out,
                      size_t out_len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)p[i];

		if (ch == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -1;
			hi = hexval((unsigned char)p[i + 1]);
			lo = hexval((unsigned char)p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			ch = hi * 16 + lo;
			if (ch == 0)
				return -1;
			i += 2;
		} else if (ch == '+' && form) {
			ch = ' ';
		} else if (ch == 0) {
			return -1;
		}
		if (o + 1 >= out_len)
			return -1;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return (int)o;
}

int pxh_http_split_url(const char *url, char *out, size_t len,
                       const char **query)
{
	const char *q, *end;

	/* origin-form only ("/path?query"); absolute-form is accepted from
	 * proxies by RFC 9112, but nobody proxies to a boot server */
	if (url[0] != '/')
		return -EINVAL;
	q = strchr(url, '?');
	end = strchr(url, '#');
	if (!q || (end && end < q))
		q = end;
	if (pct_decode(url, q ? (size_t)(q - url) : strlen(url), false, out,
	               len) < 0)
		return -EINVAL;
	if (q && *q == '?') {
		*query = q + 1;
	} else {
		*query = "";
	}
	return 0;
}

static bool valid_plugin_name(const char *s, size_t n)
{
	if (n == 0 || n >= 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		      s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static void want_methods(struct pxh_http_match *m, unsigned method,
                         bool get, bool post)
{
	bool okm = (get && (method == HTTP_GET || method == HTTP_HEAD)) ||
	           (post && method == HTTP_POST);

	if (!okm)
		m->status = 405;
}

void pxh_http_route_match(const char *path, unsigned method,
                          struct pxh_http_match *m)
{
	memset(m, 0, sizeof(*m));
	m->rest = "";
	if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0) {
		m->route = PXH_ROUTE_INDEX;
		want_methods(m, method, true, false);
	} else if (strcmp(path, "/boot.ipxe") == 0) {
		m->route = PXH_ROUTE_BOOT;
		want_methods(m, method, true, true);
	} else if (strcmp(path, "/boot.grub") == 0 ||
	           (strlen(path) > 9 && !strcmp(path + strlen(path) - 9, "/grub.cfg") &&
	            strncmp(path, "/files/", 7) && strncmp(path, "/tftp/", 6))) {
		/* which grub.cfg is a stage 1 depends on [boot] grub_prefixes */
		m->route = PXH_ROUTE_GRUB;
		m->rest = path;
		want_methods(m, method, true, false);
	} else if (strncmp(path, "/files/", 7) == 0) {
		m->route = PXH_ROUTE_FILES;
		m->rest = path + 7;
		want_methods(m, method, true, false);
	} else if (strncmp(path, "/tftp/", 6) == 0) {
		m->route = PXH_ROUTE_TFTP;
		m->rest = path + 6;
		want_methods(m, method, true, false);
	} else if (strncmp(path, "/plugins/", 9) == 0) {
		const char *name = path + 9, *slash = strchr(name, '/');
		size_t n = slash ? (size_t)(slash - name) : strlen(name);

		if (!valid_plugin_name(name, n)) {
			m->status = 404;
			return;
		}
		m->route = PXH_ROUTE_PLUGIN;
		memcpy(m->plugin, name, n);
		m->plugin[n] = '\0';
		m->rest = slash ? slash : "/";
	} else if (strcmp(path, "/api/v1/status") == 0) {
		m->route = PXH_ROUTE_STATUS;
		want_methods(m, method, true, false);
	} else if (strcmp(path, "/api/v1/clients") == 0) {
		m->route = PXH_ROUTE_CLIENTS;
		want_methods(m, method, true, false);
	} else if (strcmp(path, "/api/v1/report") == 0) {
		m->route = PXH_ROUTE_REPORT;
		want_methods(m, method, false, true);
	} else if (strncmp(path, "/api/v1/clients/", 16) == 0 && path[16]) {
		m->route = PXH_ROUTE_CLIENT;
		m->rest = path + 16;
		want_methods(m, method, true, false);
	} else if (strcmp(path, "/api/v1/now") == 0) {
		m->route = PXH_ROUTE_NOW;
		want_methods(m, method, true, false);
	} else if (strcmp(path, "/api/v1/series") == 0) {
		m->route = PXH_ROUTE_SERIES;
		want_methods(m, method, true, false);
	} else if (strcmp(path, "/api/v1/events") == 0) {
		m->route = PXH_ROUTE_EVENTS;
		want_methods(m, method, true, false);
	} else if (strcmp(path, "/console.js") == 0 ||
	           strcmp(path, "/console.css") == 0 ||
	           strcmp(path, "/favicon.svg") == 0) {
		m->route = PXH_ROUTE_ASSET;
		m->rest = path + 1;
		want_methods(m, method, true, false);
	} else if (strcmp(path, "/login") == 0 || strcmp(path, "/logout") == 0) {
		m->route = PXH_ROUTE_LOGIN;
		m->rest = path + 1;
		want_methods(m, method, false, true);
	} else if (strcmp(path, "/metrics") == 0) {
		m->route = PXH_ROUTE_METRICS;
		want_methods(m, method, true, false);
	} else {
		m->status = 404;
	}
}

const char *pxh_http_route_name(enum pxh_http_route r)
{
	static const char *const names[PXH_ROUTE__MAX] = {
		[PXH_ROUTE_NONE] = "other",     [PXH_ROUTE_INDEX] = "index",
		[PXH_ROUTE_BOOT] = "boot",      [PXH_ROUTE_FILES] = "files",
		[PXH_ROUTE_TFTP] = "tftp",      [PXH_ROUTE_PLUGIN] = "plugin",
		[PXH_ROUTE_STATUS] = "status",  [PXH_ROUTE_CLIENTS] = "clients",
		[PXH_ROUTE_REPORT] = "report",  [PXH_ROUTE_METRICS] = "metrics",
		[PXH_ROUTE_CLIENT] = "client",  [PXH_ROUTE_NOW] = "now",
		[PXH_ROUTE_SERIES] = "series",  [PXH_ROUTE_EVENTS] = "events",
		[PXH_ROUTE_ASSET] = "asset",    [PXH_ROUTE_LOGIN] = "login",
		[PXH_ROUTE_GRUB] = "grub",
	};

	return (unsigned)r < PXH_ROUTE__MAX ? names[r] : "other";
}

int pxh_http_form_get(const char *form, size_t len, const char *key, char *out,
                      size_t out_len)
{
	size_t klen = strlen(key);
	const char *p = form, *end = form + len;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		const char *ke = eq ? eq : pe;

		if ((size_t)(ke - p) == klen && memcmp(p, key, klen) == 0) {
			if (!eq) {
				if (out_len)
					out[0] = '\0';
				return 0;
			}
			return pct_decode(eq + 1, (size_t)(pe - eq - 1), true,
			                  out, out_len);
		}
		p = pe + 1;
	}
	return -1;
}

int pxh_http_mac_normalise(const char *in, char out[18])
{
	unsigned b[6];
	size_t n = strlen(in);
	int i = 0;

	if (n == 12) {
		for (i = 0; i < 6; i++) {
			int hi = hexval((unsigned char)in[2 * i]);
			int lo = hexval((unsigned char)in[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return -EINVAL;
			b[i] = (unsigned)(hi * 16 + lo);
		}
	} else {
		const char *p = in;

		for (i = 0; i < 6; i++) {
			int v = 0, digits = 0, h;

			while ((h = hexval((unsigned char)*p)) >= 0 && digits < 2) {
				v = v * 16 + h;
				p++;
				digits++;
			}
			if (digits == 0)
				return -EINVAL;
			b[i] = (unsigned)v;
			if (i < 5) {
				if (*p != ':' && *p != '-')
					return -EINVAL;
				p++;
			}
		}
		if (*p)
			return -EINVAL;
	}
	for (i = 0; i < 6; i++) {
		out[3 * i] = "0123456789abcdef"[b[i] >> 4];
		out[3 * i + 1] = "0123456789abcdef"[b[i] & 15];
		out[3 * i + 2] = i < 5 ? ':' : '\0';
	}
	return 0;
}

/* Keep printable ASCII only: these strings end up in logs, JSON, scripts. */
static void copy_fact(char *dst, size_t dlen, const char *src)
{
	size_t o = 0;

	for (; *src && o + 1 < dlen; src++) {
		unsigned char ch = (unsigned char)*src;

		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			dst[o++] = (char)ch;
	}
	dst[o] = '\0';
	/* iPXE leaves trailing blanks from SMBIOS fields */
	while (o > 0 && dst[o - 1] == ' ')
		dst[--o] = '\0';
}

static uint16_t arch_from(const char *buildarch, const char *platform)
{
	bool efi = strcmp(platform, "efi") == 0;

	if (strcmp(buildarch, "x86_64") == 0)
		return efi ? PXH_ARCH_EFI_X64 : PXH_ARCH_BIOS;
	if (strcmp(buildarch, "i386") == 0)
		return efi ? PXH_ARCH_EFI_IA32 : PXH_ARCH_BIOS;
	if (strcmp(buildarch, "arm64") == 0)
		return PXH_ARCH_EFI_ARM64;
	if (strcmp(buildarch, "arm32") == 0)
		return PXH_ARCH_EFI_ARM32;
	return PXH_ARCH_UNKNOWN;
}

/* The keys /boot.ipxe reads, in the order they are applied ("buildarch"
 * after "arch": the later one wins). */
enum fact_key {
	FK_MAC, FK_UUID, FK_MANUFACTURER, FK_PRODUCT, FK_SERIAL, FK_ASSET,
	FK_PLATFORM, FK_ARCH, FK_BUILDARCH, FK__MAX
};

static int fact_key(const char *k, size_t n)
{
	/* by length first: most pairs are rejected without a compare */
	switch (n) {
	case 3: return memcmp(k, "mac", 3) ? -1 : FK_MAC;
	case 4: return !memcmp(k, "uuid", 4) ? FK_UUID : !memcmp(k, "arch", 4) ? FK_ARCH : -1;
	case 5: return memcmp(k, "asset", 5) ? -1 : FK_ASSET;
	case 6: return memcmp(k, "serial", 6) ? -1 : FK_SERIAL;
	case 7: return memcmp(k, "product", 7) ? -1 : FK_PRODUCT;
	case 8: return memcmp(k, "platform", 8) ? -1 : FK_PLATFORM;
	case 9: return memcmp(k, "buildarch", 9) ? -1 : FK_BUILDARCH;
	case 12: return memcmp(k, "manufacturer", 12) ? -1 : FK_MANUFACTURER;
	default: return -1;
	}
}

/* SMBIOS UUID text "01234567-89ab-..." into OUT in upper case, or "". */
static void uuid_fact(const char *v, char out[37])
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (v[i] != '-')
				return;
		} else if (hexval((unsigned char)v[i]) < 0) {
			return;
		}
	}
	if (v[36])
		return;
	for (i = 0; i < 36; i++)
		out[i] = v[i] >= 'a' && v[i] <= 'f' ? (char)(v[i] - 'a' + 'A') : v[i];
	out[36] = '\0';
}

int pxh_http_facts(const char *form, size_t len, pxh_client *c)
{
	static const struct {
		size_t off, size;
	} dest[FK__MAX] = {
		[FK_MANUFACTURER] = {offsetof(pxh_client, manufacturer), sizeof(c->manufacturer)},
		[FK_PRODUCT] = {offsetof(pxh_client, product), sizeof(c->product)},
		[FK_SERIAL] = {offsetof(pxh_client, serial), sizeof(c->serial)},
		[FK_ASSET] = {offsetof(pxh_client, asset), sizeof(c->asset)},
		[FK_PLATFORM] = {offsetof(pxh_client, platform), sizeof(c->platform)},
		[FK_ARCH] = {offsetof(pxh_client, buildarch), sizeof(c->buildarch)},
		[FK_BUILDARCH] = {offsetof(pxh_client, buildarch), sizeof(c->buildarch)},
	};
	/* one pass over the pairs: where each key's first occurrence is
	 * (what pxh_http_form_get would find), then applied in key order */
	const char *val[FK__MAX] = {NULL};
	size_t vlen[FK__MAX] = {0};
	const char *p = form, *end = form + len;
	char v[256];
	int found = 0;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pe - p));
		int k = fact_key(p, (size_t)((eq ? eq : pe) - p));

		if (k >= 0 && !val[k]) {
			val[k] = eq ? eq + 1 : pe;
			vlen[k] = eq ? (size_t)(pe - eq - 1) : 0;
		}
		p = pe + 1;
	}
	for (int k = 0; k < FK__MAX; k++) {
		if (!val[k] || pct_decode(val[k], vlen[k], true, v, sizeof(v)) < 0)
			continue;
		found++;
		if (k == FK_MAC) {
			if (pxh_http_mac_normalise(v, c->mac) < 0)
				c->mac[0] = '\0';
		} else if (k == FK_UUID) {
			uuid_fact(v, c->uuid);
		} else {
			copy_fact((char *)c + dest[k].off, dest[k].size, v);
		}
	}
	if (c->buildarch[0]) {
		c->arch = arch_from(c->buildarch, c->platform);
		pxh_http_copy(c->arch_name, sizeof(c->arch_name), pxh_arch_name(c->arch));
	}
	return found;
}
