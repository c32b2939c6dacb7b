/* /boot.ipxe and /boot.grub: the client's facts -> boot script hooks -> an
 * iPXE or a GRUB script. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http.h"
#include "access.h"
#include "answer.h"
#include "clients.h"
#include "conf.h"
#include "decide.h"
#include "events.h"
#include "files.h"
#include "grub_script.h"
#include "grub_stage.h"
#include "http_module.h"
#include "log.h"
#include "server.h"

#define SCRIPT_TYPE "text/plain; charset=utf-8"

struct pxh_http_counters *pxh_http_ctrs(struct pxh_server *s)
{
	return &s->http->ctr;
}

const struct pxh_http_settings *pxh_http_settings(struct pxh_server *s)
{
	return &s->http->set;
}

/* The Host header when it is a plain host[:port], else our address. */
static void request_base(struct pxh_http_ctx *x, char *out, size_t len)
{
	const char *host = pxh_http_req_header(x->rq, "Host");
	bool good = host && *host && strlen(host) < 200;

	for (const char *p = host; good && *p; p++)
		good = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		       (*p >= '0' && *p <= '9') || strchr(".-:[]", *p);
	if (good) {
		snprintf(out, len, "%s://%s", x->tls ? "https" : "http", host);
	} else {
		bool v6 = strchr(x->local, ':') != NULL;

		snprintf(out, len, "%s://%s%s%s:%u", x->tls ? "https" : "http",
		         v6 ? "[" : "", x->local, v6 ? "]" : "", x->local_port);
	}
}

/* Stage one: iPXE fetched /boot.ipxe bare (the URL DHCP handed it), so it
 * is told to come back with its facts in the query string; Debian's iPXE
 * has no "params" to POST them. */
static int stage_one(struct pxh_http_ctx *x, struct pxh_http_resp *rs)
{
	char base[256], *t;
	int n;

	request_base(x, base, sizeof(base));
	n = asprintf(&t,
	             "#!ipxe\n"
	             "chain %s/boot.ipxe?mac=${net0/mac:hexhyp}"
	             "&uuid=${uuid}&arch=${buildarch:uristring}"
	             "&platform=${platform:uristring}"
	             "&manufacturer=${manufacturer:uristring}"
	             "&product=${product:uristring}&serial=${serial:uristring}"
	             "&asset=${asset:uristring} || exit 1\n",
	             base);
	if (n < 0) {
		pxh_http_resp_error(rs, 503, NULL);
		return 0;
	}
	pxh_http_resp_take(rs, 200, SCRIPT_TYPE, t, (size_t)n);
	pxh_http_resp_line(rs, "Cache-Control: no-store\r\n");
	return 0;
}

/* GRUB's stage one: the generated grub.cfg (grub_stage.c), for
 * PREFIX/grub.cfg and for /boot.grub without facts. */
static int grub_stage_one(struct pxh_http_ctx *x, struct pxh_http_resp *rs)
{
	pxh_client c;
	char *t;
	size_t n;

	memset(&c, 0, sizeof(c));
	c.struct_size = sizeof(c);
	pxh_http_copy(c.ip, sizeof(c.ip), x->peer);
	pxh_http_copy(c.server_ip, sizeof(c.server_ip), x->local);
	if (pxh_grub_stage1(x->srv, &c, false, &t, &n) < 0) {
		pxh_http_resp_error(rs, 503, NULL);
		return 0;
	}
	pxh_http_resp_take(rs, 200, SCRIPT_TYPE, t, n);
	pxh_http_resp_line(rs, "Cache-Control: no-store\r\n");
	return 0;
}

/* ---- the decision ------------------------------------------------------ */
struct boot_job {
	struct pxh_server *srv;
	struct pxh_http_conn *conn;
	struct pxh_decision *dec;
	struct tftp_pending *tp; /* stage 2 over TFTP */
	pxh_client client;
	bool grub; /* /boot.grub: the answer is rendered for GRUB */
};

static void served_event(struct boot_job *j, enum pxh_verdict v,
                         const char *plugin, const char *why, size_t bytes)
{
	pxh_event ev;

	pxh_event_init(&ev, PXH_EV_SCRIPT_SERVED, PXH_LOG_INFO, &j->client);
	pxh_http_copy(ev.action, sizeof(ev.action), pxh_verdict_name(v));
	snprintf(ev.file, sizeof(ev.file), "%s", j->grub ? "/boot.grub" : "/boot.ipxe");
	pxh_http_copy(ev.plugin, sizeof(ev.plugin), plugin ? plugin : "");
	pxh_http_copy(ev.message, sizeof(ev.message), why ? why : "");
	ev.bytes = bytes;
	pxh_emit(j->srv, &ev);
}

/* The built-in menu depends on [boot] and menu_dir only, not on the
 * client: it is made once per configuration (pxh_http_menu_free forgets
 * it on reload) and copied into each answer. */
static const char *menu_text(struct pxh_server *s, size_t *len)
{
	struct pxh_http *h = s->http;
	struct pxh_answer a;

	if (!h)
		return NULL;
	if (!h->menu_text) {
		pxh_answer_init(&a, s, NULL);
		if (pxh_default_menu(s, NULL, &a) < 0 || !a.script) {
			pxh_answer_clear(&a);
			return NULL;
		}
		h->menu_text = a.script;
		h->menu_text_len = a.script_len;
		a.script = NULL;
		pxh_answer_clear(&a);
	}
	*len = h->menu_text_len;
	return h->menu_text;
}

/* [boot] default_action as a verdict (menu: boot with an empty answer). */
static enum pxh_verdict default_verdict(struct pxh_server *s, const char **name)
{
	const char *def = pxh_boot_conf(s->conf)->default_action;

	*name = def && *def ? def : "menu";
	if (def && !strcmp(def, "local"))
		return PXH_LOCAL;
	if (def && !strcmp(def, "ignore"))
		return PXH_IGNORE;
	return PXH_BOOT;
}

/* The answer as the client's boot program's script into OUT, or the
 * cached built-in iPXE menu into *TEXT.  An answer the boot program
 * cannot run leaves OUT marked (out->unrendered). */
static int render(struct pxh_server *srv, const pxh_client *c, bool grub,
                  enum pxh_verdict v, const struct pxh_answer *a,
                  struct pxh_answer *out, char **text, size_t *len)
{
	int rc = 0;

	if (v == PXH_LOCAL)
		return pxh_script_exit(out);
	if (v != PXH_BOOT)
		return 0;
	if (a && a->unrendered)
		return pxh_answer_unrenderable(out, a->unrendered);
	if (a && a->script && a->script_len) {
		bool is_grub = !strncmp(a->script, "#!grub", 6);

		if (grub != is_grub)
			return pxh_answer_unrenderable(
				out, grub ? "an iPXE script cannot run in GRUB"
				             : "a GRUB script cannot run in iPXE");
		/* a plugin's script without the signature still runs */
		if (!is_grub && strncmp(a->script, "#!ipxe", 6) != 0)
			rc = pxh_answer_append_script(out, "#!ipxe\n");
		if (!rc)
			rc = pxh_answer_append_script(out, "%s", a->script);
	} else if (a && a->loader && *a->loader) {
		rc = pxh_script_chain(out, a->loader);
	} else if (grub) {
		rc = pxh_default_menu(srv, c, out);
	} else {
		const char *m = menu_text(srv, len);

		if (m && (*text = malloc(*len + 1))) {
			memcpy(*text, m, *len + 1);
		} else {
			*len = 0;
			rc = pxh_default_menu(srv, c, out);
		}
	}
	return rc;
}

int pxh_boot_render(struct pxh_server *s, const pxh_client *c,
                    enum pxh_verdict *v, const char **plugin,
                    const struct pxh_answer *a, struct pxh_answer *out,
                    char **text, size_t *len, char *why, size_t why_len)
{
	bool grub = pxh_client_boot_program(c) == PXH_BOOT_PROGRAM_GRUB;
	int rc;

	*text = NULL;
	*len = 0;
	if (why_len)
		why[0] = '\0';
	rc = render(s, c, grub, *v, a, out, text, len);
	if (!rc && out->unrendered) {
		/* what the boot program cannot run is not served: the
		 * default instead, and WHY says why */
		const char *def;

		*v = default_verdict(s, &def);
		snprintf(why, why_len, "%s cannot run the answer of %.31s: "
		         "%.150s; default_action=%s", grub ? "GRUB" : "iPXE",
		         *plugin ? *plugin : "?", out->unrendered, def);
		*plugin = "default";
		pxh_answer_clear(out);
		pxh_answer_init(out, s, c);
		rc = render(s, c, grub, *v, NULL, out, text, len);
	}
	return rc;
}

/* The answer as the boot program's script: 0 with *TEXTP (malloc'd), or
 * with *TEXTP NULL for ignore; -errno when it cannot be made.  Emits
 * script_served. */
static int answer_text(struct boot_job *j, enum pxh_verdict v,
                       const struct pxh_answer *a, const char *plugin,
                       const char *why, char **textp, size_t *lenp)
{
	struct pxh_answer out;
	char *text = NULL, reason[256];
	size_t len = 0;
	int rc;

	*textp = NULL;
	*lenp = 0;
	pxh_answer_init(&out, j->srv, &j->client);
	rc = pxh_boot_render(j->srv, &j->client, &v, &plugin, a, &out, &text,
	                     &len, reason, sizeof(reason));
	if (reason[0]) {
		pxh_logf(PXH_LOG_WARNING, &j->client, "http: %s", reason);
		why = reason;
	}
	if (v != PXH_BOOT && v != PXH_LOCAL) {
		/* ignore: no script; the boot program's fetch fails and the
		 * firmware moves on to its next boot device */
		served_event(j, v, plugin, why, 0);
		pxh_answer_clear(&out);
		return 0;
	}
	if (!text) {
		if (rc < 0 || !out.script || out.unrendered) {
			pxh_answer_clear(&out);
			return rc < 0 ? rc : -EINVAL;
		}
		text = out.script;
		len = out.script_len;
		out.script = NULL;
	}
	served_event(j, v, plugin, why, len);
	(*pxh_http_ctrs(j->srv)->scripts)++;
	pxh_answer_clear(&out);
	*textp = text;
	*lenp = len;
	return 0;
}

static void script_response(struct boot_job *j, enum pxh_verdict v,
                            const struct pxh_answer *a, const char *plugin,
                            const char *why, struct pxh_http_resp *rs)
{
	char *text;
	size_t len;

	if (answer_text(j, v, a, plugin, why, &text, &len) < 0) {
		pxh_http_resp_error(rs, 500, "script");
		return;
	}
	if (!text) {
		pxh_http_resp_error(rs, 403, "ignored");
		return;
	}
	pxh_http_resp_take(rs, 200, SCRIPT_TYPE, text, len);
	pxh_http_resp_line(rs, "Cache-Control: no-store\r\n");
}

/* ---- GRUB's stage 2 over TFTP -------------------------------------------
 * A TFTP read cannot wait for a deferred decision, but GRUB repeats its
 * request every ~0.4 s (40 times): the first request starts the decision
 * and gets no answer, a repeat after it is done gets the script.  One
 * entry per client address, a bounded table, answers kept 30 s. */
#define TFTP_PENDING 64
#define TFTP_KEEP 30.0

struct tftp_pending {
	bool used, done;
	char ip[46];
	char req[512];
	double at;
	char *text; /* NULL when done: ignore */
	size_t len;
	struct boot_job *job; /* while the decision runs */
};

static struct tftp_pending pending[TFTP_PENDING];

static void pending_free(struct tftp_pending *p)
{
	if (p->job) {
		if (p->job->dec)
			pxh_decide_cancel(p->job->dec);
		free(p->job);
	}
	free(p->text);
	memset(p, 0, sizeof(*p));
}

/* GRUB's stage 2 over TFTP: the script for the repeats of the request. */
static void tftp_answered(struct boot_job *j, enum pxh_verdict v,
                          const struct pxh_answer *a, const char *plugin,
                          const char *why)
{
	struct tftp_pending *p = j->tp;

	if (answer_text(j, v, a, plugin, why, &p->text, &p->len) < 0)
		p->text = NULL;
	p->done = true;
	p->job = NULL;
	free(j);
}

/* A deferred decision's end, from the loop: answer the waiting client. */
static void boot_done(void *ctx, enum pxh_verdict v, const struct pxh_answer *a,
                      const char *plugin, const char *why)
{
	struct boot_job *j = ctx;
	struct pxh_http_resp rs;

	if (j->tp) {
		tftp_answered(j, v, a, plugin, why);
		return;
	}
	pxh_http_resp_init(&rs);
	script_response(j, v, a, plugin, why, &rs);
	pxh_http_conn_respond(j->conn, &rs);
	free(j);
}

static void boot_cancel(void *ud)
{
	struct boot_job *j = ud;

	if (j->dec)
		pxh_decide_cancel(j->dec);
	free(j);
}

static int handle_boot(struct pxh_http_ctx *x, struct pxh_http_resp *rs,
                       bool grub)
{
	const struct pxh_http_req *rq = x->rq;
	const char *form = rq->query;
	size_t flen = strlen(form);
	struct boot_job *j;
	struct pxh_decided now;
	char known_mac[18];
	int rc, n;

	/* who may ask: the TCP peer, MAC and arch as the DHCP phase knows
	 * them (the facts below are the caller's claims, for the plugins) */
	if (!pxh_http_access_ok(x, NULL, grub ? "http: boot.grub" : "http: boot.ipxe")) {
		pxh_http_resp_error(rs, 403, "not allowed");
		return 0;
	}
	/* POST form data (iPXE "params"), or the query string */
	if (rq->method == HTTP_POST && rq->body_len) {
		form = rq->body;
		flen = rq->body_len;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		pxh_http_resp_error(rs, 503, NULL);
		return 0;
	}
	j->srv = x->srv;
	j->conn = x->conn;
	j->grub = grub;
	/* GRUB: what the DHCP phase learnt of this address first (option 93,
	 * vendor class, UUID), the query's facts over it, as for iPXE */
	if (!grub || !pxh_clients_facts_for_ip(x->srv, x->peer, &j->client)) {
		memset(&j->client, 0, sizeof(j->client));
		j->client.arch = PXH_ARCH_UNKNOWN;
		j->client.arch_raw = 0xffff;
	}
	pxh_http_copy(known_mac, sizeof(known_mac), j->client.mac);
	j->client.struct_size = sizeof(j->client);
	j->client.phase = PXH_PHASE_IPXE;
	j->client.raw = NULL;
	j->client.raw_len = 0;
	j->client.is_ipxe = !grub;
	/* GRUB asking over HTTP has HTTP: kernels come the fast way */
	if (grub)
		j->client.is_http_boot = 1;
	j->client.relay[0] = '\0';
	j->client.iface[0] = '\0';
	snprintf(j->client.user_class, sizeof(j->client.user_class), "%s",
	         grub ? "GRUB" : "iPXE");
	pxh_http_copy(j->client.ip, sizeof(j->client.ip), x->peer);
	pxh_http_copy(j->client.server_ip, sizeof(j->client.server_ip), x->local);
	n = pxh_http_facts(form, flen, &j->client);
	if (n == 0 && form != rq->query)
		n = pxh_http_facts(rq->query, strlen(rq->query), &j->client);
	if (n == 0) {
		free(j);
		return grub ? grub_stage_one(x, rs) : stage_one(x, rs);
	}
	if (!j->client.mac[0])
		pxh_http_copy(j->client.mac, sizeof(j->client.mac), known_mac);
	rc = pxh_decide_start(x->srv, PXH_PHASE_IPXE, &j->client, boot_done, j,
	                      &j->dec, &now, "http: boot script");
	if (rc < 0) {
		free(j);
		pxh_http_resp_error(rs, 503, "decision failed");
		return 0;
	}
	if (rc == 1) { /* answered at once */
		script_response(j, now.v, &now.answer, now.plugin, now.why, rs);
		pxh_decided_clear(&now);
		free(j);
		return 0;
	}
	pxh_http_conn_set_pending(x->conn, j, boot_cancel);
	return 1;
}

bool pxh_grub_tftp_request(const char *req)
{
	while (*req == '/')
		req++;
	return !strncmp(req, "boot.grub", 9) && (!req[9] || req[9] == '?');
}

static void free_text(void *p)
{
	free(p);
}

/* The entry's answer as OUT (a copy: repeats of the request get it too). */
static int pending_serve(struct tftp_pending *p, struct pxh_server *s,
                         struct pxh_open_file *out)
{
	char *t;

	if (!p->text)
		return -EACCES; /* ignore, or no script could be made */
	t = malloc(p->len + 1);
	if (!t)
		return -ENOMEM;
	memcpy(t, p->text, p->len + 1);
	out->fd = -1;
	out->mem = (const uint8_t *)t;
	out->size = p->len;
	out->mtime = (time_t)pxh_server_now(s);
	out->content_type = SCRIPT_TYPE;
	out->vfile.struct_size = sizeof(out->vfile);
	out->vfile.data = t;
	out->vfile.len = p->len;
	out->vfile.free_fn = free_text;
	out->vfile.free_arg = t;
	snprintf(out->path, sizeof(out->path), "boot.grub");
	return 0;
}

static struct tftp_pending *pending_slot(const char *ip, double now)
{
	struct tftp_pending *p, *oldest = &pending[0];

	for (p = pending; p < pending + TFTP_PENDING; p++) {
		if (p->used && !strcmp(p->ip, ip))
			return p;
	}
	for (p = pending; p < pending + TFTP_PENDING; p++) {
		if (!p->used || now - p->at > TFTP_KEEP)
			return p;
		if (p->at < oldest->at)
			oldest = p;
	}
	return oldest;
}

int pxh_grub_tftp_stage2(struct pxh_server *s, const pxh_client *c,
                         const char *req, struct pxh_open_file *out)
{
	double now = pxh_server_now(s);
	const char *q;
	struct tftp_pending *p;
	struct boot_job *j;
	struct pxh_decided got;
	char why[128] = "", http[4] = "";
	int rc;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	while (*req == '/')
		req++;
	q = strchr(req, '?');
	q = q ? q + 1 : "";
	p = pending_slot(c->ip, now);
	if (p->used && !strcmp(p->ip, c->ip) && !strcmp(p->req, req) &&
	    now - p->at <= TFTP_KEEP) {
		if (!p->done)
			return -EINPROGRESS;
		return pending_serve(p, s, out);
	}
	pending_free(p);
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->srv = s;
	j->grub = true;
	j->client = *c; /* the TFTP client: DHCP-phase facts of the address */
	j->client.struct_size = sizeof(j->client);
	j->client.phase = PXH_PHASE_IPXE;
	j->client.is_ipxe = 0;
	snprintf(j->client.user_class, sizeof(j->client.user_class), "GRUB");
	/* stage 1 says whether this GRUB could load HTTP ("http=1") */
	j->client.is_http_boot = pxh_http_form_get(q, strlen(q), "http", http,
	                                           sizeof(http)) >= 0 &&
	                         !strcmp(http, "1");
	{
		char known[18];

		pxh_http_copy(known, sizeof(known), c->mac);
		if (pxh_http_facts(q, strlen(q), &j->client) == 0) {
			/* no facts: stage 1, as over HTTP */
			char *t;
			size_t n;

			free(j);
			if ((rc = pxh_grub_stage1(s, c, true, &t, &n)) < 0)
				return rc;
			out->mem = (const uint8_t *)t;
			out->size = n;
			out->mtime = (time_t)now;
			out->content_type = SCRIPT_TYPE;
			out->vfile.struct_size = sizeof(out->vfile);
			out->vfile.data = t;
			out->vfile.len = n;
			out->vfile.free_fn = free_text;
			out->vfile.free_arg = t;
			snprintf(out->path, sizeof(out->path), "boot.grub");
			return 0;
		}
		if (!j->client.mac[0])
			pxh_http_copy(j->client.mac, sizeof(j->client.mac), known);
	}
	pxh_logf(PXH_LOG_DEBUG, &j->client, "tftp: boot.grub stage 2, GRUB %s HTTP",
	         j->client.is_http_boot ? "has" : "lacks");
	if (!pxh_access_allowed(s->conf, &j->client, why, sizeof(why))) {
		pxh_logf(PXH_LOG_INFO, &j->client, "tftp: boot.grub refused: %s", why);
		free(j);
		return -EACCES;
	}
	p->used = true;
	p->at = now;
	pxh_http_copy(p->ip, sizeof(p->ip), c->ip);
	pxh_http_copy(p->req, sizeof(p->req), req);
	p->job = j;
	j->tp = p;
	rc = pxh_decide_start(s, PXH_PHASE_IPXE, &j->client, boot_done, j,
	                      &j->dec, &got, "tftp: boot.grub");
	if (rc < 0) {
		p->job = NULL;
		free(j);
		pending_free(p);
		return -EAGAIN;
	}
	if (rc == 0)
		return -EINPROGRESS;
	tftp_answered(j, got.v, &got.answer, got.plugin, got.why);
	pxh_decided_clear(&got);
	return pending_serve(p, s, out);
}

int pxh_http_handle_boot(struct pxh_http_ctx *x, struct pxh_http_resp *rs)
{
	return handle_boot(x, rs, false);
}

int pxh_http_handle_grub(struct pxh_http_ctx *x, struct pxh_http_resp *rs)
{
	if (strcmp(x->m->rest, "/boot.grub") == 0)
		return handle_boot(x, rs, true);
	if (!pxh_grub_cfg_path(x->srv->conf, x->m->rest)) {
		pxh_http_resp_error(rs, 404, NULL);
		return 0;
	}
	pxh_logf(PXH_LOG_INFO, NULL, "http: GRUB stage 1 for %s from %s",
	         x->m->rest, x->peer);
	return grub_stage_one(x, rs);
}

/* ---- the built-in menu -------------------------------------------------- */
void pxh_http_menu_free(struct pxh_http *h)
{
	for (size_t i = 0; i < h->n_menu; i++) {
		free(h->menu[i].id);
		free(h->menu[i].label);
		free(h->menu[i].script);
	}
	free(h->menu);
	h->menu = NULL;
	h->n_menu = 0;
	free(h->menu_text);
	h->menu_text = NULL;
	h->menu_text_len = 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each [boot] menu_dir/NAME.ipxe is an item: id NAME, label from a first
 * comment line ("#!ipxe" then "# Label text"), the rest is its script. */
void pxh_http_menu_load(struct pxh_http *h, const struct pxh_conf *conf)
{
	const char *dir = pxh_boot_conf(conf)->menu_dir;
	char *names[64];
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	if (!dir || !*dir || !(d = opendir(dir)))
		return;
	while ((de = readdir(d)) && n < 64) {
		size_t l = strlen(de->d_name);

		if (l > 5 && strcmp(de->d_name + l - 5, ".ipxe") == 0 &&
		    de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	h->menu = calloc(n ? n : 1, sizeof(*h->menu));
	for (size_t i = 0; i < n; i++) {
		char path[1024], *text = NULL, *body, *label = NULL;
		size_t cap = 0;
		FILE *f;
		ssize_t len;

		if (!names[i] || !h->menu)
			goto next;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		f = fopen(path, "re");
		if (!f)
			goto next;
		len = getdelim(&text, &cap, '\0', f);
		fclose(f);
		if (len <= 0 || len > 65536) {
			free(text);
			goto next;
		}
		body = text;
		if (strncmp(body, "#!ipxe", 6) == 0) {
			body = strchr(body, '\n');
			body = body ? body + 1 : text + len;
		}
		if (body[0] == '#') {
			char *nl = strchr(body, '\n');
			const char *l = body + 1;

			/* "# Label text": the blanks after '#' are not the label's */
			while (*l == ' ' || *l == '\t')
				l++;
			label = strndup(l, nl ? (size_t)(nl - l) : strlen(l));
			body = nl ? nl + 1 : body + strlen(body);
		}
		names[i][strlen(names[i]) - 5] = '\0';
		h->menu[h->n_menu].id = strdup(names[i]);
		h->menu[h->n_menu].label = label ? label : strdup(names[i]);
		h->menu[h->n_menu].script = strdup(body);
		h->n_menu++;
		free(text);
next:
		free(names[i]);
	}
	if (h->n_menu)
		pxh_info("http: built-in menu: %zu items from %s", h->n_menu, dir);
}

int pxh_default_menu(struct pxh_server *s, const pxh_client *c,
                     struct pxh_answer *a)
{
	const char *title = s ? pxh_boot_conf(s->conf)->menu_title : NULL;
	long long timeout = s ? pxh_boot_conf(s->conf)->menu_timeout_ms : 0;
	struct pxh_http *h = s ? s->http : NULL, *own = NULL;
	int rc;

	/* Without an HTTP server (pxehubctl decide, the test kit) the
	 * menu_dir items are read here, so the menu is the daemon's. */
	if (!h && s && s->conf && (own = calloc(1, sizeof(*own)))) {
		pxh_http_menu_load(own, s->conf);
		h = own;
	}
	if (timeout < 0)
		timeout = 0;
	rc = pxh_script_menu_begin(a, title && *title ? title : "pxehub boot menu",
	                           (unsigned)timeout, "local");
	bool grub = pxh_answer_is_grub(a);

	/* GRUB gets the items it can run: the disk and reboot (menu_dir's
	 * NAME.ipxe and the iPXE shell are iPXE's) */
	if (!rc)
		rc = pxh_script_menu_item(a, "local", "Boot from local disk",
		                          grub ? "#!grub\nexit\n" : "exit\n");
	for (size_t i = 0; !rc && h && i < h->n_menu; i++)
		rc = pxh_script_menu_item(a, h->menu[i].id, h->menu[i].label,
		                          h->menu[i].script);
	if (!rc)
		rc = pxh_script_menu_item(a, "shell", "iPXE shell",
		                          "echo Type exit to return to the menu\nshell\n");
	if (!rc)
		rc = pxh_script_menu_item(a, "reboot", "Reboot",
		                          grub ? "#!grub\nreboot\n" : "reboot\n");
	if (!rc)
		rc = pxh_script_menu_end(a);
	if (own) {
		pxh_http_menu_free(own);
		free(own);
	}
	return rc;
}
