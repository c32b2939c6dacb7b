/* Configuration Manager plugins: one lookup per machine shared by both
 * phases, cached; every waiting request has its own deadline, after which
 * the fail policy answers and an event says why, while the lookup goes on
 * to fill the cache for the client's next try. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sccm_front.h"
#include "sccm_guard.h"

#define FRONT_MAX_ENTRIES 4096
/* Lookups in flight at most: each holds a back-end request (a connection,
 * a job); beyond, a new machine gets fail_policy at once, so a flood of
 * made-up MACs against a slow site server cannot grow without bound. */
#define FRONT_MAX_PENDING 256
#define FRONT_ERR_TTL 5.0 /* a failed lookup is remembered at most this long */

enum front_fail { FAIL_MENU, FAIL_LOCAL, FAIL_IGNORE };
enum front_none { NONE_NEXT, NONE_LOCAL, NONE_IGNORE };

struct front_waiter {
	struct sccm_front *f;
	struct sccm_lookup *e;
	pxh_request *req;
	pxh_timer *timer;
	struct front_waiter *next;
};

/* A cache entry; while pending, also the lookup in flight. */
struct sccm_lookup {
	struct sccm_front *f;
	struct sccm_key key;
	int pending;
	double expires;
	struct sccm_result res;
	struct front_waiter *waiters;
	struct sccm_lookup *next;
};

struct sccm_front {
	pxh_host *h;
	const char *name;
	char backend[48], errors_name[32];
	struct sccm_content *ct;
	struct sccm_media media; /* media_dir, read at load */
	struct sccm_guard *guard;
	sccm_start_fn start;
	void *ud;
	enum front_fail fail;
	enum front_none none;
	double deadline, ttl, neg_ttl;
	unsigned menu_timeout_ms, prompt_timeout_ms;
	struct sccm_lookup *entries;
	size_t nentries, npending;
	unsigned long long lookups, cache_hits, joined, errors, deadlines, not_found,
		unknown_hits, malformed, fail_answers, submit_failed, guarded;
};

static const char *const fail_name[] = {"menu", "local", "ignore"};

static int enum_index(const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (v && !strcasecmp(v, names[i]))
			return i;
	return 0;
}

struct sccm_front *sccm_front_new(pxh_host *h, const char *backend,
                                  const char *errors_name, struct sccm_content *ct,
                                  sccm_start_fn start, void *ud)
{
	static const char *const none_names[] = {"next", "local", "ignore"};
	struct sccm_front *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->h = h;
	f->name = pxh_host_plugin_name(h);
	snprintf(f->backend, sizeof(f->backend), "%s", backend);
	snprintf(f->errors_name, sizeof(f->errors_name), "%s", errors_name);
	f->ct = ct;
	f->start = start;
	f->ud = ud;
	const struct sccm_conf *cf = sccm_conf(h);

	f->fail = (enum front_fail)enum_index(cf->fail_policy, fail_name, 3);
	f->none = (enum front_none)enum_index(cf->no_deployment, none_names, 3);
	f->deadline = cf->deadline_s;
	f->ttl = cf->cache_ttl_s;
	f->neg_ttl = cf->negative_ttl_s;
	f->menu_timeout_ms = cf->menu_timeout_ms;
	f->prompt_timeout_ms = cf->prompt_timeout_ms;
	f->guard = sccm_guard_new(h, cf->reimage_guard_s);
	if (!f->guard) {
		free(f);
		return NULL;
	}
	return f;
}

int sccm_front_setup(pxh_host *h, const char *backend, const char *errors_name,
                     sccm_start_fn start, void *ud, pxh_report_fn report,
                     struct sccm_content **ct, struct sccm_front **front, char *why,
                     size_t why_len)
{
	int rc;

	*ct = sccm_content_from_conf(h, why, why_len);
	if (!*ct) {
		if (!why[0])
			snprintf(why, why_len, "content cache: out of memory");
		return -EINVAL;
	}
	*front = sccm_front_new(h, backend, errors_name, *ct, start, ud);
	if (!*front) {
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	if ((rc = sccm_media_load(h, &(*front)->media, why, why_len)))
		return rc;
	if ((rc = pxh_register_boot_decision(h, sccm_front_decide, *front, NULL)) ||
	    (rc = pxh_register_boot_script(h, sccm_front_decide, *front, NULL)) ||
	    (rc = pxh_register_file_resolver(h, sccm_front_resolve, *front, NULL)) ||
	    (rc = pxh_register_report(h, report, ud, NULL)))
		snprintf(why, why_len, "registering hooks: %s", strerror(-rc));
	return rc;
}

void sccm_front_free(struct sccm_front *f)
{
	if (!f)
		return;
	sccm_media_free(&f->media);
	sccm_guard_free(f->guard);
	while (f->entries) {
		struct sccm_lookup *e = f->entries;
		f->entries = e->next;
		free(e);
	}
	free(f);
}

const char *sccm_front_fail_policy(const struct sccm_front *f)
{
	return fail_name[f->fail];
}

double sccm_front_deadline(const struct sccm_front *f)
{
	return f->deadline;
}

static void emit(struct sccm_front *f, const pxh_client *c, int sev,
                 const char *action, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void emit(struct sccm_front *f, const pxh_client *c, int sev,
                 const char *action, const char *fmt, ...)
{
	pxh_event ev;
	va_list ap;

	memset(&ev, 0, sizeof(ev));
	ev.struct_size = sizeof(ev);
	ev.kind = PXH_EV_PLUGIN;
	ev.severity = sev;
	ev.client = c; /* the core copies what it keeps */
	snprintf(ev.action, sizeof(ev.action), "%s", action);
	snprintf(ev.plugin, sizeof(ev.plugin), "%s", f->name);
	va_start(ap, fmt);
	vsnprintf(ev.message, sizeof(ev.message), fmt, ap);
	va_end(ap);
	pxh_event_emit(f->h, &ev);
}

/* ---- answers -------------------------------------------------------------- */
static enum pxh_verdict fail_answer(struct sccm_front *f, const pxh_client *c,
                                    pxh_answer *a, const char *what, const char *why)
{
	f->fail_answers++;
	pxh_answer_set_reason(a, why);
	emit(f, c, PXH_LOG_WARNING, what, "%s; fail policy %s", why, fail_name[f->fail]);
	pxh_log(f->h, PXH_LOG_WARNING, c, "%s: %s; fail policy %s", f->name, why,
	        fail_name[f->fail]);
	return f->fail == FAIL_LOCAL ? PXH_LOCAL : f->fail == FAIL_IGNORE ? PXH_IGNORE
	                                                               : PXH_NEXT;
}

static enum pxh_verdict answer(struct sccm_front *f, const struct sccm_key *k,
                               const struct sccm_result *r, const pxh_client *c,
                               pxh_answer *a)
{
	char why[420];

	if (r->status == SCCM_ERROR) {
		snprintf(why, sizeof(why), "%s: %s: %s", f->name, f->backend, r->why);
		return fail_answer(f, c, a, "error", why);
	}
	if (r->status == SCCM_NOT_FOUND || r->n == 0) {
		snprintf(why, sizeof(why), "%s: %s", f->name, r->why);
		pxh_answer_set_reason(a, why);
		return f->none == NONE_LOCAL ? PXH_LOCAL : f->none == NONE_IGNORE ? PXH_IGNORE
		                                                                : PXH_NEXT;
	}
	const char *guard_note = "";
	if ((c->phase == PXH_PHASE_IPXE || c->phase == PXH_PHASE_HTTP) && r->dep[0].mandatory) {
		/* the menu starts this one unattended: once per machine and window */
		char key[80];
		double since;
		snprintf(key, sizeof(key), "%lld/%s/%s", r->dev.item_key, k->mac,
		         k->guid[0] ? k->guid : "-");
		if (sccm_guard_check(f->guard, key, r->dep[0].offer_id, pxh_now(f->h), &since)) {
			static struct sccm_result held; /* loop thread only */
			held = *r;
			for (size_t i = 0; i < held.n; i++)
				held.dep[i].mandatory = 0;
			f->guarded++;
			snprintf(why, sizeof(why), "%s: required %s already started automatically "
			         "for this machine %.0f s ago (reimage_guard): offered without "
			         "countdown", f->name, r->dep[0].offer_id, pxh_now(f->h) - since);
			emit(f, c, PXH_LOG_NOTICE, "reimage_guard", "%s", why);
			pxh_log(f->h, PXH_LOG_NOTICE, c, "%s", why);
			r = &held;
			guard_note = " (reimage_guard: the required deployment was started "
			             "automatically lately)";
		}
	}
	snprintf(why, sizeof(why), "%s: %.300s; default %s (%s)%s", f->name, r->why,
	         r->dep[0].offer_id, r->dep[0].mandatory ? "required" : "available", guard_note);
	pxh_answer_set_reason(a, why);
	pxh_answer_set_ttl(a, (unsigned)f->ttl);
	if (c->phase == PXH_PHASE_IPXE || c->phase == PXH_PHASE_HTTP) {
		if (sccm_menu_script(f->h, f->ct, &f->media, a, c, r, f->menu_timeout_ms,
		                     f->prompt_timeout_ms)) {
			snprintf(why, sizeof(why), "%s: script too long", f->name);
			return fail_answer(f, c, a, "error", why);
		}
		return PXH_BOOT;
	}
	/* DHCP phase: boot iPXE (the server's loader); start copying the
	 * boot image now so it is there when iPXE asks */
	for (size_t i = 0; i < r->n && i < 3; i++)
		sccm_want_content(f->h, f->ct, &r->dep[i], c->arch);
	return PXH_BOOT;
}

/* ---- the cache and the requests waiting on it ---------------------------- */
static void entry_unlink(struct sccm_front *f, struct sccm_lookup *e)
{
	for (struct sccm_lookup **pp = &f->entries; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			f->nentries--;
			free(e);
			return;
		}
}

static void sweep(struct sccm_front *f)
{
	double t = pxh_now(f->h);
	struct sccm_lookup **pp = &f->entries;

	while (*pp) {
		struct sccm_lookup *e = *pp;
		if (!e->pending && !e->waiters &&
		    (e->expires <= t || f->nentries > FRONT_MAX_ENTRIES)) {
			*pp = e->next;
			f->nentries--;
			free(e);
			continue;
		}
		pp = &e->next;
	}
}

static struct sccm_lookup *entry_find(struct sccm_front *f, const struct sccm_key *k)
{
	for (struct sccm_lookup *e = f->entries; e; e = e->next)
		if (!strcmp(e->key.mac, k->mac) && !strcmp(e->key.guid, k->guid) &&
		    e->key.arch == k->arch)
			return e;
	return NULL;
}

static void waiter_remove(struct front_waiter *w)
{
	for (struct front_waiter **pp = &w->e->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	pxh_timer_stop(w->timer);
	free(w);
}

static void waiter_deadline(void *ud)
{
	struct front_waiter *w = ud;
	struct sccm_front *f = w->f;
	pxh_request *req = w->req;
	const pxh_client *c = pxh_request_client(req);
	enum pxh_verdict v = PXH_NEXT;
	char why[200];

	f->deadlines++;
	snprintf(why, sizeof(why), "%s: no answer from the %s within %.0f ms", f->name,
	         f->backend, f->deadline * 1000);
	if (!pxh_request_expired(req))
		v = fail_answer(f, c, pxh_request_answer(req), "deadline", why);
	waiter_remove(w); /* stops and frees the timer: a fired one stays until then */
	pxh_request_complete(req, v);
}

void sccm_front_done(struct sccm_lookup *e, const struct sccm_result *res)
{
	struct sccm_front *f = e->f;
	double ttl;

	e->res = *res;
	if (e->pending)
		f->npending--;
	e->pending = 0;
	f->malformed += res->malformed;
	if (res->status == SCCM_ERROR) {
		f->errors++;
		ttl = f->neg_ttl < FRONT_ERR_TTL ? f->neg_ttl : FRONT_ERR_TTL;
	} else if (res->status == SCCM_NOT_FOUND || res->n == 0) {
		f->not_found += res->status == SCCM_NOT_FOUND;
		ttl = f->neg_ttl;
	} else {
		ttl = f->ttl;
	}
	f->unknown_hits += res->dev.unknown;
	e->expires = pxh_now(f->h) + ttl;
	pxh_log(f->h, res->status == SCCM_ERROR ? PXH_LOG_WARNING : PXH_LOG_INFO, NULL,
	        "%s: %s guid %s: %s", f->name, e->key.mac, e->key.guid[0] ? e->key.guid : "-",
	        res->why);
	while (e->waiters) {
		struct front_waiter *w = e->waiters;
		pxh_request *req = w->req;
		enum pxh_verdict v = PXH_NEXT;
		if (!pxh_request_expired(req))
			v = answer(f, &e->key, &e->res, pxh_request_client(req), pxh_request_answer(req));
		waiter_remove(w);
		pxh_request_complete(req, v);
	}
}

/* A new pending entry for K with its lookup started, or a fail answer. */
static struct sccm_lookup *start_lookup(struct sccm_front *f, const struct sccm_key *k,
                                        const pxh_client *c, pxh_answer *a,
                                        enum pxh_verdict *v)
{
	struct sccm_lookup *e;
	char why[160];
	int rc;

	if (f->npending >= FRONT_MAX_PENDING) {
		f->submit_failed++;
		snprintf(why, sizeof(why), "%s: %d lookups already wait for the %s", f->name,
		         FRONT_MAX_PENDING, f->backend);
		*v = fail_answer(f, c, a, "busy", why);
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(why, sizeof(why), "%s: out of memory", f->name);
		*v = fail_answer(f, c, a, "error", why);
		return NULL;
	}
	e->f = f;
	e->key = *k;
	e->pending = 1;
	f->npending++; /* sccm_front_done takes it back, maybe inside start */
	/* linked first: the back end may finish at once (sccm_front_done) */
	e->next = f->entries;
	f->entries = e;
	f->nentries++;
	rc = f->start(f->ud, k, e);
	if (rc) {
		if (e->pending)
			f->npending--;
		entry_unlink(f, e);
		f->submit_failed++;
		snprintf(why, sizeof(why), "%s: lookup not started: %s", f->name, strerror(-rc));
		*v = fail_answer(f, c, a, "error", why);
		return NULL;
	}
	f->lookups++;
	return e;
}

enum pxh_verdict sccm_front_decide(void *ud, const pxh_client *c, pxh_answer *a,
                                   pxh_request *req)
{
	struct sccm_front *f = ud;
	struct sccm_key k;
	struct sccm_lookup *e;
	struct front_waiter *w;
	enum pxh_verdict v = PXH_NEXT;
	char why[120];

	memset(&k, 0, sizeof(k));
	if (sccm_mac_upper(c->mac, k.mac))
		return PXH_NEXT;
	if (sccm_guid_upper(c->uuid, k.guid))
		k.guid[0] = '\0';
	k.arch = c->arch;
	sweep(f);
	e = entry_find(f, &k);
	if (e && !e->pending && e->expires > pxh_now(f->h)) {
		f->cache_hits++;
		return answer(f, &e->key, &e->res, c, a);
	}
	if (e && e->pending) {
		f->joined++;
	} else {
		if (e)
			entry_unlink(f, e);
		e = start_lookup(f, &k, c, a, &v);
		if (!e)
			return v;
		if (!e->pending) { /* answered at once (from a back end's cache) */
			f->cache_hits++;
			return answer(f, &e->key, &e->res, c, a);
		}
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(why, sizeof(why), "%s: out of memory", f->name);
		return fail_answer(f, c, a, "error", why);
	}
	w->f = f;
	w->e = e;
	w->req = req;
	w->timer = pxh_timer_start(f->h, f->deadline, 0, waiter_deadline, w);
	if (!w->timer) {
		free(w);
		snprintf(why, sizeof(why), "%s: no timer", f->name);
		return fail_answer(f, c, a, "error", why);
	}
	w->next = e->waiters;
	e->waiters = w;
	return PXH_DEFERRED;
}

int sccm_front_resolve(void *ud, const pxh_client *c, const char *path, pxh_file *out)
{
	struct sccm_front *f = ud;

	(void)c;
	if (strncmp(path, "sccm/", 5) != 0)
		return -ENOENT;
	if (!strncmp(path, "sccm/media/", 11))
		return sccm_media_open(&f->media, path + 11, out);
	return sccm_content_open(f->ct, path + 5, out);
}

void sccm_front_report(struct sccm_front *f, pxh_report *r)
{
	unsigned files;
	unsigned long long bytes, fetched, failed, hits;

	pxh_report_counter(r, "lookups", f->lookups);
	pxh_report_counter(r, "cache_hits", f->cache_hits);
	pxh_report_counter(r, "lookups_joined", f->joined);
	pxh_report_counter(r, f->errors_name, f->errors);
	pxh_report_counter(r, "deadlines", f->deadlines);
	pxh_report_counter(r, "not_found", f->not_found);
	pxh_report_counter(r, "unknown_computers", f->unknown_hits);
	pxh_report_counter(r, "malformed_rows", f->malformed);
	pxh_report_counter(r, "fail_policy_answers", f->fail_answers);
	pxh_report_counter(r, "reimage_guarded", f->guarded);
	pxh_report_counter(r, "submit_failed", f->submit_failed);
	sccm_content_stats(f->ct, &bytes, &files, &fetched, &failed, &hits);
	pxh_report_gauge(r, "content_bytes", (double)bytes);
	pxh_report_gauge(r, "content_files", files);
	pxh_report_counter(r, "content_fetched", fetched);
	pxh_report_counter(r, "content_failed", failed);
	pxh_report_counter(r, "content_served", hits);
}
