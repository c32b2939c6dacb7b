/* sccm_mp_http (experimental): Configuration Manager boot decisions from a
 * management point over HTTP(S), as the stock PXE responder gets them.
 *
 * Per machine: the site facts (site code, unknown-machine GUIDs from
 * MPKEYINFORMATIONMEDIA, cached and refreshed), then a device lookup and a
 * boot action request as CCM_POST messages built from the admin's
 * templates (signed with the key registered for pxehub).  The answer (one
 * deployment or none) goes through the client-facing code shared with
 * sccm_sql (plugins/common/sccm/): cache, deadlines, fail policy, events,
 * the menu with wimboot and the boot image content. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/random.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "mp_plugin.h"

#define MP_TEMPLATE_MAX (64 * 1024)
#define MP_REPLY_MAX (1u << 20)
#define MP_PATH_REQUEST "/ccm_system/request"
#define MP_PATH_KEYINFO "/SMS_MP/.sms_aut?MPKEYINFORMATIONMEDIA"

enum { KIND_LOOKUP, KIND_ACTION };

struct mp_job {
	struct mp_plugin *p;
	struct sccm_lookup *lk;
	struct sccm_key key;
	int kind;
	int drop_guid, drop_mac; /* left out after a Duplicate* flag */
	char client_id[64];
	long long item_key;
	uint8_t *payload; /* UTF-16LE, NUL-terminated, then CRLF */
	size_t payload_len;
	char why[400];
	struct sccm_result res;
	struct mp_job *next, *wait_next;
};

/* ---- jobs ---------------------------------------------------------------- */
static void job_unlink(struct mp_job *j)
{
	for (struct mp_job **pp = &j->p->jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
}

static void job_finish(struct mp_job *j)
{
	job_unlink(j);
	sccm_front_done(j->lk, &j->res);
	free(j->payload);
	free(j);
}

static void job_error(struct mp_job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void job_error(struct mp_job *j, const char *fmt, ...)
{
	va_list ap;

	j->res.status = SCCM_ERROR;
	va_start(ap, fmt);
	vsnprintf(j->res.why, sizeof(j->res.why), fmt, ap);
	va_end(ap);
	job_finish(j);
}

static void job_none(struct mp_job *j, enum sccm_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void job_none(struct mp_job *j, enum sccm_status st, const char *fmt, ...)
{
	va_list ap;

	j->res.status = st;
	j->res.n = 0;
	va_start(ap, fmt);
	vsnprintf(j->res.why, sizeof(j->res.why), fmt, ap);
	va_end(ap);
	job_finish(j);
}

static const char *site_code(const struct mp_plugin *p)
{
	return p->site_code_conf[0] ? p->site_code_conf : p->site.site_code;
}

static const char *unknown_arch(const struct mp_plugin *p, uint16_t arch)
{
	switch (arch) {
	case PXH_ARCH_EFI_X64:
	case PXH_ARCH_EFI_X64_HTTP:
		return "x64";
	case PXH_ARCH_EFI_IA32:
	case PXH_ARCH_EFI_IA32_HTTP:
		return "x86";
	case PXH_ARCH_BIOS:
		return p->unknown_bios_x64 ? "x64" : "x86";
	default:
		return "";
	}
}

/* ---- messages ---------------------------------------------------------------- */
static void new_guid(char out[39])
{
	uint8_t b[16] = {0};

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)rand();
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 39, "{%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X}",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
	         b[12], b[13], b[14], b[15]);
}

#define MP_NVARS 24
struct vars {
	struct mp_var v[MP_NVARS];
	size_t n;
	char item_key[24], message_id[39], sent_time[24], body_length[24];
	char payload_sig[2 * 1024 + 1], client_id_sig[2 * 1024 + 1];
};

static void var(struct vars *vs, const char *name, const char *value)
{
	if (vs->n < MP_NVARS)
		vs->v[vs->n++] = (struct mp_var){.name = name, .value = value};
}

static void job_vars(struct mp_job *j, struct vars *vs)
{
	struct mp_plugin *p = j->p;
	time_t t = time(NULL);
	struct tm tm;

	memset(vs, 0, sizeof(*vs));
	snprintf(vs->item_key, sizeof(vs->item_key), "%lld", j->item_key);
	new_guid(vs->message_id);
	gmtime_r(&t, &tm);
	strftime(vs->sent_time, sizeof(vs->sent_time), "%Y-%m-%dT%H:%M:%SZ", &tm);
	var(vs, "mac", j->drop_mac ? "" : j->key.mac);
	var(vs, "guid", j->drop_guid ? "" : j->key.guid);
	var(vs, "site_code", site_code(p));
	var(vs, "client_id", j->client_id);
	var(vs, "item_key", vs->item_key);
	var(vs, "arch", unknown_arch(p, j->key.arch));
	var(vs, "source_host", pxh_host_fqdn(p->h));
	var(vs, "message_id", vs->message_id);
	var(vs, "sent_time", vs->sent_time);
}

static void on_reply(void *ud, int rc, const struct mp_http_res *r, const char *why);

/*
 * The payload goes out as sccmwtf's requests show: UTF-16LE text ending in
 * a UTF-16 NUL and CRLF; Body Length = that text's length without the CRLF
 * (uncompressed); zlib-compressed (marked by Hook3 "zlib-compress" in the
 * header template); signed after compression (PayloadSignature), with the
 * registered client ID signed as UTF-16LE plus a NUL (ClientIDSignature);
 * the header UTF-16 with a byte order mark.
 */
static void send_message(struct mp_job *j)
{
	struct mp_plugin *p = j->p;
	struct vars *vs = calloc(1, sizeof(*vs));
	char why[200];
	uint8_t *wire = NULL, *hdr16 = NULL, *body = NULL, *id16 = NULL;
	size_t wire_len = 0, hdr_len = 0, body_len, id_len = 0;
	char *hdr = NULL;
	const char *ctype;

	if (!vs)
		goto oom;
	if (p->compress)
		wire = mp_zlib(j->payload, j->payload_len, &wire_len);
	else if ((wire = malloc(j->payload_len)))
		memcpy(wire, j->payload, wire_len = j->payload_len);
	if (!wire)
		goto oom;
	job_vars(j, vs);
	snprintf(vs->body_length, sizeof(vs->body_length), "%zu", j->payload_len - 2);
	var(vs, "body_length", vs->body_length);
	var(vs, "endpoint", j->kind == KIND_LOOKUP ? p->cf->lookup_endpoint
	                                           : p->cf->boot_action_endpoint);
	var(vs, "compression", p->compress ? "zlib" : "none");
	var(vs, "auth_client_id", p->auth_client_id);
	var(vs, "public_key", p->signer ? mp_signer_public_blob(p->signer) : "");
	if (p->signer) {
		/* "GUID:..." as UTF-16LE with its NUL */
		uint8_t *t = mp_utf16le(p->auth_client_id, &id_len);
		if (t && (id16 = realloc(t, id_len + 2))) {
			id16[id_len] = id16[id_len + 1] = 0;
			id_len += 2;
		} else {
			free(t);
			goto oom;
		}
		if (mp_sign_rev(p->signer, wire, wire_len, vs->payload_sig, sizeof(vs->payload_sig)) ||
		    mp_sign_rev(p->signer, id16, id_len, vs->client_id_sig, sizeof(vs->client_id_sig))) {
			job_error(j, "signing the request failed");
			goto out;
		}
	}
	var(vs, "payload_signature", vs->payload_sig);
	var(vs, "signature", vs->payload_sig);
	var(vs, "client_id_signature", vs->client_id_sig);
	hdr = mp_template_expand(p->tmpl_header, vs->v, vs->n, why, sizeof(why));
	if (!hdr || !(hdr16 = mp_utf16le_bom(hdr, &hdr_len))) {
		job_error(j, "header_template: %s", hdr ? "not UTF-8" : why);
		goto out;
	}
	mp_trace_request(p, j->kind == KIND_LOOKUP ? "lookup" : "boot_action",
	                 j->kind == KIND_LOOKUP ? p->cf->lookup_endpoint
	                                        : p->cf->boot_action_endpoint,
	                 hdr, j->payload, j->payload_len);
	body = mp_multipart(hdr16, hdr_len, wire, wire_len, &ctype, &body_len);
	if (!body)
		goto oom;
	/* the send owns BODY; ON_REPLY may run (and free J) before it returns,
	 * while -ENOMEM means nothing ran */
	if (mp_send(p, "CCM_POST", MP_PATH_REQUEST, body, body_len, ctype, on_reply, j))
		job_error(j, "out of memory");
	goto out;
oom:
	job_error(j, "out of memory");
out:
	free(wire);
	free(hdr);
	free(hdr16);
	free(id16);
	free(vs);
}

static void build_and_send(struct mp_job *j, int kind)
{
	struct mp_plugin *p = j->p;
	struct vars vs;
	char why[200];
	char *text;
	uint8_t *t;

	j->kind = kind;
	job_vars(j, &vs);
	text = mp_template_expand(kind == KIND_LOOKUP ? p->tmpl_lookup : p->tmpl_action, vs.v,
	                          vs.n, why, sizeof(why));
	if (!text) {
		job_error(j, "%s: %s", kind == KIND_LOOKUP ? "lookup_template" : "boot_action_template",
		          why);
		return;
	}
	free(j->payload);
	j->payload = NULL;
	t = mp_utf16le(text, &j->payload_len);
	free(text);
	if (!t || !(j->payload = realloc(t, j->payload_len + 4))) {
		free(t);
		job_error(j, "request template is not UTF-8");
		return;
	}
	memcpy(j->payload + j->payload_len, "\0\0\r\n", 4); /* the body terminator */
	j->payload_len += 4;
	send_message(j);
}

/* ---- replies ------------------------------------------------------------------ */
static void boot_action(struct mp_job *j, const struct mp_action *a)
{
	struct mp_plugin *p = j->p;
	struct sccm_deploy *d = &j->res.dep[0];
	const char *who = j->res.dev.why;

	if (!a->present)
		return job_none(j, SCCM_OK, "%s: no deployment", who);
	if (a->mandatory && a->last_offer[0] && !strcasecmp(a->last_offer, a->offer_id))
		return job_none(j, SCCM_OK, "%s: required deployment %s already ran", who,
		                a->offer_id);
	if (!a->boot_image[0])
		return job_none(j, SCCM_OK, "%s: deployment %s has no boot image", who, a->offer_id);
	memset(d, 0, sizeof(*d));
	snprintf(d->offer_id, sizeof(d->offer_id), "%s", a->offer_id);
	snprintf(d->pkg_id, sizeof(d->pkg_id), "%s", a->pkg_id);
	snprintf(d->pkg_name, sizeof(d->pkg_name), "%s", a->pkg_id);
	snprintf(d->boot_image, sizeof(d->boot_image), "%s", a->boot_image);
	d->mandatory = a->mandatory;
	snprintf(d->offer_time, sizeof(d->offer_time), "%s", a->offer_time);
	/* PackagePath names the package folder (a URL or UNC path) on the
	 * reply's DP; the WIM below dp_url comes from boot_wim_path, unless
	 * PackagePath is itself a relative path to a .wim */
	{
		size_t n = strlen(a->package_path);
		if (n > 4 && !strcasecmp(a->package_path + n - 4, ".wim") &&
		    !strstr(a->package_path, "://") && a->package_path[0] != '\\' &&
		    !sccm_clean_path(a->package_path, d->image_path, sizeof(d->image_path))) {
			/* taken as is */
		} else {
			struct mp_var v = {.name = "boot_image", .value = a->boot_image};
			char why[200];
			char *path = mp_template_expand(p->cf->boot_wim_path, &v,
			                                1, why, sizeof(why));
			if (!path || sccm_clean_path(path, d->image_path, sizeof(d->image_path))) {
				free(path);
				return job_error(j, "boot_wim_path: %s", path ? "not a relative path" : why);
			}
			free(path);
		}
	}
	j->res.n = 1;
	j->res.status = SCCM_OK;
	snprintf(j->res.why, sizeof(j->res.why), "%s: deployment %s (%s, boot image %s)",
	         who, d->offer_id, d->mandatory ? "required" : "available", d->boot_image);
	job_finish(j);
}

/* The machine from a lookup reply; duplicated identifiers are left out and
 * the lookup asked again with the other one. */
static void identified(struct mp_job *j, const struct mp_reply *rp)
{
	struct mp_plugin *p = j->p;
	const struct mp_ident *id = &rp->ident;
	struct sccm_device *dev = &j->res.dev;
	int dg = id->dup_smbios && !j->drop_guid && j->key.guid[0];
	int dm = id->dup_mac && !j->drop_mac;
	const char *ua, *ug;

	dev->dup_guid |= id->dup_smbios;
	dev->dup_mac |= id->dup_mac;
	if (dg != dm && (dg ? !j->drop_mac : j->key.guid[0] && !j->drop_guid)) {
		if (dg)
			j->drop_guid = 1;
		else
			j->drop_mac = 1;
		build_and_send(j, KIND_LOOKUP);
		return;
	}
	if (!dg && !dm && !id->unknown && id->item_key > 0) {
		dev->found = 1;
		dev->item_key = id->item_key;
		dev->by_guid = j->drop_mac;
		sccm_copy_text(dev->name, sizeof(dev->name), id->name);
		snprintf(j->client_id, sizeof(j->client_id), "%s", id->client_id);
		j->item_key = id->item_key;
		snprintf(dev->why, sizeof(dev->why), "machine %lld (%s)%s", id->item_key,
		         dev->name[0] ? dev->name : "?",
		         j->drop_guid ? ", SMBIOS GUID is shared" : j->drop_mac ? ", MAC is shared" : "");
	} else {
		const char *what = dg && dm ? "MAC and SMBIOS GUID both shared by several machines"
		                   : dm     ? "MAC shared by several machines, no SMBIOS GUID"
		                   : dg     ? "SMBIOS GUID shared by several machines, no MAC"
		                            : "not known to the management point";
		ua = unknown_arch(p, j->key.arch);
		ug = !strcmp(ua, "x64") ? p->site.unknown_x64 : !strcmp(ua, "x86") ? p->site.unknown_x86 : "";
		if (!p->unknown)
			return job_none(j, SCCM_NOT_FOUND, "%s (unknown computers off)", what);
		if (!ug[0])
			return job_none(j, SCCM_NOT_FOUND, "%s; no %s unknown-machine GUID from the site",
			                what, *ua ? ua : "such");
		dev->unknown = 1;
		dev->item_key = id->item_key;
		snprintf(j->client_id, sizeof(j->client_id), "%s", ug);
		j->item_key = id->item_key;
		snprintf(dev->why, sizeof(dev->why), "%s; %s unknown computer %s", what, ua, ug);
	}
	if (rp->action.present || !p->tmpl_action) {
		boot_action(j, &rp->action);
		return;
	}
	build_and_send(j, KIND_ACTION);
}

static void on_reply(void *ud, int rc, const struct mp_http_res *r, const char *why)
{
	struct mp_job *j = ud;
	struct mp_plugin *p = j->p;
	const uint8_t *xml;
	size_t xml_len;
	uint8_t *free_me = NULL;
	struct mp_reply rp;
	char perr[200];

	if (rc) {
		mp_trace_reply(p, r ? r->status : 0, why, r ? r->body : NULL, r ? r->body_len : 0, NULL);
		return job_error(j, "%s", why);
	}
	if (mp_reply_payload(r->body, r->body_len, r->content_type, &xml, &xml_len, &free_me)) {
		mp_trace_reply(p, r->status, NULL, NULL, 0, "not a message (multipart / zlib)");
		p->bad_replies++;
		j->res.malformed++;
		return job_error(j, "reply body is not a message (multipart / zlib)");
	}
	rc = mp_parse_reply(xml, xml_len, &rp, perr, sizeof(perr));
	mp_trace_reply(p, r->status, NULL, xml, xml_len, rc ? perr : NULL);
	free(free_me);
	if (rc) {
		p->bad_replies++;
		j->res.malformed++;
		return job_error(j, "%s reply: %s", j->kind == KIND_LOOKUP ? "lookup" : "boot action",
		                 perr);
	}
	if (j->kind == KIND_ACTION) {
		boot_action(j, &rp.action);
		return;
	}
	if (!rp.has_ident) {
		p->bad_replies++;
		return job_error(j, "lookup reply without Identification");
	}
	identified(j, &rp);
}

/* ---- site facts ----------------------------------------------------------------- */
static int site_usable(const struct mp_plugin *p)
{
	return p->site_ok || p->site_code_conf[0];
}

static void site_done(void *ud, int rc, const struct mp_http_res *r, const char *why)
{
	struct mp_plugin *p = ud;
	struct mp_site s;
	char perr[200] = "";
	struct mp_job *w;

	p->site_fetching = 0;
	if (!rc) {
		const uint8_t *xml;
		size_t xml_len;
		uint8_t *free_me = NULL;
		rc = mp_reply_payload(r->body, r->body_len, r->content_type, &xml, &xml_len, &free_me);
		if (!rc)
			rc = mp_parse_site(xml, xml_len, &s, perr, sizeof(perr));
		else
			snprintf(perr, sizeof(perr), "undecodable body");
		free(free_me);
	} else {
		snprintf(perr, sizeof(perr), "%s", why);
	}
	if (rc) {
		p->site_failures++;
		pxh_log(p->h, PXH_LOG_WARNING, NULL, "sccm_mp_http: site key information: %s%s",
		        perr, p->site_ok ? " (the facts read earlier stay)" : "");
	} else {
		p->site = s;
		p->site_ok = 1;
		p->site_at = pxh_now(p->h);
		pxh_log(p->h, PXH_LOG_INFO, NULL,
		        "sccm_mp_http: site %s, unknown machines x86 %s x64 %s", s.site_code,
		        s.unknown_x86[0] ? s.unknown_x86 : "-", s.unknown_x64[0] ? s.unknown_x64 : "-");
	}
	while ((w = p->site_waiters)) {
		p->site_waiters = w->wait_next;
		if (site_usable(p))
			build_and_send(w, KIND_LOOKUP);
		else
			job_error(w, "no site facts from any management point: %s", perr);
	}
}

static void site_fetch(struct mp_plugin *p)
{
	if (p->site_fetching)
		return;
	p->site_fetching = 1;
	p->site_fetches++;
	if (mp_send(p, "GET", MP_PATH_KEYINFO, NULL, 0, NULL, site_done, p)) {
		struct mp_http_res none = {0};
		site_done(p, -ENOMEM, &none, "out of memory");
	}
}

static void site_tick(void *ud)
{
	site_fetch(ud);
}

/* ---- the front's back end --------------------------------------------------------- */
static int lookup_start(void *ud, const struct sccm_key *k, struct sccm_lookup *lk)
{
	struct mp_plugin *p = ud;
	struct mp_job *j = calloc(1, sizeof(*j));

	if (!j)
		return -ENOMEM;
	j->p = p;
	j->lk = lk;
	j->key = *k;
	j->next = p->jobs;
	p->jobs = j;
	if (site_usable(p)) {
		build_and_send(j, KIND_LOOKUP);
	} else {
		j->wait_next = p->site_waiters;
		p->site_waiters = j;
		site_fetch(p);
	}
	return 0;
}

static void report(void *ud, pxh_report *r)
{
	struct mp_plugin *p = ud;
	double now = pxh_now(p->h);
	unsigned up = 0;

	sccm_front_report(p->front, r);
	for (size_t i = 0; i < p->npoints; i++)
		up += p->points[i].down_until <= now;
	pxh_report_counter(r, "mp_requests", p->requests);
	pxh_report_counter(r, "mp_failovers", p->failovers);
	pxh_report_counter(r, "mp_retries", p->retries_done);
	pxh_report_counter(r, "bad_replies", p->bad_replies);
	pxh_report_counter(r, "site_fetches", p->site_fetches);
	pxh_report_counter(r, "site_failures", p->site_failures);
	pxh_report_gauge(r, "mps_up", up);
	pxh_report_gauge(r, "site_facts_age_seconds", p->site_ok ? now - p->site_at : -1);
	pxh_report_text(r, "site_code", site_code(p));
}

/* ---- life cycle --------------------------------------------------------------------- */
static void fini(void *state)
{
	struct mp_plugin *p = state;

	if (!p)
		return;
	mp_http_free(p->http); /* calls in flight end without callbacks */
	while (p->sends) {
		struct mp_send *s = p->sends;
		p->sends = s->next;
		mp_send_free(s);
	}
	while (p->jobs) {
		struct mp_job *j = p->jobs;
		p->jobs = j->next;
		free(j->payload);
		free(j);
	}
	pxh_timer_stop(p->site_timer);
	sccm_front_free(p->front);
	sccm_content_free(p->ct);
	free(p->tmpl_header);
	free(p->tmpl_lookup);
	free(p->tmpl_action);
	mp_signer_free(p->signer);
	json_decref(p->trace);
	free(p);
}

static char *slurp(const char *path, char *why, size_t why_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0;

	if (!f) {
		snprintf(why, why_len, "%.300s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(MP_TEMPLATE_MAX + 1);
	if (buf) {
		n = fread(buf, 1, MP_TEMPLATE_MAX + 1, f);
		buf[n < MP_TEMPLATE_MAX ? n : MP_TEMPLATE_MAX] = '\0';
	}
	fclose(f);
	if (!buf || n == 0 || n > MP_TEMPLATE_MAX || strlen(buf) != n) {
		snprintf(why, why_len, "%.300s: empty, larger than %d bytes or holding NUL", path,
		         MP_TEMPLATE_MAX);
		free(buf);
		return NULL;
	}
	return buf;
}

static int point_conf(pxh_host *h, const char *sub, struct mp_point *mp, char *why,
                      size_t why_len)
{
	const struct mp_point_conf *pc = pxh_conf_struct(h, sub);
	const char *url = pc->url;
	size_t n;

	snprintf(mp->name, sizeof(mp->name), "%s", sub);
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
		snprintf(why, why_len, "%s: url must start with http:// or https://",
		         pxh_conf_where(h, sub, "url"));
		return -EINVAL;
	}
	snprintf(mp->url, sizeof(mp->url), "%s", url);
	n = strlen(mp->url);
	while (n && mp->url[n - 1] == '/')
		mp->url[--n] = '\0';
	snprintf(mp->ca_file, sizeof(mp->ca_file), "%s", pc->ca_file);
	snprintf(mp->client_cert, sizeof(mp->client_cert), "%s", pc->client_cert);
	snprintf(mp->client_key, sizeof(mp->client_key), "%s", pc->client_key);
	mp->tls.ca_file = mp->ca_file;
	mp->tls.client_cert = mp->client_cert;
	mp->tls.client_key = mp->client_key;
	mp->tls.verify = pc->verify_tls;
	mp->timeout_ms = pc->timeout_ms;
	mp->connect_timeout_ms = pc->connect_timeout_ms;
	return 0;
}

static int init(pxh_host *h, void **state)
{
	struct mp_plugin *p = calloc(1, sizeof(*p));
	const struct mp_conf *cf = pxh_conf_struct(h, NULL);
	char why[400] = "";
	const char *action_path;
	int rc = -EINVAL;

	if (!p)
		return -ENOMEM;
	*state = p;
	p->h = h;
	p->cf = cf;
	xmlInitParser();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	p->npoints = pxh_conf_sub_count(h);
	if (!p->npoints || p->npoints > MP_MAX_POINTS) {
		snprintf(why, sizeof(why), "one to %d [sccm_mp_http.NAME] sections with url = ...",
		         MP_MAX_POINTS);
		goto fail;
	}
	for (size_t i = 0; i < p->npoints; i++)
		if (point_conf(h, pxh_conf_sub_name(h, i), &p->points[i], why, sizeof(why)))
			goto fail;
	if (!(p->tmpl_header = slurp(cf->header_template, why, sizeof(why))) ||
	    !(p->tmpl_lookup = slurp(cf->lookup_template, why, sizeof(why))))
		goto fail;
	action_path = cf->boot_action_template;
	if (*action_path && !(p->tmpl_action = slurp(action_path, why, sizeof(why))))
		goto fail;
	p->compress = cf->compression == MP_COMPRESS_ZLIB;
	/* a compressed body is marked in the header (sccmwtf: Hook3) */
	if (p->compress && !strstr(p->tmpl_header, "<Hook3 Name=\"zlib-compress\"")) {
		snprintf(why, sizeof(why), "%s: compression = zlib needs <Hook3 Name=\"zlib-compress\" /> "
		         "in the header template (a management point reads the body as uncompressed "
		         "otherwise)", cf->header_template);
		goto fail;
	}
	{
		const char *key = cf->signing_key;
		const char *id = cf->auth_client_id;
		char g[37];
		if (*key) {
			if (!(p->signer = mp_signer_load(key, why, sizeof(why))))
				goto fail;
			if (sccm_guid_upper(strncasecmp(id, "GUID:", 5) ? id : id + 5, g) || !g[0]) {
				snprintf(why, sizeof(why), "%s: auth_client_id must be the GUID the site "
				         "registered for signing_key (GUID:xxxxxxxx-...)",
				         pxh_conf_where(h, NULL, "auth_client_id"));
				goto fail;
			}
			snprintf(p->auth_client_id, sizeof(p->auth_client_id), "GUID:%s", g);
		}
	}
	p->retries = cf->retries;
	p->backoff = cf->retry_backoff_s;
	p->down_time = cf->down_time_s;
	p->site_refresh = cf->site_refresh_s;
	snprintf(p->site_code_conf, sizeof(p->site_code_conf), "%s", cf->site_code);
	if (p->site_code_conf[0] && !sccm_valid_id(p->site_code_conf)) {
		snprintf(why, sizeof(why), "%s: site_code must be letters and digits",
		         pxh_conf_where(h, NULL, "site_code"));
		goto fail;
	}
	p->unknown = cf->unknown_computers;
	p->unknown_bios_x64 = cf->unknown_bios_arch == MP_ARCH_X64;
	if (!(p->http = mp_http_new(h, MP_REPLY_MAX)))
		goto nomem;
	if ((rc = sccm_front_setup(h, "management point", "mp_errors", lookup_start, p, report, &p->ct,
	                           &p->front, why, sizeof(why))))
		goto fail;
	/* the validation kit's record (pxehubctl sccm check --mp), in-process only */
	if ((rc = pxh_register_http_route(h, mp_trace_http, p, NULL))) {
		snprintf(why, sizeof(why), "registering the trace route: %s", strerror(-rc));
		goto fail;
	}
	/* the site facts now, then every site_refresh */
	p->site_timer = pxh_timer_start(h, 0.001, p->site_refresh, site_tick, p);
	if (!p->site_timer)
		goto nomem;
	pxh_log(h, PXH_LOG_NOTICE, NULL,
	        "sccm_mp_http (experimental): %zu management point(s), first %s; deadline %.0f ms,"
	        " fail policy %s, %s requests%s", p->npoints, p->points[0].url,
	        sccm_front_deadline(p->front) * 1000, sccm_front_fail_policy(p->front),
	        p->compress ? "zlib" : "plain", p->signer ? ", signed" : ", unsigned");
	return 0;
nomem:
	snprintf(why, sizeof(why), "out of memory");
	rc = -ENOMEM;
fail:
	pxh_log(h, PXH_LOG_ERR, NULL, "sccm_mp_http: %s", why);
	fini(p);
	*state = NULL;
	return rc < 0 ? rc : -EINVAL;
}

#define MP_DIR PXH_SYSCONFDIR "/pxehub/sccm_mp/"
#define MP_BIND(m) PXH_CONF_BIND(struct mp_conf, m)
#define MP_SUB_BIND(m) PXH_CONF_BIND(struct mp_point_conf, m)

static const pxh_conf_key keys[] = {
	{.name = "site_code", .type = PXH_CONF_STRING, .def = "",
	 .help = "site code; empty = from the MP's MPKEYINFORMATIONMEDIA", MP_BIND(site_code)},
	{.name = "site_refresh", .type = PXH_CONF_DURATION, .def = "1h", .min = 10000,
	 .max = 86400000, .help = "how often the site facts are read again", MP_BIND(site_refresh_s)},
	{.name = "header_template", .type = PXH_CONF_PATH, .def = MP_DIR "header.xml",
	 .help = "message header of every CCM_POST ({{endpoint}}, {{body_length}}, {{public_key}}, {{payload_signature}} ...)", MP_BIND(header_template)},
	{.name = "lookup_template", .type = PXH_CONF_PATH, .def = MP_DIR "lookup.xml",
	 .help = "device lookup request ({{mac}}, {{guid}}, {{site_code}} ...)", MP_BIND(lookup_template)},
	{.name = "boot_action_template", .type = PXH_CONF_PATH, .def = MP_DIR "boot_action.xml",
	 .help = "boot action request ({{item_key}}, {{client_id}} ...); empty = the lookup reply carries it", MP_BIND(boot_action_template)},
	{.name = "lookup_endpoint", .type = PXH_CONF_STRING, .def = "MP_ClientIDManager",
	 .help = "{{endpoint}} of the lookup message (uncertain)", MP_BIND(lookup_endpoint)},
	{.name = "boot_action_endpoint", .type = PXH_CONF_STRING, .def = "MP_ClientIDManager",
	 .help = "{{endpoint}} of the boot action message (uncertain)", MP_BIND(boot_action_endpoint)},
	{.name = "compression", .type = PXH_CONF_ENUM, .def = "zlib", .choices = "zlib|none",
	 .help = "request payload compression", MP_BIND(compression)},
	{.name = "signing_key", .type = PXH_CONF_PATH, .def = "",
	 .help = "PEM RSA private key registered with the site: signs every request (Hook2 clientauth)", MP_BIND(signing_key)},
	{.name = "auth_client_id", .type = PXH_CONF_STRING, .def = "",
	 .help = "the GUID the site registered for signing_key ({{auth_client_id}}, signed as ClientIDSignature)", MP_BIND(auth_client_id)},
	{.name = "retries", .type = PXH_CONF_INT, .def = "1", .min = 0, .max = 10,
	 .help = "rounds over all MPs after the first", MP_BIND(retries)},
	{.name = "retry_backoff", .type = PXH_CONF_DURATION, .def = "250ms", .min = 0,
	 .max = 60000, .help = "pause before the second round, doubled for each further one", MP_BIND(retry_backoff_s)},
	{.name = "down_time", .type = PXH_CONF_DURATION, .def = "30s", .min = 0,
	 .max = 3600000, .help = "an MP that failed is tried last for this long", MP_BIND(down_time_s)},
	{.name = "unknown_computers", .type = PXH_CONF_BOOL, .def = "yes",
	 .help = "machines the MP does not know use the unknown-machine objects", MP_BIND(unknown_computers)},
	{.name = "unknown_bios_arch", .type = PXH_CONF_ENUM, .def = "x86", .choices = "x86|x64",
	 .help = "unknown object for BIOS clients (UEFI x64 is x64)", MP_BIND(unknown_bios_arch)},
	{.name = "boot_wim_path", .type = PXH_CONF_STRING,
	 .def = "SMSImages/{{boot_image}}/boot.{{boot_image}}.wim",
	 .help = "the boot image below dp_url / content_dir", MP_BIND(boot_wim_path)},
	SCCM_FRONT_KEYS,
	SCCM_CONTENT_KEYS,
	PXH_CONF_END,
};

static const pxh_conf_key sub_keys[] = {
	{.name = "url", .type = PXH_CONF_STRING, .def = "", .flags = PXH_CONF_REQUIRED,
	 .help = "the MP's base URL, e.g. https://mp01.corp.example", MP_SUB_BIND(url)},
	{.name = "ca_file", .type = PXH_CONF_STRING, .def = "",
	 .help = "CA bundle for https; empty = system store", MP_SUB_BIND(ca_file)},
	{.name = "client_cert", .type = PXH_CONF_STRING, .def = "",
	 .help = "client certificate (PEM) for HTTPS-only sites", MP_SUB_BIND(client_cert)},
	{.name = "client_key", .type = PXH_CONF_STRING, .def = "",
	 .help = "its private key (PEM); empty = in client_cert", MP_SUB_BIND(client_key)},
	{.name = "verify_tls", .type = PXH_CONF_BOOL, .def = "yes",
	 .help = "verify the MP's certificate and name", MP_SUB_BIND(verify_tls)},
	{.name = "timeout", .type = PXH_CONF_DURATION, .def = "3s", .min = 100, .max = 60000,
	 .help = "one request's whole time at this MP", MP_SUB_BIND(timeout_ms)},
	{.name = "connect_timeout", .type = PXH_CONF_DURATION, .def = "1s", .min = 100,
	 .max = 30000, .help = "connecting (and TLS) at this MP", MP_SUB_BIND(connect_timeout_ms)},
	PXH_CONF_END,
};

PXH_PLUGIN(.name = "sccm_mp_http", .version = "0.1", .flags = PXH_PLUGIN_THREAD_SAFE,
           .keys = keys, .sub_keys = sub_keys, .conf_size = sizeof(struct mp_conf),
           .sub_conf_size = sizeof(struct mp_point_conf), .init = init, .fini = fini);
