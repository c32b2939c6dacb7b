/* sccm_sql: the validation kit's check (pxehubctl sccm check).  It runs
 * one lookup for a given MAC/UUID with the plugin's own configuration and
 * code, records every statement and its result, reads the procedures'
 * text where the login may (sp_helptext), judges each result against what
 * the plugin expects, and returns all of it as JSON with a sanitized
 * fixture that the TDS stand-in replays (tests/tds/tds_server.py
 * --fixture).  It blocks on the database, so it is served in-process only
 * (pxehubctl, the test kit), never over the network. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "ss_db.h"
#include "ss_plugin.h"
#include "../common/sccm/sccm_kit.h"

void ss_trace_add(struct ss_trace *tr, const char *label, const char *sql, int rc,
                  const char *why, const struct ss_table *t)
{
	struct ss_traced *q;

	if (!tr || tr->n >= SS_TRACE_MAX)
		return;
	q = &tr->q[tr->n];
	memset(q, 0, sizeof(*q));
	if (!(q->sql = strdup(sql)))
		return;
	if (!rc && ss_table_copy(&q->t, t)) {
		free(q->sql);
		return;
	}
	q->rc = rc;
	snprintf(q->label, sizeof(q->label), "%s", label);
	snprintf(q->why, sizeof(q->why), "%s", why ? why : "");
	tr->n++;
}

void ss_trace_free(struct ss_trace *tr)
{
	for (size_t i = 0; i < tr->n; i++) {
		free(tr->q[i].sql);
		ss_table_free(&tr->q[i].t);
	}
	tr->n = 0;
}

static int arch_of(const char *s, uint16_t *out)
{
	static const struct {
		const char *name;
		uint16_t arch;
	} map[] = {{"bios", PXH_ARCH_BIOS}, {"efi-x64", PXH_ARCH_EFI_X64},
	           {"efi-ia32", PXH_ARCH_EFI_IA32}, {"efi-arm64", PXH_ARCH_EFI_ARM64},
	           {"efi-x64-http", PXH_ARCH_EFI_X64_HTTP}};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(s, map[i].name)) {
			*out = map[i].arch;
			return 0;
		}
	return -EINVAL;
}

static int name_column(const char *n)
{
	return n && (!strcasecmp(n, "Name") || !strcasecmp(n, "Name0") ||
	             !strcasecmp(n, "NetbiosName") || !strcasecmp(n, "OfferName") ||
	             !strcasecmp(n, "PkgName"));
}

/* A table as JSON: columns (name, type) and rows; SANIT set: the fixture's
 * form (names hidden, the client's identifiers and the DP replaced). */
static json_t *table_json(const struct ss_table *t, const struct sccm_sanit *z)
{
	json_t *cols = json_array(), *rows = json_array();

	for (size_t c = 0; c < t->ncols; c++) {
		int ints = 1;
		for (size_t r = 0; r < t->nrows; r++) {
			const char *v = t->cells[r * t->ncols + c];
			char *end;
			if (v && (!*v || (strtoll(v, &end, 10), *end)))
				ints = 0;
		}
		json_array_append_new(cols, json_pack("{s:s, s:s}", "name",
		                                      t->names[c] ? t->names[c] : "",
		                                      "type", ints && t->nrows ? "int" : "nvarchar"));
	}
	for (size_t r = 0; r < t->nrows; r++) {
		json_t *row = json_array();
		for (size_t c = 0; c < t->ncols; c++) {
			const char *v = t->cells[r * t->ncols + c];
			char *s;
			if (!v) {
				json_array_append_new(row, json_null());
			} else if (z && name_column(t->names[c])) {
				json_array_append_new(row, json_string(*v ? SCCM_FIX_NAME : ""));
			} else if (z && (s = sccm_sanitize(z, v))) {
				json_array_append_new(row, json_string(s));
				free(s);
			} else {
				json_array_append_new(row, json_string(v));
			}
		}
		json_array_append_new(rows, row);
	}
	return json_pack("{s:o, s:o}", "columns", cols, "rows", rows);
}

/* ---- judging ------------------------------------------------------------- */
static void check(json_t *checks, int *failed, const char *name, const char *level,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void check(json_t *checks, int *failed, const char *name, const char *level,
                  const char *fmt, ...)
{
	char detail[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	sccm_kit_check(checks, failed, name, level, detail);
}

static const struct ss_traced *traced(const struct ss_trace *tr, const char *label)
{
	for (size_t i = 0; i < tr->n; i++)
		if (!strcmp(tr->q[i].label, label))
			return &tr->q[i];
	return NULL;
}

static void judge(const struct ss_plugin *p, const struct ss_trace *tr,
                  const struct sccm_result *res, json_t *checks, int *failed)
{
	const struct ss_traced *lk = traced(tr, "lookup"), *un = traced(tr, "unknown");
	const struct ss_traced *ac = traced(tr, "boot_action");
	const struct ss_traced *im = traced(tr, "boot_images");
	static const char *const need[] = {"OfferID", "PackagePath", "BootImageID", "Mandatory"};

	if (!lk)
		check(checks, failed, "lookup", "fail", "no lookup statement ran: %s", res->why);
	else if (lk->rc)
		check(checks, failed, "lookup", "fail",
		      "the site refused the lookup (%s): EXECUTE on the procedure? its arguments "
		      "(etc/sql/sccm_lookup_device.sql)?", lk->why);
	else
		check(checks, failed, "lookup", "pass", "%zu row(s) of %zu column(s)", lk->t.nrows,
		      lk->t.ncols);
	if (lk && !lk->rc) {
		if (res->dev.unreadable)
			check(checks, failed, "lookup_result", "fail", "%s", res->dev.why);
		else if (!lk->t.nrows)
			check(checks, failed, "lookup_result", "warn",
			      "no rows: read as \"not in the site database\"; check with a MAC "
			      "the site knows");
		else
			check(checks, failed, "lookup_result", "pass", "%s shape: %s",
			      ss_table_col(&lk->t, "ItemKey") >= 0 ? "named-column"
			                                           : "key/count (positional)",
			      res->dev.why);
	}
	if (!un)
		check(checks, failed, "unknown_objects", p->unknown ? "warn" : "pass",
		      "%s", p->unknown ? "not read (see the lookup above)" : "unknown_computers = no");
	else if (un->rc)
		check(checks, failed, "unknown_objects", "fail",
		      "the site refused the statement (%s): SELECT on UnknownSystem_DISC?", un->why);
	else {
		long long k86, k64;
		int r86 = ss_unknown_key(&un->t, "x86", &k86), r64 = ss_unknown_key(&un->t, "x64", &k64);
		if (!r86 && !r64)
			check(checks, failed, "unknown_objects", "pass",
			      "site %s: x86 %lld, x64 %lld", p->site, k86, k64);
		else
			check(checks, failed, "unknown_objects", "fail",
			      "site %s: x86 %s, x64 %s (one of each expected; is site_code right?)",
			      p->site, r86 == -ENOENT ? "none" : r86 ? "several/unreadable" : "ok",
			      r64 == -ENOENT ? "none" : r64 ? "several/unreadable" : "ok");
	}
	if (!ac) {
		if (lk && !lk->rc && !res->dev.unreadable)
			check(checks, failed, "boot_action", "warn", "not run: %s", res->why);
	} else if (ac->rc) {
		check(checks, failed, "boot_action", "fail",
		      "the site refused the boot action call (%s): EXECUTE? five positional "
		      "arguments (etc/sql/sccm_boot_action.sql)?", ac->why);
	} else {
		check(checks, failed, "boot_action", "pass", "%zu row(s)", ac->t.nrows);
		if (!ac->t.nrows) {
			check(checks, failed, "boot_action_columns", "warn",
			      "no rows, so the columns are not checked: use a machine with a deployment");
		} else {
			char missing[200] = "";
			for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
				if (ss_table_col(&ac->t, need[i]) < 0)
					snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
					         " %s", need[i]);
			if (missing[0])
				check(checks, failed, "boot_action_columns", "fail", "missing:%s", missing);
			else
				check(checks, failed, "boot_action_columns", "pass",
				      "OfferID, PackagePath, BootImageID, Mandatory present");
			if (res->malformed)
				check(checks, failed, "boot_action_rows", "fail",
				      "%u row(s) unreadable (see the log line with the raw row)",
				      res->malformed);
			else if (res->status == SCCM_OK)
				check(checks, failed, "boot_action_rows", "pass", "every row readable");
		}
	}
	if (ac && !ac->rc && ac->t.nrows) {
		if (!im)
			check(checks, failed, "boot_images", "fail", "the boot image query did not run");
		else if (im->rc)
			check(checks, failed, "boot_images", "fail",
			      "the site refused it (%s): SELECT on v_BootImagePackage? adapt "
			      "etc/sql/sccm_boot_images.sql", im->why);
		else {
			char unknown[200] = "";
			for (size_t r = 0; r < ac->t.nrows; r++) {
				const char *id = ss_table_get(&ac->t, r, "BootImageID");
				if (id && *id && !ss_image_arch(&im->t, id))
					snprintf(unknown + strlen(unknown), sizeof(unknown) - strlen(unknown),
					         " %.16s", id);
			}
			if (unknown[0])
				check(checks, failed, "boot_images", "fail",
				      "no architecture for:%s", unknown);
			else
				check(checks, failed, "boot_images", "pass",
				      "every boot image's architecture known");
		}
	}
}

/* ---- the route ------------------------------------------------------------- */
static json_t *helptext(struct ss_plugin *p, const char *proc, struct ss_trace *tr)
{
	char sql[128], why[200] = "";
	struct ss_table t = {0};
	json_t *o;
	int rc;

	snprintf(sql, sizeof(sql), "EXEC sp_helptext N'%s'", proc);
	rc = ss_db_query(p->db, sql, &t, why, sizeof(why));
	ss_trace_add(tr, "helptext", sql, rc, why, &t);
	if (rc) {
		o = json_pack("{s:s, s:s}", "name", proc, "error", why);
	} else {
		size_t len = 0;
		char *text;
		for (size_t r = 0; r < t.nrows; r++)
			len += t.cells[r * t.ncols] ? strlen(t.cells[r * t.ncols]) : 0;
		text = calloc(1, len + 1);
		for (size_t r = 0; text && r < t.nrows; r++)
			if (t.cells[r * t.ncols])
				strcat(text, t.cells[r * t.ncols]);
		o = json_pack("{s:s, s:s}", "name", proc, "text", text ? text : "");
		free(text);
	}
	ss_table_free(&t);
	return o;
}


int ss_check_http(void *ud, const pxh_http_request *rq, pxh_http_response *rs)
{
	struct ss_plugin *p = ud;
	char qmac[64], quuid[64], qarch[32], qhelp[8];
	struct ss_job *j;
	struct ss_trace *tr;
	struct sccm_sanit z;
	json_t *out, *checks, *queries, *fix, *ex, *procs, *deps;
	int failed = 0;

	if (rq->core)
		return sccm_kit_reply(rs, 403, json_pack("{s:s}", "error",
		                                "the check blocks on the database: run "
		                                "\"pxehubctl sccm check\" on the server instead"));
	if (strcmp(rq->path, "/check"))
		return sccm_kit_reply(rs, 404, json_pack("{s:s}", "error", "no such route (try /check)"));
	sccm_kit_qparam(rq->query, "mac", qmac, sizeof(qmac));
	sccm_kit_qparam(rq->query, "uuid", quuid, sizeof(quuid));
	sccm_kit_qparam(rq->query, "arch", qarch, sizeof(qarch));
	sccm_kit_qparam(rq->query, "helptext", qhelp, sizeof(qhelp));
	j = calloc(1, sizeof(*j));
	tr = calloc(1, sizeof(*tr));
	if (!j || !tr) {
		free(j);
		free(tr);
		return -ENOMEM;
	}
	j->p = p;
	j->arch = PXH_ARCH_EFI_X64;
	if (sccm_mac_upper(qmac, j->mac) || sccm_guid_upper(quuid, j->guid) ||
	    (qarch[0] && arch_of(qarch, &j->arch))) {
		free(j);
		free(tr);
		return sccm_kit_reply(rs, 400, json_pack("{s:s}", "error",
		                                "mac=AA:BB:CC:DD:EE:FF [uuid=GUID] [arch=bios|efi-x64|"
		                                "efi-ia32]"));
	}
	procs = json_array();
	if (strcmp(qhelp, "0")) {
		json_array_append_new(procs, helptext(p, "NBS_LookupPXEDevice", tr));
		json_array_append_new(procs, helptext(p, "NBS_GetPXEBootAction", tr));
	}
	pthread_mutex_lock(&p->mu);
	p->unk_read = 0; /* read the site's objects now */
	pthread_mutex_unlock(&p->mu);
	ss_cur_trace = tr;
	ss_lookup_work(j);
	ss_cur_trace = NULL;
	checks = json_array();
	judge(p, tr, &j->res, checks, &failed);
	/* every statement: as run, and sanitized for the fixture */
	sccm_sanit_init(&z, j->mac, j->guid, p->dp);
	queries = json_array();
	ex = json_array();
	for (size_t i = 0; i < tr->n; i++) {
		const struct ss_traced *q = &tr->q[i];
		char *ssql = sccm_sanitize(&z, q->sql);
		json_t *one = json_pack("{s:s, s:i}", "sql", q->sql, "rc", q->rc);
		json_t *rec = json_pack("{s:s}", "sql", ssql ? ssql : "");
		if (q->rc) {
			char *swhy = sccm_sanitize(&z, q->why);
			json_object_set_new(one, "error", json_string(q->why));
			json_object_set_new(rec, "error", json_string(swhy ? swhy : ""));
			free(swhy);
		} else {
			json_object_set_new(one, "result", table_json(&q->t, NULL));
			json_object_set_new(rec, "result", table_json(&q->t, &z));
		}
		json_array_append_new(queries, one);
		json_array_append_new(ex, rec);
		free(ssql);
	}
	deps = json_array();
	for (size_t i = 0; i < j->res.n; i++) {
		const struct sccm_deploy *d = &j->res.dep[i];
		json_array_append_new(deps, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "offer_id",
		                                      d->offer_id, "pkg_id", d->pkg_id, "boot_image",
		                                      d->boot_image, "image_path", d->image_path,
		                                      "arch", d->arch, "required", d->mandatory));
	}
	fix = json_pack("{s:i, s:{s:s, s:s, s:s}, s:s, s:s, s:o}", "version", 1, "client", "mac",
	                SCCM_FIX_MAC, "uuid", j->guid[0] ? SCCM_FIX_GUID : "", "arch",
	                qarch[0] ? qarch : "efi-x64", "dp_name", SCCM_FIX_DP, "site_code", p->site,
	                "exchanges", ex);
	out = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:o, s:o, s:o, s:{s:s, s:s, s:o}, "
	                "s:b, s:o}",
	                "plugin", "sccm_sql", "dp_name", p->dp, "site_code", p->site, "client",
	                "mac", j->mac, "uuid", j->guid, "arch", qarch[0] ? qarch : "efi-x64",
	                "procedures", procs, "queries", queries, "checks", checks, "result",
	                "status",
	                j->res.status == SCCM_OK ? "ok"
	                : j->res.status == SCCM_NOT_FOUND ? "not_found" : "error",
	                "why", j->res.why, "deployments", deps, "ok", !failed, "fixture", fix);
	sccm_sanit_free(&z);
	ss_trace_free(tr);
	free(tr);
	free(j);
	return sccm_kit_reply(rs, 200, out);
}
