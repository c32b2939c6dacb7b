/* sccm_sql: Configuration Manager boot decisions from the site database.
 *
 * Both phases share one lookup per machine: the DHCP phase starts it (or
 * answers from the cache), retransmits and the iPXE phase join it or read
 * its cached result.  Lookups run on the work pool (db-lib blocks); every
 * waiting request has its own deadline, after which the fail policy
 * answers and an event says why, while the lookup goes on to fill the
 * cache for the client's next try. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include "sccm_sql.h"
#include "ss_content.h"
#include "ss_db.h"

#define SS_MAX_DEPLOY 16
#define SS_MAX_ENTRIES 4096
#define SS_SQL_FILE_MAX (64 * 1024)

enum ss_status { SS_OK = 0, SS_NOT_FOUND = 1, SS_ERROR = 2 };
enum ss_fail { FAIL_MENU, FAIL_LOCAL, FAIL_IGNORE };
enum ss_none { NONE_NEXT, NONE_LOCAL, NONE_IGNORE };

struct ss_result {
	enum ss_status status;
	char why[320];
	struct ss_device dev;
	size_t n;
	struct ss_deploy dep[SS_MAX_DEPLOY];
	struct ss_select_stats st;
};

struct ss_plugin;
struct ss_entry;

struct ss_waiter {
	struct ss_plugin *p;
	struct ss_entry *e;
	pxh_request *req;
	pxh_timer *timer;
	struct ss_waiter *next;
};

struct ss_entry {
	char mac[18], guid[37];
	uint16_t arch;
	int pending;
	double expires;
	struct ss_result res;
	struct ss_waiter *waiters;
	struct ss_entry *next;
};

struct ss_job {
	struct ss_plugin *p;
	struct ss_entry *e;
	char mac[18], guid[37];
	uint16_t arch;
	struct ss_result res;
};

struct ss_plugin {
	pxh_host *h;
	struct ss_db *db;
	struct ss_content *ct;
	char *sql_lookup, *sql_unknown, *sql_action;
	char **servers;
	size_t nservers;
	char *password;
	char dp[256];
	enum ss_fail fail;
	enum ss_none none;
	double deadline, ttl, neg_ttl;
	int unknown, unknown_bios_x64;
	unsigned menu_timeout_ms, prompt_timeout_ms;
	struct ss_entry *entries;
	size_t nentries;
	/* unknown-computer objects, read once per unknown_refresh */
	pthread_mutex_t mu;
	long long unk_x86, unk_x64;
	double unk_read; /* monotonic seconds, 0 = never */
	/* counters */
	unsigned long long lookups, cache_hits, joined, db_errors, deadlines,
		not_found, unknown_hits, malformed_rows, fail_answers, submit_failed;
};

/* ---- small helpers ------------------------------------------------------ */
static double now(struct ss_plugin *p)
{
	return pxh_now(p->h);
}

static void emit(struct ss_plugin *p, const pxh_client *c, int sev,
                 const char *action, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void emit(struct ss_plugin *p, const pxh_client *c, int sev,
                 const char *action, const char *fmt, ...)
{
	pxh_event ev;
	va_list ap;

	memset(&ev, 0, sizeof(ev));
	ev.struct_size = sizeof(ev);
	ev.kind = PXH_EV_PLUGIN;
	ev.severity = sev;
	if (c) {
		ev.client = *c;
		ev.client.raw = NULL;
		ev.client.raw_len = 0;
	}
	snprintf(ev.action, sizeof(ev.action), "%s", action);
	snprintf(ev.plugin, sizeof(ev.plugin), "sccm_sql");
	va_start(ap, fmt);
	vsnprintf(ev.message, sizeof(ev.message), fmt, ap);
	va_end(ap);
	pxh_event_emit(p->h, &ev);
}

static char *read_file(const char *path, char *why, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st)) {
		snprintf(why, len, "%.300s: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > SS_SQL_FILE_MAX) {
		snprintf(why, len, "%s: empty or larger than %d bytes", path, SS_SQL_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto out;
	n = read(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		snprintf(why, len, "%s: short read", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[n] = '\0';
	if (strlen(buf) != (size_t)n) {
		snprintf(why, len, "%s: NUL byte in the file", path);
		free(buf);
		buf = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

/* Which unknown-computer object a client of ARCH uses, "" for none. */
static const char *unknown_arch(const struct ss_plugin *p, uint16_t arch)
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

/* ---- the lookup (pool thread) ------------------------------------------- */
static int query(struct ss_plugin *p, const char *tmpl, const struct ss_param *pr,
                 size_t n, struct ss_table *t, struct ss_result *res)
{
	char why[200];
	char *sql = ss_sql_expand(tmpl, strlen(tmpl), pr, n, why, sizeof(why));
	int rc;

	if (!sql) {
		res->status = SS_ERROR;
		snprintf(res->why, sizeof(res->why), "SQL template: %s", why);
		return -EINVAL;
	}
	pxh_log(p->h, PXH_LOG_DEBUG, NULL, "sccm_sql: SQL: %s", sql);
	rc = ss_db_query(p->db, sql, t, res->why, sizeof(res->why));
	pxh_log(p->h, PXH_LOG_DEBUG, NULL, "sccm_sql: %d: %zu row(s) of %zu column(s)",
	        rc, t->nrows, t->ncols);
	free(sql);
	if (rc)
		res->status = SS_ERROR;
	return rc;
}

static long long unknown_key(struct ss_plugin *p, const char *arch,
                             struct ss_result *res)
{
	struct ss_table t = {0};
	long long k86, k64, key;

	pthread_mutex_lock(&p->mu);
	if (p->unk_read > 0 && now(p) - p->unk_read < 600) {
		key = !strcmp(arch, "x64") ? p->unk_x64 : p->unk_x86;
		pthread_mutex_unlock(&p->mu);
		return key;
	}
	pthread_mutex_unlock(&p->mu);
	if (query(p, p->sql_unknown, NULL, 0, &t, res))
		return -2;
	k86 = ss_unknown_key(&t, "x86");
	k64 = ss_unknown_key(&t, "x64");
	ss_table_free(&t);
	pthread_mutex_lock(&p->mu);
	p->unk_x86 = k86;
	p->unk_x64 = k64;
	p->unk_read = now(p);
	pthread_mutex_unlock(&p->mu);
	return !strcmp(arch, "x64") ? k64 : k86;
}

static void lookup_work(void *ud)
{
	struct ss_job *j = ud;
	struct ss_plugin *p = j->p;
	struct ss_result *res = &j->res;
	struct ss_table t = {0};
	long long machine = 0, unknown = 0;

	struct ss_param look[] = {
		{.name = "mac", .text = j->mac},
		{.name = "guid", .text = j->guid[0] ? j->guid : NULL},
		{.name = "dp", .text = p->dp},
	};
	if (query(p, p->sql_lookup, look, 3, &t, res))
		goto out;
	ss_pick_device(&t, j->mac, j->guid, &res->dev);
	ss_table_free(&t);
	if (res->dev.found) {
		machine = res->dev.item_key;
	} else {
		const char *ua = unknown_arch(p, j->arch);
		char why[160];
		snprintf(why, sizeof(why), "%s", res->dev.why);
		if (!p->unknown || !*ua) {
			res->status = SS_NOT_FOUND;
			snprintf(res->why, sizeof(res->why), "%s%s", why,
			         p->unknown ? " (no unknown-computer object for this architecture)"
			                    : " (unknown computers off)");
			goto out;
		}
		unknown = unknown_key(p, ua, res);
		if (unknown == -2)
			goto out;
		if (unknown < 0) {
			res->status = SS_NOT_FOUND;
			snprintf(res->why, sizeof(res->why),
			         "%s; no %s unknown-computer object in the database", why, ua);
			goto out;
		}
		res->dev.unknown = 1;
		res->dev.item_key = unknown;
		snprintf(res->dev.why, sizeof(res->dev.why), "%.100s; %s unknown computer %lld",
		         why, ua, unknown);
	}
	{
		struct ss_param act[] = {
			{.name = "mac", .text = j->mac},
			{.name = "guid", .text = j->guid[0] ? j->guid : NULL},
			{.name = "dp", .text = p->dp},
			{.name = "item_key", .num = res->dev.item_key, .is_int = 1},
			{.name = "machine_id", .num = machine, .is_int = 1},
			{.name = "unknown_id", .num = unknown, .is_int = 1},
			{.name = "arch", .text = unknown_arch(p, j->arch)},
		};
		if (query(p, p->sql_action, act, sizeof(act) / sizeof(act[0]), &t, res))
			goto out;
	}
	res->n = ss_select_deployments(&t, j->arch, res->dep, SS_MAX_DEPLOY, &res->st);
	ss_table_free(&t);
	res->status = SS_OK;
	snprintf(res->why, sizeof(res->why),
	         "%s: %zu deployment(s) of %u row(s); skipped: %u already run, %u without "
	         "boot image, %u not on this DP, %u other architecture, %u malformed",
	         res->dev.why, res->n, res->st.rows, res->st.already_run,
	         res->st.no_boot_image, res->st.not_on_dp, res->st.wrong_arch,
	         res->st.malformed);
out:
	ss_table_free(&t);
}

/* ---- answers (loop thread) ---------------------------------------------- */
static const char *fail_name[] = {"menu", "local", "ignore"};

static enum pxh_verdict fail_answer(struct ss_plugin *p, const pxh_client *c,
                                    pxh_answer *a, const char *what, const char *why)
{
	p->fail_answers++;
	pxh_answer_set_reason(a, why);
	emit(p, c, PXH_LOG_WARNING, what, "%s; fail policy %s", why, fail_name[p->fail]);
	pxh_log(p->h, PXH_LOG_WARNING, c, "sccm_sql: %s; fail policy %s", why,
	        fail_name[p->fail]);
	return p->fail == FAIL_LOCAL ? PXH_LOCAL : p->fail == FAIL_IGNORE ? PXH_IGNORE
	                                                               : PXH_NEXT;
}

static const char *bcd_arch(const struct ss_deploy *d, uint16_t arch)
{
	if (d->arch[0])
		return d->arch;
	return arch == PXH_ARCH_EFI_IA32 || arch == PXH_ARCH_EFI_IA32_HTTP ? "x86" : "x64";
}

/* Start (or check) the content one deployment boots: 1 ready, 0 being
 * fetched, -errno failed, -ENOENT no source configured (the admin serves
 * /files/sccm/ from [http] root). */
static int want_content(struct ss_plugin *p, const struct ss_deploy *d, uint16_t arch)
{
	char name[128], bcd[32], src[64];
	const char *ba = bcd_arch(d, arch);
	int r1, r2, r3;

	snprintf(name, sizeof(name), "%s/boot.wim", d->boot_image);
	r1 = ss_content_want(p->ct, name, d->image_path, d->hash);
	r2 = ss_content_want(p->ct, "boot.sdi", pxh_conf_str(p->h, NULL, "boot_sdi_path"), "");
	snprintf(bcd, sizeof(bcd), "%s/BCD", ba);
	snprintf(src, sizeof(src), "bcd_path_%s", ba);
	r3 = ss_content_want(p->ct, bcd, pxh_conf_str(p->h, NULL, src), "");
	if (r1 == -ENOENT && r2 == -ENOENT && r3 == -ENOENT)
		return -ENOENT;
	if (r1 < 0 && r1 != -EAGAIN)
		return r1;
	if (r2 < 0 && r2 != -EAGAIN)
		return r2;
	if (r3 < 0 && r3 != -EAGAIN)
		return r3;
	return r1 == 1 && r2 == 1 && r3 == 1;
}

static void label(char *out, size_t len, const struct ss_deploy *d)
{
	snprintf(out, len, "%s%s%s%s", d->offer_name[0] ? d->offer_name : d->offer_id,
	         d->pkg_name[0] ? " - " : "", d->pkg_name, d->mandatory ? " (required)" : "");
}

static int boot_section(struct ss_plugin *p, pxh_answer *a, size_t i,
                        const struct ss_deploy *d, uint16_t arch)
{
	char wim[160], bcd[64], extra[8][300];
	int rc = want_content(p, d, arch);
	pxh_wimboot w;
	size_t ninj;

	pxh_answer_append_script(a, ":sccm_boot_%zu\n", i);
	if (rc == 0)
		return pxh_answer_append_script(
			a, "echo Boot image %s is being copied from the distribution point,"
			   " trying again in 5 s\nsleep 5\nchain /boot.ipxe?mac=${net0/mac:hexhyp}"
			   "&uuid=${uuid}&arch=${buildarch:uristring}"
			   "&platform=${platform:uristring} || exit 1\n",
			d->boot_image);
	if (rc < 0 && rc != -ENOENT)
		return pxh_answer_append_script(
			a, "echo Boot image %s is not available (%s): see the pxehub log\n"
			   "sleep 10\nexit 1\n", d->boot_image, strerror(-rc));
	memset(&w, 0, sizeof(w));
	w.struct_size = sizeof(w);
	w.wimboot = pxh_conf_str(p->h, NULL, "wimboot");
	snprintf(wim, sizeof(wim), "/files/sccm/%s/boot.wim", d->boot_image);
	snprintf(bcd, sizeof(bcd), "/files/sccm/%s/BCD", bcd_arch(d, arch));
	w.boot_wim = wim;
	w.bcd = bcd;
	w.boot_sdi = "/files/sccm/boot.sdi";
	ninj = pxh_conf_list_len(p->h, NULL, "inject");
	for (size_t k = 0; k < ninj && k < 8; k++) {
		snprintf(extra[k], sizeof(extra[k]), "%s", pxh_conf_list_item(p->h, NULL, "inject", k));
		w.extra[k] = extra[k];
	}
	return pxh_script_wimboot(a, &w);
}

static enum pxh_verdict boot_script(struct ss_plugin *p, const pxh_client *c,
                                    pxh_answer *a, const struct ss_result *r)
{
	int required = r->dep[0].mandatory;
	char title[160], lab[256], body[48];

	pxh_answer_set_script(a, "#!ipxe\n");
	if (!required && p->prompt_timeout_ms)
		pxh_answer_append_script(a, "prompt --timeout %u Press any key for a network boot"
		                            " (ConfigMgr) || exit\n", p->prompt_timeout_ms);
	snprintf(title, sizeof(title), "Configuration Manager: %s",
	         r->dev.unknown ? "unknown computer" : r->dev.name[0] ? r->dev.name : "this machine");
	pxh_script_menu_begin(a, title, required ? p->menu_timeout_ms : 0,
	                      required ? "d0" : NULL);
	for (size_t i = 0; i < r->n; i++) {
		char id[16];
		snprintf(id, sizeof(id), "d%zu", i);
		label(lab, sizeof(lab), &r->dep[i]);
		snprintf(body, sizeof(body), "goto sccm_boot_%zu\n", i);
		pxh_script_menu_item(a, id, lab, body);
	}
	pxh_script_menu_item(a, "local", "Boot from the local disk", "exit\n");
	pxh_script_menu_end(a);
	for (size_t i = 0; i < r->n; i++)
		if (boot_section(p, a, i, &r->dep[i], c->arch))
			return fail_answer(p, c, a, "error", "sccm_sql: script too long");
	return PXH_BOOT;
}

static enum pxh_verdict answer(struct ss_plugin *p, const struct ss_result *r,
                               const pxh_client *c, pxh_answer *a)
{
	char why[400];

	if (r->status == SS_ERROR) {
		snprintf(why, sizeof(why), "sccm_sql: site database: %s", r->why);
		return fail_answer(p, c, a, "error", why);
	}
	if (r->status == SS_NOT_FOUND || r->n == 0) {
		snprintf(why, sizeof(why), "sccm_sql: %s%s", r->why,
		         r->status == SS_OK ? "" : "");
		pxh_answer_set_reason(a, why);
		return p->none == NONE_LOCAL ? PXH_LOCAL : p->none == NONE_IGNORE ? PXH_IGNORE
		                                                                : PXH_NEXT;
	}
	snprintf(why, sizeof(why), "sccm_sql: %s; default %s (%s)", r->why,
	         r->dep[0].offer_id, r->dep[0].mandatory ? "required" : "available");
	pxh_answer_set_reason(a, why);
	pxh_answer_set_ttl(a, (unsigned)p->ttl);
	if (c->phase == PXH_PHASE_IPXE || c->phase == PXH_PHASE_HTTP)
		return boot_script(p, c, a, r);
	/* DHCP phase: boot iPXE (the server's loader); start copying the
	 * boot image now so it is there when iPXE asks */
	for (size_t i = 0; i < r->n && i < 3; i++)
		want_content(p, &r->dep[i], c->arch);
	return PXH_BOOT;
}

/* ---- the cache and the requests waiting on it ---------------------------- */
static void entry_unlink(struct ss_plugin *p, struct ss_entry *e)
{
	for (struct ss_entry **pp = &p->entries; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			p->nentries--;
			free(e);
			return;
		}
}

static void sweep(struct ss_plugin *p)
{
	double t = now(p);
	struct ss_entry **pp = &p->entries;

	while (*pp) {
		struct ss_entry *e = *pp;
		if (!e->pending && !e->waiters &&
		    (e->expires <= t || p->nentries > SS_MAX_ENTRIES)) {
			*pp = e->next;
			p->nentries--;
			free(e);
			continue;
		}
		pp = &e->next;
	}
}

static struct ss_entry *entry_find(struct ss_plugin *p, const char *mac,
                                   const char *guid, uint16_t arch)
{
	for (struct ss_entry *e = p->entries; e; e = e->next)
		if (!strcmp(e->mac, mac) && !strcmp(e->guid, guid) && e->arch == arch)
			return e;
	return NULL;
}

static void waiter_remove(struct ss_waiter *w)
{
	for (struct ss_waiter **pp = &w->e->waiters; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	pxh_timer_stop(w->timer);
	free(w);
}

static void waiter_deadline(void *ud)
{
	struct ss_waiter *w = ud;
	struct ss_plugin *p = w->p;
	pxh_request *req = w->req;
	const pxh_client *c = pxh_request_client(req);
	enum pxh_verdict v = PXH_NEXT;
	char why[200];

	p->deadlines++;
	snprintf(why, sizeof(why), "sccm_sql: no answer from the site database within %.0f ms",
	         p->deadline * 1000);
	if (!pxh_request_expired(req))
		v = fail_answer(p, c, pxh_request_answer(req), "deadline", why);
	w->timer = NULL; /* a timer that fired is freed by the core */
	waiter_remove(w);
	pxh_request_complete(req, v);
}

static void lookup_done(void *ud)
{
	struct ss_job *j = ud;
	struct ss_plugin *p = j->p;
	struct ss_entry *e = j->e;
	double ttl;

	e->res = j->res;
	e->pending = 0;
	p->malformed_rows += j->res.dev.malformed + j->res.st.malformed;
	if (j->res.status == SS_ERROR) {
		p->db_errors++;
		ttl = p->neg_ttl < 5 ? p->neg_ttl : 5;
	} else if (j->res.status == SS_NOT_FOUND || j->res.n == 0) {
		p->not_found += j->res.status == SS_NOT_FOUND;
		ttl = p->neg_ttl;
	} else {
		ttl = p->ttl;
	}
	p->unknown_hits += j->res.dev.unknown;
	e->expires = now(p) + ttl;
	pxh_log(p->h, j->res.status == SS_ERROR ? PXH_LOG_WARNING : PXH_LOG_INFO, NULL,
	        "sccm_sql: %s guid %s: %s", e->mac, e->guid[0] ? e->guid : "-", j->res.why);
	while (e->waiters) {
		struct ss_waiter *w = e->waiters;
		pxh_request *req = w->req;
		enum pxh_verdict v = PXH_NEXT;
		if (!pxh_request_expired(req))
			v = answer(p, &e->res, pxh_request_client(req), pxh_request_answer(req));
		waiter_remove(w);
		pxh_request_complete(req, v);
	}
	free(j);
}

static enum pxh_verdict decide(void *ud, const pxh_client *c, pxh_answer *a,
                               pxh_request *req)
{
	struct ss_plugin *p = ud;
	char mac[18], guid[37];
	struct ss_entry *e;
	struct ss_waiter *w;

	if (ss_mac_upper(c->mac, mac))
		return PXH_NEXT;
	if (ss_guid_upper(c->uuid, guid))
		guid[0] = '\0';
	sweep(p);
	e = entry_find(p, mac, guid, c->arch);
	if (e && !e->pending && e->expires > now(p)) {
		p->cache_hits++;
		return answer(p, &e->res, c, a);
	}
	if (e && e->pending) {
		p->joined++;
	} else {
		struct ss_job *j;
		int rc;
		if (e)
			entry_unlink(p, e);
		e = calloc(1, sizeof(*e));
		j = calloc(1, sizeof(*j));
		if (!e || !j) {
			free(e);
			free(j);
			return fail_answer(p, c, a, "error", "sccm_sql: out of memory");
		}
		memcpy(e->mac, mac, sizeof(mac));
		memcpy(e->guid, guid, sizeof(guid));
		e->arch = c->arch;
		e->pending = 1;
		j->p = p;
		j->e = e;
		memcpy(j->mac, mac, sizeof(mac));
		memcpy(j->guid, guid, sizeof(guid));
		j->arch = c->arch;
		rc = pxh_work_submit(p->h, lookup_work, lookup_done, j);
		if (rc) {
			char why[120];
			free(e);
			free(j);
			p->submit_failed++;
			snprintf(why, sizeof(why), "sccm_sql: lookup not started: %s", strerror(-rc));
			return fail_answer(p, c, a, "error", why);
		}
		e->next = p->entries;
		p->entries = e;
		p->nentries++;
		p->lookups++;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return fail_answer(p, c, a, "error", "sccm_sql: out of memory");
	w->p = p;
	w->e = e;
	w->req = req;
	w->timer = pxh_timer_start(p->h, p->deadline, 0, waiter_deadline, w);
	if (!w->timer) {
		free(w);
		return fail_answer(p, c, a, "error", "sccm_sql: no timer");
	}
	w->next = e->waiters;
	e->waiters = w;
	return PXH_DEFERRED;
}

/* ---- file resolver, report ---------------------------------------------- */
static int resolve(void *ud, const pxh_client *c, const char *path, pxh_file *out)
{
	struct ss_plugin *p = ud;

	(void)c;
	if (strncmp(path, "sccm/", 5) != 0)
		return -ENOENT;
	return ss_content_open(p->ct, path + 5, out);
}

static void report(void *ud, pxh_report *r)
{
	struct ss_plugin *p = ud;
	unsigned open, busy, files;
	unsigned long long connects, failures, bytes, fetched, failed, hits;

	pxh_report_counter(r, "lookups", p->lookups);
	pxh_report_counter(r, "cache_hits", p->cache_hits);
	pxh_report_counter(r, "lookups_joined", p->joined);
	pxh_report_counter(r, "db_errors", p->db_errors);
	pxh_report_counter(r, "deadlines", p->deadlines);
	pxh_report_counter(r, "not_found", p->not_found);
	pxh_report_counter(r, "unknown_computers", p->unknown_hits);
	pxh_report_counter(r, "malformed_rows", p->malformed_rows);
	pxh_report_counter(r, "fail_policy_answers", p->fail_answers);
	pxh_report_counter(r, "submit_failed", p->submit_failed);
	ss_db_stats(p->db, &open, &busy, &connects, &failures);
	pxh_report_gauge(r, "connections_open", open);
	pxh_report_gauge(r, "connections_busy", busy);
	pxh_report_counter(r, "connects", connects);
	pxh_report_counter(r, "connect_failures", failures);
	ss_content_stats(p->ct, &bytes, &files, &fetched, &failed, &hits);
	pxh_report_gauge(r, "content_bytes", (double)bytes);
	pxh_report_gauge(r, "content_files", files);
	pxh_report_counter(r, "content_fetched", fetched);
	pxh_report_counter(r, "content_failed", failed);
	pxh_report_counter(r, "content_served", hits);
}

/* ---- life cycle ------------------------------------------------------------ */
static void fini(void *state)
{
	struct ss_plugin *p = state;

	if (!p)
		return;
	while (p->entries) {
		struct ss_entry *e = p->entries;
		p->entries = e->next;
		free(e);
	}
	ss_db_free(p->db);
	ss_content_free(p->ct);
	for (size_t i = 0; i < p->nservers; i++)
		free(p->servers[i]);
	free(p->servers);
	if (p->password)
		explicit_bzero(p->password, strlen(p->password));
	free(p->password);
	free(p->sql_lookup);
	free(p->sql_unknown);
	free(p->sql_action);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/*
 * FreeTDS 1.3's db-lib has no call for the encryption level (DBSETENCRYPT
 * is unimplemented), only freetds.conf: write our own with a [global]
 * section and point FREETDSCONF at it.  An admin's own FREETDSCONF wins
 * (then encryption is set there).  setenv runs once per load, on the loop
 * thread, before this plugin's first connection.
 */
static int freetds_conf(pxh_host *h, int require, char *why, size_t len)
{
	char path[512], tmp[530];
	const char *cur = getenv("FREETDSCONF");
	const char *ours = getenv("PXEHUB_SCCM_FREETDSCONF"); /* set by an earlier load */
	FILE *f;

	snprintf(path, sizeof(path), "%s/freetds.conf", pxh_host_state_dir(h));
	if (cur && *cur && strcmp(cur, path) && !(ours && !strcmp(cur, ours))) {
		pxh_log(h, PXH_LOG_NOTICE, NULL, "sccm_sql: FREETDSCONF=%s is the admin's: "
		        "encryption is set there, not by [sccm_sql] encryption", cur);
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(why, len, "%.300s: %s", tmp, strerror(errno));
		return -errno;
	}
	fprintf(f, "# written by pxehub's sccm_sql at each load\n[global]\n"
	           "\ttds version = 7.4\n\tencryption = %s\n",
	        require ? "require" : "request");
	if (fclose(f) || rename(tmp, path)) {
		snprintf(why, len, "%.300s: %s", path, strerror(errno));
		return -EIO;
	}
	if (setenv("PXEHUB_SCCM_FREETDSCONF", path, 1) || setenv("FREETDSCONF", path, 1))
		return -errno;
	return 0;
}

static int secs(long long ms)
{
	return (int)((ms + 999) / 1000);
}

static int enum_index(const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcasecmp(v, names[i]))
			return i;
	return 0;
}

static int init(pxh_host *h, void **state)
{
	static const char *const none_names[] = {"next", "local", "ignore"};
	struct ss_plugin *p = calloc(1, sizeof(*p));
	struct ss_db_conf dc;
	struct ss_content_conf cc;
	char why[400] = "", dir[512];
	const char *pwfile;
	int rc = -EINVAL;

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	p->h = h;
	*state = p;
	if (!(p->sql_lookup = read_file(pxh_conf_str(h, NULL, "lookup_sql"), why, sizeof(why))) ||
	    !(p->sql_unknown = read_file(pxh_conf_str(h, NULL, "unknown_sql"), why, sizeof(why))) ||
	    !(p->sql_action = read_file(pxh_conf_str(h, NULL, "boot_action_sql"), why, sizeof(why))))
		goto fail;
	p->nservers = pxh_conf_list_len(h, NULL, "servers");
	if (!p->nservers) {
		snprintf(why, sizeof(why), "servers: at least one SQL Server address");
		goto fail;
	}
	p->servers = calloc(p->nservers, sizeof(*p->servers));
	for (size_t i = 0; p->servers && i < p->nservers; i++)
		p->servers[i] = strdup(pxh_conf_list_item(h, NULL, "servers", i));
	pwfile = pxh_conf_str(h, NULL, "password_file");
	if (pwfile && *pwfile) {
		p->password = read_file(pwfile, why, sizeof(why));
		if (!p->password)
			goto fail;
		p->password[strcspn(p->password, "\r\n")] = '\0';
	} else {
		p->password = strdup(pxh_conf_str(h, NULL, "password"));
	}
	snprintf(p->dp, sizeof(p->dp), "%s",
	         *pxh_conf_str(h, NULL, "dp_name") ? pxh_conf_str(h, NULL, "dp_name")
	                                            : pxh_host_fqdn(h));
	p->fail = (enum ss_fail)enum_index(pxh_conf_str(h, NULL, "fail_policy"), fail_name, 3);
	p->none = (enum ss_none)enum_index(pxh_conf_str(h, NULL, "no_deployment"), none_names, 3);
	p->deadline = (double)pxh_conf_int(h, NULL, "deadline") / 1000.0;
	p->ttl = (double)pxh_conf_int(h, NULL, "cache_ttl") / 1000.0;
	p->neg_ttl = (double)pxh_conf_int(h, NULL, "negative_ttl") / 1000.0;
	p->unknown = pxh_conf_bool(h, NULL, "unknown_computers");
	p->unknown_bios_x64 = !strcasecmp(pxh_conf_str(h, NULL, "unknown_bios_arch"), "x64");
	p->menu_timeout_ms = (unsigned)pxh_conf_int(h, NULL, "menu_timeout");
	p->prompt_timeout_ms = (unsigned)pxh_conf_int(h, NULL, "prompt_timeout");
	if (!p->servers || !p->password)
		goto nomem;
	for (size_t i = 0; i < p->nservers; i++)
		if (!p->servers[i])
			goto nomem;

	memset(&dc, 0, sizeof(dc));
	dc.servers = p->servers;
	dc.nservers = p->nservers;
	dc.user = pxh_conf_str(h, NULL, "user");
	dc.password = p->password;
	dc.database = pxh_conf_str(h, NULL, "database");
	dc.encrypt_require = !strcasecmp(pxh_conf_str(h, NULL, "encryption"), "require");
	dc.login_timeout_s = secs(pxh_conf_int(h, NULL, "login_timeout"));
	dc.query_timeout_s = secs(pxh_conf_int(h, NULL, "query_timeout"));
	dc.pool_max = (unsigned)pxh_conf_int(h, NULL, "pool_size");
	if ((rc = freetds_conf(h, dc.encrypt_require, why, sizeof(why))))
		goto fail;
	p->db = ss_db_new(&dc, h);
	if (!p->db) {
		snprintf(why, sizeof(why), "FreeTDS db-lib did not initialise");
		goto fail;
	}

	memset(&cc, 0, sizeof(cc));
	snprintf(dir, sizeof(dir), "%s/content", pxh_host_state_dir(h));
	cc.dir = dir;
	cc.max_bytes = (unsigned long long)pxh_conf_int(h, NULL, "cache_size_mb") << 20;
	cc.dp_url = pxh_conf_str(h, NULL, "dp_url");
	cc.local_dir = pxh_conf_str(h, NULL, "content_dir");
	cc.user = pxh_conf_str(h, NULL, "content_user");
	cc.password = pxh_conf_str(h, NULL, "content_password");
	cc.auth = pxh_conf_str(h, NULL, "content_auth");
	cc.ca_file = pxh_conf_str(h, NULL, "content_ca_file");
	cc.verify_tls = pxh_conf_bool(h, NULL, "content_verify_tls");
	cc.timeout_s = secs(pxh_conf_int(h, NULL, "content_timeout"));
	cc.retry_s = 30;
	p->ct = ss_content_new(&cc, h, why, sizeof(why));
	if (!p->ct) {
		if (!why[0])
			snprintf(why, sizeof(why), "content cache: out of memory");
		goto fail;
	}
	if ((rc = pxh_register_boot_decision(h, decide, p, NULL)) ||
	    (rc = pxh_register_boot_script(h, decide, p, NULL)) ||
	    (rc = pxh_register_file_resolver(h, resolve, p, NULL)) ||
	    (rc = pxh_register_report(h, report, p, NULL))) {
		snprintf(why, sizeof(why), "registering hooks: %s", strerror(-rc));
		goto fail;
	}
	pxh_log(h, PXH_LOG_INFO, NULL,
	        "sccm_sql: %zu server(s), first %s, DP %s, deadline %.0f ms, fail policy %s",
	        p->nservers, p->servers[0], p->dp, p->deadline * 1000, fail_name[p->fail]);
	return 0;
nomem:
	snprintf(why, sizeof(why), "out of memory");
	rc = -ENOMEM;
fail:
	pxh_log(h, PXH_LOG_ERR, NULL, "sccm_sql: %s", why);
	fini(p);
	*state = NULL;
	return rc < 0 ? rc : -EINVAL;
}

#define SQL_DIR PXH_SYSCONFDIR "/pxehub/sql/"

static const pxh_conf_key keys[] = {
	{.name = "servers", .type = PXH_CONF_LIST, .def = "",
	 .help = "SQL Server addresses tried in order: host, host:port or host\\instance"},
	{.name = "database", .type = PXH_CONF_STRING, .def = "",
	 .help = "site database (CM_XXX); empty = the login's default"},
	{.name = "user", .type = PXH_CONF_STRING, .def = "", .flags = PXH_CONF_REQUIRED,
	 .help = "SQL login, or DOMAIN\\user for a Windows login (NTLMv2)"},
	{.name = "password", .type = PXH_CONF_STRING, .def = "", .help = "its password"},
	{.name = "password_file", .type = PXH_CONF_PATH, .def = "",
	 .help = "read the password from this file instead (first line)"},
	{.name = "encryption", .type = PXH_CONF_ENUM, .def = "request",
	 .choices = "request|require", .help = "TLS to SQL Server: request or require"},
	{.name = "login_timeout", .type = PXH_CONF_DURATION, .def = "3s", .min = 1000,
	 .max = 60000, .help = "per server address, whole seconds"},
	{.name = "query_timeout", .type = PXH_CONF_DURATION, .def = "5s", .min = 1000,
	 .max = 120000, .help = "per statement, whole seconds"},
	{.name = "pool_size", .type = PXH_CONF_INT, .def = "4", .min = 1, .max = 32,
	 .help = "connections kept open (each used by one thread at a time)"},
	{.name = "deadline", .type = PXH_CONF_DURATION, .def = "1500ms", .min = 50,
	 .max = 30000, .help = "a request waits this long for the database, then fail_policy"},
	{.name = "fail_policy", .type = PXH_CONF_ENUM, .def = "menu",
	 .choices = "ignore|menu|local",
	 .help = "database down or slow: ignore, menu (next plugin / default menu), local"},
	{.name = "no_deployment", .type = PXH_CONF_ENUM, .def = "ignore",
	 .choices = "next|local|ignore", .help = "unknown machine or nothing deployed to it"},
	{.name = "dp_name", .type = PXH_CONF_STRING, .def = "",
	 .help = "this distribution point's FQDN as the site knows it; empty = [server] fqdn"},
	{.name = "lookup_sql", .type = PXH_CONF_PATH, .def = SQL_DIR "sccm_lookup_device.sql",
	 .help = "device lookup (:mac, :guid, :dp)"},
	{.name = "unknown_sql", .type = PXH_CONF_PATH,
	 .def = SQL_DIR "sccm_unknown_computers.sql",
	 .help = "unknown-computer objects (ItemKey, Architecture)"},
	{.name = "boot_action_sql", .type = PXH_CONF_PATH,
	 .def = SQL_DIR "sccm_boot_action.sql",
	 .help = "deployments (:item_key, :machine_id, :unknown_id, :mac, :guid, :dp, :arch)"},
	{.name = "unknown_computers", .type = PXH_CONF_BOOL, .def = "yes",
	 .help = "machines not in the database use the unknown-computer objects"},
	{.name = "unknown_bios_arch", .type = PXH_CONF_ENUM, .def = "x86",
	 .choices = "x86|x64", .help = "unknown object for BIOS clients (UEFI x64 is x64)"},
	{.name = "cache_ttl", .type = PXH_CONF_DURATION, .def = "60s", .min = 0,
	 .max = 3600000, .help = "how long a found machine's answer is reused"},
	{.name = "negative_ttl", .type = PXH_CONF_DURATION, .def = "10s", .min = 0,
	 .max = 600000, .help = "how long 'not found' or 'nothing deployed' is reused"},
	{.name = "menu_timeout", .type = PXH_CONF_DURATION, .def = "10s", .min = 0,
	 .max = 600000, .help = "countdown before the required deployment boots"},
	{.name = "prompt_timeout", .type = PXH_CONF_DURATION, .def = "5s", .min = 0,
	 .max = 600000,
	 .help = "only available deployments: wait this long for a key, else local (0 = no prompt)"},
	{.name = "wimboot", .type = PXH_CONF_STRING, .def = "/files/wimboot",
	 .help = "URL of wimboot"},
	{.name = "inject", .type = PXH_CONF_LIST, .def = "",
	 .help = "extra files for WinPE via wimboot (\"URL name\"), e.g. the media variables"},
	{.name = "dp_url", .type = PXH_CONF_STRING, .def = "",
	 .help = "DP package share over HTTP(S), e.g. http://dp01/SMS_DP_SMSPKG$"},
	{.name = "content_dir", .type = PXH_CONF_STRING, .def = "",
	 .help = "a local synced copy of the DP content instead of dp_url"},
	{.name = "content_user", .type = PXH_CONF_STRING, .def = "",
	 .help = "network access account (DOMAIN\\user) for dp_url"},
	{.name = "content_password", .type = PXH_CONF_STRING, .def = "", .help = "its password"},
	{.name = "content_auth", .type = PXH_CONF_ENUM, .def = "ntlm",
	 .choices = "ntlm|negotiate|basic|any", .help = "HTTP authentication for dp_url"},
	{.name = "content_ca_file", .type = PXH_CONF_STRING, .def = "",
	 .help = "CA bundle for an HTTPS dp_url; empty = system store"},
	{.name = "content_verify_tls", .type = PXH_CONF_BOOL, .def = "yes",
	 .help = "verify the DP's certificate"},
	{.name = "content_timeout", .type = PXH_CONF_DURATION, .def = "10m", .min = 1000,
	 .max = 3600000, .help = "one file's whole transfer"},
	{.name = "cache_size_mb", .type = PXH_CONF_INT, .def = "4096", .min = 1,
	 .max = 1048576, .help = "bound of the boot image cache (least recently used go)"},
	{.name = "boot_sdi_path", .type = PXH_CONF_STRING, .def = "SMSBoot/boot.sdi",
	 .help = "boot.sdi below dp_url / content_dir"},
	{.name = "bcd_path_x64", .type = PXH_CONF_STRING, .def = "SMSBoot/x64/BCD",
	 .help = "x64 BCD below dp_url / content_dir"},
	{.name = "bcd_path_x86", .type = PXH_CONF_STRING, .def = "SMSBoot/x86/BCD",
	 .help = "x86 BCD below dp_url / content_dir"},
	{.name = NULL},
};

PXH_PLUGIN(.name = "sccm_sql", .version = "1.0", .flags = PXH_PLUGIN_THREAD_SAFE,
           .keys = keys, .init = init, .fini = fini);
