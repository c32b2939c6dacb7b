/* sccm_mp_http: the validation kit's record (pxehubctl sccm check --mp).
 * While on, every request (header and payload as text) and its answer
 * (HTTP status, reply payload as text, parse error) are kept, with the
 * site facts; the in-process route /trace turns it on and hands the record
 * out with a verdict per exchange and a sanitized fixture that the MP
 * stand-in replays (tests/mp/mp_server.py --fixture).  Never served over
 * the network. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sccm_mp_http.h"
#include "mp_plugin.h"
#include "../common/sccm/sccm_kit.h"

#define TRACE_MAX 32 /* exchanges kept while on */

/* UTF-16LE (with or without BOM, NUL-terminated or not) or UTF-8 bytes as
 * displayable text: code points above 0x7e become '?', controls but
 * newline/tab become ' ' (for reading, not for parsing). */
static char *display(const uint8_t *p, size_t len)
{
	int u16 = (len >= 2 && p[0] == 0xff && p[1] == 0xfe) || (len >= 2 && p[1] == 0 && p[0]);
	size_t i = len >= 2 && p[0] == 0xff && p[1] == 0xfe ? 2 : 0, o = 0;
	char *out = malloc(len + 1);

	if (!out)
		return NULL;
	while (i < len) {
		unsigned c = p[i];
		if (u16) {
			c = i + 1 < len ? (unsigned)(p[i] | p[i + 1] << 8) : p[i];
			i += 2;
		} else {
			i++;
		}
		if (!c)
			continue;
		out[o++] = c == '\n' || c == '\t' ? (char)c : c < 0x20 ? ' ' : c > 0x7e ? '?' : (char)c;
	}
	out[o] = '\0';
	return out;
}

void mp_trace_request(struct mp_plugin *p, const char *kind, const char *endpoint,
                      const char *header, const uint8_t *payload16, size_t len)
{
	char *t;

	if (!p->trace || json_array_size(p->trace) >= TRACE_MAX)
		return;
	t = display(payload16, len);
	json_array_append_new(p->trace, json_pack("{s:s, s:s, s:s, s:s}", "kind", kind, "endpoint",
	                                          endpoint, "header", header, "payload",
	                                          t ? t : ""));
	free(t);
}

void mp_trace_reply(struct mp_plugin *p, long status, const char *error, const uint8_t *xml,
                    size_t len, const char *parse_error)
{
	json_t *last;
	char *t;

	if (!p->trace || !(last = json_array_get(p->trace, json_array_size(p->trace) - 1)) ||
	    json_object_get(last, "status"))
		return;
	json_object_set_new(last, "status", json_integer(status));
	if (error)
		json_object_set_new(last, "error", json_string(error));
	if (xml && (t = display(xml, len))) {
		json_object_set_new(last, "reply", json_string(t));
		free(t);
	}
	if (parse_error)
		json_object_set_new(last, "parse_error", json_string(parse_error));
}

/* The client authentication's key and signatures in a request header are
 * pxehub's own secrets' traces: "(removed)" in the fixture. */
static char *redact(const char *hdr)
{
	static const char *const props[] = {"PublicKey", "ClientIDSignature", "PayloadSignature"};
	char *out = hdr ? strdup(hdr) : NULL, open[64];

	for (size_t k = 0; out && k < 3; k++) {
		char *v, *e;
		snprintf(open, sizeof(open), "<Property Name=\"%s\">", props[k]);
		if (!(v = strstr(out, open)) || !(e = strchr(v += strlen(open), '<')) || e - v < 9)
			continue; /* a value shorter than the mark: none to hide */
		memcpy(v, "(removed)", 9);
		memmove(v + 9, e, strlen(e) + 1);
	}
	return out;
}

/* A string member of O sanitized with Z, set in FIX (when present in O). */
static void put(json_t *fix, const char *key, json_t *o, const struct sccm_sanit *z)
{
	const char *v = json_string_value(json_object_get(o, key));
	char *s;

	if (v && (s = sccm_sanitize(z, v))) {
		json_object_set_new(fix, key, json_string(s));
		free(s);
	}
}

/* The fixture: the site facts and every exchange with the client's
 * identifiers, every other GUID and MAC, hosts, machine/site/server names
 * replaced consistently, keys and signatures removed. */
static json_t *fixture(const struct mp_plugin *p, const char *mac, const char *uuid,
                       const char *arch, json_t *trace)
{
	static const char *const tags[] = {"NetbiosName", "NetBIOSName", "SITENAME",
	                                   "AuthSenderMachine", "SourceHost", "MachineName", NULL};
	static const char *const attrs[] = {"ServerName", "ServerRemoteName", "DatabaseName",
	                                    "DomainName", "NetbiosName", NULL};
	static const char *const keys[] = {"kind", "endpoint", "header", "payload", "error",
	                                   "reply", "parse_error"};
	struct sccm_sanit z;
	json_t *ex = json_array(), *copies = json_array(), *x, *site, *out;
	size_t i;
	char *h;

	sccm_sanit_init(&z, mac, uuid, "");
	sccm_sanit_scan(&z, p->site.unknown_x86, NULL, NULL);
	sccm_sanit_scan(&z, p->site.unknown_x64, NULL, NULL);
	/* first every name, then every replacement: a name seen in a later
	 * exchange is hidden in the earlier ones too */
	json_array_foreach(trace, i, x) {
		json_t *c = json_deep_copy(x);
		if (!c)
			continue;
		if ((h = redact(json_string_value(json_object_get(c, "header")))))
			json_object_set_new(c, "header", json_string(h));
		free(h);
		for (size_t k = 2; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (json_string_value(json_object_get(c, keys[k])))
				sccm_sanit_scan(&z, json_string_value(json_object_get(c, keys[k])), tags,
				                attrs);
		json_array_append_new(copies, c);
	}
	json_array_foreach(copies, i, x) {
		json_t *one = json_object();
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			put(one, keys[k], x, &z);
		json_object_set_new(one, "status",
		                    json_integer(json_integer_value(json_object_get(x, "status"))));
		json_array_append_new(ex, one);
	}
	json_decref(copies);
	site = json_object();
	json_object_set_new(site, "site_code", json_string(p->site_ok ? p->site.site_code : ""));
	json_object_set_new(site, "ok", json_boolean(p->site_ok));
	for (size_t k = 0; k < 2; k++) {
		char *g = sccm_sanitize(&z, k ? p->site.unknown_x64 : p->site.unknown_x86);
		json_object_set_new(site, k ? "unknown_x64" : "unknown_x86", json_string(g ? g : ""));
		free(g);
	}
	out = json_pack("{s:i, s:s, s:{s:s, s:s, s:s}, s:o, s:o}", "version", 1, "plugin",
	                "sccm_mp_http", "client", "mac", SCCM_FIX_MAC, "uuid",
	                uuid[0] ? SCCM_FIX_GUID : "", "arch", arch[0] ? arch : "efi-x64", "site",
	                site, "exchanges", ex);
	sccm_sanit_free(&z);
	return out;
}

int mp_trace_http(void *ud, const pxh_http_request *rq, pxh_http_response *rs)
{
	struct mp_plugin *p = ud;
	json_t *out, *checks, *x;
	size_t i;
	int failed = 0;
	char d[300], mac[64], uuid[64], arch[32];

	if (rq->core)
		return sccm_kit_reply(rs, 403, json_pack("{s:s}", "error", "in-process only: run "
		                                "\"pxehubctl sccm check --mp\" on the server"));
	if (strcmp(rq->path, "/trace"))
		return sccm_kit_reply(rs, 404, json_pack("{s:s}", "error", "no such route (try /trace)"));
	if (!strcmp(rq->query, "on=1")) {
		json_decref(p->trace);
		p->trace = json_array();
		return sccm_kit_reply(rs, 200, json_pack("{s:b}", "recording", 1));
	}
	if (!p->trace)
		return sccm_kit_reply(rs, 409, json_pack("{s:s}", "error", "not recording (on=1 first)"));
	checks = json_array();
	if (p->site_ok) {
		snprintf(d, sizeof(d), "site %s, unknown machines x86 %s x64 %s", p->site.site_code,
		         p->site.unknown_x86[0] ? p->site.unknown_x86 : "-",
		         p->site.unknown_x64[0] ? p->site.unknown_x64 : "-");
		sccm_kit_check(checks, &failed, "site_facts", p->site.unknown_x86[0] && p->site.unknown_x64[0]
		                                             ? "pass" : "warn", d);
	} else {
		sccm_kit_check(checks, &failed, "site_facts", "fail",
		      "MPKEYINFORMATIONMEDIA not read from any management point");
	}
	if (!json_array_size(p->trace))
		sccm_kit_check(checks, &failed, "requests", "fail", "no request was sent (see the decision)");
	json_array_foreach(p->trace, i, x) {
		long st = (long)json_integer_value(json_object_get(x, "status"));
		const char *kind = json_string_value(json_object_get(x, "kind"));
		const char *perr = json_string_value(json_object_get(x, "parse_error"));
		if (st == 200 && !perr)
			snprintf(d, sizeof(d), "HTTP 200, reply read");
		else if (st == 200)
			snprintf(d, sizeof(d), "HTTP 200 but the reply is not understood: %s", perr);
		else if (st == 400)
			snprintf(d, sizeof(d), "HTTP 400: the management point refused the framing "
			         "(header BOM, Hook3, Length, terminator?)");
		else if (st == 401 || st == 403)
			snprintf(d, sizeof(d), "HTTP %ld: client authentication refused: is signing_key "
			         "registered and approved, auth_client_id right?", st);
		else if (st)
			snprintf(d, sizeof(d), "HTTP %ld", st);
		else
			snprintf(d, sizeof(d), "no answer: %s",
			         json_string_value(json_object_get(x, "error"))
			                 ? json_string_value(json_object_get(x, "error")) : "?");
		sccm_kit_check(checks, &failed, kind, st == 200 && !perr ? "pass" : "fail", d);
	}
	sccm_kit_qparam(rq->query, "mac", mac, sizeof(mac));
	sccm_kit_qparam(rq->query, "uuid", uuid, sizeof(uuid));
	sccm_kit_qparam(rq->query, "arch", arch, sizeof(arch));
	out = json_pack("{s:s, s:o, s:o, s:o, s:b}", "plugin", "sccm_mp_http", "fixture",
	                fixture(p, mac, uuid, arch, p->trace), "exchanges", p->trace, "checks",
	                checks, "ok", !failed);
	p->trace = NULL;
	return sccm_kit_reply(rs, 200, out);
}
