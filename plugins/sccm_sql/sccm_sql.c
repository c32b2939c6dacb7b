/* sccm_sql: Configuration Manager boot decisions from the site database.
 *
 * The client-facing part (one lookup per machine for both phases, cache,
 * deadlines, fail policy, events, the menu and the boot image content) is
 * shared with sccm_mp_http in plugins/common/sccm/; this file runs the
 * lookups, on the work pool since db-lib blocks. */
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
#include "../common/sccm/sccm_front.h"
#include "ss_db.h"
#include "ss_plugin.h"

#define SS_SQL_FILE_MAX (64 * 1024)

/* ---- small helpers ------------------------------------------------------ */
static double now(struct ss_plugin *p)
{
	return pxh_now(p->h);
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
const char *ss_unknown_arch(const struct ss_plugin *p, uint16_t arch)
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
__thread struct ss_trace *ss_cur_trace;

static int query(struct ss_plugin *p, const char *tmpl, const struct ss_param *pr,
                 size_t n, struct ss_table *t, struct sccm_result *res)
{
	char why[200];
	char *sql = ss_sql_expand(tmpl, strlen(tmpl), pr, n, why, sizeof(why));
	int rc;

	if (!sql) {
		res->status = SCCM_ERROR;
		snprintf(res->why, sizeof(res->why), "SQL template: %s", why);
		return -EINVAL;
	}
	pxh_log(p->h, PXH_LOG_DEBUG, NULL, "sccm_sql: SQL: %s", sql);
	rc = ss_db_query(p->db, sql, t, res->why, sizeof(res->why));
	pxh_log(p->h, PXH_LOG_DEBUG, NULL, "sccm_sql: %d: %zu row(s) of %zu column(s)",
	        rc, t->nrows, t->ncols);
	ss_trace_add(ss_cur_trace,
	             tmpl == p->sql_lookup ? "lookup" : tmpl == p->sql_unknown ? "unknown"
	             : tmpl == p->sql_action ? "boot_action" : tmpl == p->sql_images ? "boot_images"
	                                                                            : "other",
	             sql, rc, rc ? res->why : "", t);
	free(sql);
	if (rc)
		res->status = SCCM_ERROR;
	return rc;
}

/* This site's unknown-computer object for ARCH: the key, -1 when the site
 * has none, -2 on an error (RES set).  Read at most every 10 minutes. */
static long long unknown_key(struct ss_plugin *p, const char *arch,
                             struct sccm_result *res)
{
	struct ss_table t = {0};
	long long k86 = -1, k64 = -1;
	int r86, r64;
	struct ss_param pr[] = {{.name = "site_code", .text = p->site}};

	if (!*arch)
		return -1;
	pthread_mutex_lock(&p->mu);
	if (p->unk_read > 0 && now(p) - p->unk_read < 600) {
		long long key = !strcmp(arch, "x64") ? p->unk_x64 : p->unk_x86;
		pthread_mutex_unlock(&p->mu);
		return key;
	}
	pthread_mutex_unlock(&p->mu);
	if (query(p, p->sql_unknown, pr, 1, &t, res))
		return -2;
	r86 = ss_unknown_key(&t, "x86", &k86);
	r64 = ss_unknown_key(&t, "x64", &k64);
	if ((r86 && r86 != -ENOENT) || (r64 && r64 != -ENOENT)) {
		char row[200];
		ss_row_text(&t, 0, row, sizeof(row));
		res->status = SCCM_ERROR;
		snprintf(res->why, sizeof(res->why), "unknown-computer objects: %s (first row: %s)",
		         (r86 == -EEXIST || r64 == -EEXIST)
		                 ? "several per architecture (another site's? check site_code)"
		                 : "unreadable ItemKey", row);
		pxh_log(p->h, PXH_LOG_WARNING, NULL, "sccm_sql: %s", res->why);
		ss_table_free(&t);
		return -2;
	}
	ss_table_free(&t);
	pthread_mutex_lock(&p->mu);
	p->unk_x86 = r86 ? -1 : k86;
	p->unk_x64 = r64 ? -1 : k64;
	p->unk_read = now(p);
	pthread_mutex_unlock(&p->mu);
	return !strcmp(arch, "x64") ? p->unk_x64 : p->unk_x86;
}

/* Is ID (a MAC or GUID text) on the site's duplicate hardware identifier
 * list (duplicate_ids, copied from Hierarchy Settings)? */
static int on_dup_list(struct ss_plugin *p, const char *id)
{
	const pxh_conf_list *dup = &p->cf->duplicate_ids;

	for (size_t i = 0; *id && i < dup->n; i++) {
		const char *v = dup->v[i];
		char m[18], g[37];
		if ((!sccm_mac_upper(v, m) && !strcmp(m, id)) ||
		    (!sccm_guid_upper(v, g) && g[0] && !strcmp(g, id)))
			return 1;
	}
	return 0;
}

static enum ss_client client_class(const struct ss_plugin *p, uint16_t arch)
{
	switch (arch) {
	case PXH_ARCH_EFI_X64:
	case PXH_ARCH_EFI_X64_HTTP:
		return SS_EFI_X64;
	case PXH_ARCH_EFI_IA32:
	case PXH_ARCH_EFI_IA32_HTTP:
		return SS_EFI_X86;
	case PXH_ARCH_BIOS:
		return p->bios_x64 ? SS_BIOS_X64 : SS_BIOS_X86;
	default:
		return SS_OTHER;
	}
}

void ss_lookup_work(void *ud)
{
	struct ss_job *j = ud;
	struct ss_plugin *p = j->p;
	struct sccm_result *res = &j->res;
	struct ss_table t = {0}, images = {0};
	struct ss_select_stats st;
	const char *ua = ss_unknown_arch(p, j->arch);
	long long unknown;
	char mkey[24], ukey[24];

	struct ss_param look[] = {
		{.name = "mac", .text = j->mac},
		{.name = "guid", .text = j->guid},
		{.name = "dp", .text = p->dp},
	};
	if (query(p, p->sql_lookup, look, 3, &t, res))
		goto out;
	ss_pick_device(&t, j->mac, j->guid, on_dup_list(p, j->guid), on_dup_list(p, j->mac),
	               &res->dev);
	ss_table_free(&t);
	if (res->dev.unreadable) {
		/* never "unknown computer": a known machine could get a
		 * bare-metal deployment */
		res->status = SCCM_ERROR;
		snprintf(res->why, sizeof(res->why), "%s", res->dev.why);
		pxh_log(p->h, PXH_LOG_WARNING, NULL, "sccm_sql: %s %s: %s", j->mac,
		        j->guid[0] ? j->guid : "-", res->dev.why);
		goto out;
	}
	/* the public call passes the unknown object of the client's
	 * architecture for known machines too */
	unknown = unknown_key(p, ua, res);
	if (unknown == -2)
		goto out;
	if (!res->dev.found) {
		char why[240];
		snprintf(why, sizeof(why), "%s", res->dev.why);
		if (!p->unknown || !*ua) {
			res->status = SCCM_NOT_FOUND;
			snprintf(res->why, sizeof(res->why), "%s%s", why,
			         p->unknown ? " (no unknown-computer object for this architecture)"
			                    : " (unknown computers off)");
			goto out;
		}
		if (unknown < 0) {
			res->status = SCCM_NOT_FOUND;
			snprintf(res->why, sizeof(res->why),
			         "%s; no %s unknown-computer object for site %s", why, ua, p->site);
			goto out;
		}
		res->dev.unknown = 1;
		res->dev.item_key = unknown;
		snprintf(res->dev.why, sizeof(res->dev.why), "%.100s; %s unknown computer %lld",
		         why, ua, unknown);
	}
	snprintf(mkey, sizeof(mkey), "%lld", res->dev.item_key);
	snprintf(ukey, sizeof(ukey), "%lld", unknown > 0 ? unknown : 0);
	{
		struct ss_param act[] = {
			{.name = "mac", .text = j->mac},
			{.name = "guid", .text = j->guid},
			{.name = "dp", .text = p->dp},
			{.name = "machine_key", .text = mkey},
			{.name = "unknown_key", .text = ukey},
			{.name = "item_key", .num = res->dev.item_key, .is_int = 1},
			{.name = "arch", .text = ua},
		};
		if (query(p, p->sql_action, act, sizeof(act) / sizeof(act[0]), &t, res))
			goto out;
	}
	if (t.nrows && query(p, p->sql_images, NULL, 0, &images, res))
		goto out;
	res->n = ss_select_deployments(&t, &images, client_class(p, j->arch), res->dep,
	                               SCCM_MAX_DEPLOY, &st);
	if (st.unreadable) {
		res->status = SCCM_ERROR;
		snprintf(res->why, sizeof(res->why), "unreadable boot action result (no OfferID "
		         "column): %s", st.bad_row);
		pxh_log(p->h, PXH_LOG_WARNING, NULL, "sccm_sql: %s: %s", j->mac, res->why);
		goto out;
	}
	if (st.malformed)
		pxh_log(p->h, PXH_LOG_WARNING, NULL, "sccm_sql: %s: %u boot action row(s) "
		        "skipped as unreadable, first: %s", j->mac, st.malformed, st.bad_row);
	if (st.no_arch)
		pxh_log(p->h, PXH_LOG_WARNING, NULL, "sccm_sql: %s: %u deployment(s) skipped: "
		        "boot image architecture unknown (boot_images_sql)", j->mac, st.no_arch);
	res->malformed += st.malformed;
	res->status = SCCM_OK;
	snprintf(res->why, sizeof(res->why),
	         "%.120s: %zu deployment(s) of %u row(s); skipped: %u already run, %u without "
	         "boot image, %u not on this DP, %u other architecture, %u architecture "
	         "unknown, %u malformed",
	         res->dev.why[0] ? res->dev.why : "?", res->n, st.rows, st.already_run, st.no_boot_image,
	         st.not_on_dp, st.wrong_arch, st.no_arch, st.malformed);
out:
	res->malformed += res->dev.malformed;
	ss_table_free(&t);
	ss_table_free(&images);
}

/* ---- lookups (loop thread) ------------------------------------------------ */
static void lookup_done(void *ud)
{
	struct ss_job *j = ud;

	sccm_front_done(j->lk, &j->res);
	free(j);
}

static int lookup_start(void *ud, const struct sccm_key *k, struct sccm_lookup *lk)
{
	struct ss_plugin *p = ud;
	struct ss_job *j = calloc(1, sizeof(*j));
	int rc;

	if (!j)
		return -ENOMEM;
	j->p = p;
	j->lk = lk;
	memcpy(j->mac, k->mac, sizeof(j->mac));
	memcpy(j->guid, k->guid, sizeof(j->guid));
	j->arch = k->arch;
	rc = pxh_work_submit(p->h, ss_lookup_work, lookup_done, j);
	if (rc)
		free(j);
	return rc;
}

/* ---- report ------------------------------------------------------------------ */
static void report(void *ud, pxh_report *r)
{
	struct ss_plugin *p = ud;
	unsigned open, busy;
	unsigned long long connects, failures;

	sccm_front_report(p->front, r);
	ss_db_stats(p->db, &open, &busy, &connects, &failures);
	pxh_report_gauge(r, "connections_open", open);
	pxh_report_gauge(r, "connections_busy", busy);
	pxh_report_counter(r, "connects", connects);
	pxh_report_counter(r, "connect_failures", failures);
}

/* ---- life cycle ------------------------------------------------------------ */
static void fini(void *state)
{
	struct ss_plugin *p = state;

	if (!p)
		return;
	sccm_front_free(p->front);
	ss_db_free(p->db);
	sccm_content_free(p->ct);
	for (size_t i = 0; i < p->nservers; i++)
		free(p->servers[i]);
	free(p->servers);
	if (p->password)
		explicit_bzero(p->password, strlen(p->password));
	free(p->password);
	free(p->sql_lookup);
	free(p->sql_unknown);
	free(p->sql_action);
	free(p->sql_images);
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

static int init(pxh_host *h, void **state)
{
	struct ss_plugin *p = calloc(1, sizeof(*p));
	const struct ss_conf *cf = pxh_conf_struct(h, NULL);
	struct ss_db_conf dc;
	char why[400] = "";
	const char *pwfile;
	int rc = -EINVAL;

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	p->h = h;
	p->cf = cf;
	*state = p;
	if (!(p->sql_lookup = read_file(cf->lookup_sql, why, sizeof(why))) ||
	    !(p->sql_unknown = read_file(cf->unknown_sql, why, sizeof(why))) ||
	    !(p->sql_action = read_file(cf->boot_action_sql, why, sizeof(why))) ||
	    !(p->sql_images = read_file(cf->boot_images_sql, why, sizeof(why))))
		goto fail;
	p->nservers = cf->servers.n;
	if (!p->nservers) {
		snprintf(why, sizeof(why), "servers: at least one SQL Server address");
		goto fail;
	}
	p->servers = calloc(p->nservers, sizeof(*p->servers));
	for (size_t i = 0; p->servers && i < p->nservers; i++)
		p->servers[i] = strdup(cf->servers.v[i]);
	pwfile = cf->password_file;
	if (*pwfile) {
		p->password = read_file(pwfile, why, sizeof(why));
		if (!p->password)
			goto fail;
		p->password[strcspn(p->password, "\r\n")] = '\0';
	} else {
		p->password = strdup(cf->password);
	}
	snprintf(p->dp, sizeof(p->dp), "%s", *cf->dp_name ? cf->dp_name : pxh_host_fqdn(h));
	p->unknown = cf->unknown_computers;
	p->unknown_bios_x64 = cf->unknown_bios_arch == SS_ARCH_X64;
	p->bios_x64 = cf->bios_arch == SS_ARCH_X64;
	snprintf(p->site, sizeof(p->site), "%s", cf->site_code);
	if (p->unknown && !p->site[0]) {
		snprintf(why, sizeof(why), "site_code: the site's three-character code is needed "
		         "to pick its unknown-computer objects (%s)", pxh_conf_where(h, NULL, "site_code"));
		goto fail;
	}
	if (!p->servers || !p->password)
		goto nomem;
	for (size_t i = 0; i < p->nservers; i++)
		if (!p->servers[i])
			goto nomem;

	memset(&dc, 0, sizeof(dc));
	dc.servers = p->servers;
	dc.nservers = p->nservers;
	dc.user = cf->user;
	dc.password = p->password;
	dc.database = cf->database;
	dc.encrypt_require = cf->encryption == SS_ENCRYPT_REQUIRE;
	dc.login_timeout_s = secs(cf->login_timeout_ms);
	dc.query_timeout_s = secs(cf->query_timeout_ms);
	dc.pool_max = cf->pool_size;
	if ((rc = freetds_conf(h, dc.encrypt_require, why, sizeof(why))))
		goto fail;
	p->db = ss_db_new(&dc, h);
	if (!p->db) {
		snprintf(why, sizeof(why), "FreeTDS db-lib did not initialise");
		goto fail;
	}

	if ((rc = sccm_front_setup(h, "site database", "db_errors", lookup_start, p, report, &p->ct,
	                           &p->front, why, sizeof(why))))
		goto fail;
	/* the validation kit (pxehubctl sccm check), in-process only */
	if ((rc = pxh_register_http_route(h, ss_check_http, p, NULL))) {
		snprintf(why, sizeof(why), "registering the check route: %s", strerror(-rc));
		goto fail;
	}
	pxh_log(h, PXH_LOG_INFO, NULL,
	        "sccm_sql: %zu server(s), first %s, DP %s, deadline %.0f ms, fail policy %s",
	        p->nservers, p->servers[0], p->dp, sccm_front_deadline(p->front) * 1000,
	        sccm_front_fail_policy(p->front));
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
#define SS_BIND(m) PXH_CONF_BIND(struct ss_conf, m)

static const pxh_conf_key keys[] = {
	{.name = "servers", .type = PXH_CONF_LIST, .def = "",
	 .help = "SQL Server addresses tried in order: host, host:port or host\\instance", SS_BIND(servers)},
	{.name = "database", .type = PXH_CONF_STRING, .def = "",
	 .help = "site database (CM_XXX); empty = the login's default", SS_BIND(database)},
	{.name = "user", .type = PXH_CONF_STRING, .def = "", .flags = PXH_CONF_REQUIRED,
	 .help = "SQL login, or DOMAIN\\user for a Windows login (NTLMv2)", SS_BIND(user)},
	{.name = "password", .type = PXH_CONF_STRING, .def = "", .help = "its password", SS_BIND(password)},
	{.name = "password_file", .type = PXH_CONF_PATH, .def = "",
	 .help = "read the password from this file instead (first line)", SS_BIND(password_file)},
	{.name = "encryption", .type = PXH_CONF_ENUM, .def = "request",
	 .choices = "request|require", .help = "TLS to SQL Server: request or require", SS_BIND(encryption)},
	{.name = "login_timeout", .type = PXH_CONF_DURATION, .def = "3s", .min = 1000,
	 .max = 60000, .help = "per server address, whole seconds", SS_BIND(login_timeout_ms)},
	{.name = "query_timeout", .type = PXH_CONF_DURATION, .def = "5s", .min = 1000,
	 .max = 120000, .help = "per statement, whole seconds", SS_BIND(query_timeout_ms)},
	{.name = "pool_size", .type = PXH_CONF_INT, .def = "4", .min = 1, .max = 32,
	 .help = "connections kept open (each used by one thread at a time)", SS_BIND(pool_size)},
	{.name = "dp_name", .type = PXH_CONF_STRING, .def = "",
	 .help = "this distribution point's FQDN as the site knows it; empty = [server] fqdn", SS_BIND(dp_name)},
	{.name = "lookup_sql", .type = PXH_CONF_PATH, .def = SQL_DIR "sccm_lookup_device.sql",
	 .help = "device lookup (:mac, :guid, :dp)", SS_BIND(lookup_sql)},
	{.name = "unknown_sql", .type = PXH_CONF_PATH,
	 .def = SQL_DIR "sccm_unknown_computers.sql",
	 .help = "this site's unknown-computer objects (:site_code; ItemKey, Architecture)", SS_BIND(unknown_sql)},
	{.name = "boot_action_sql", .type = PXH_CONF_PATH,
	 .def = SQL_DIR "sccm_boot_action.sql",
	 .help = "deployments (:machine_key, :unknown_key, :guid, :mac, :dp, :item_key, :arch)", SS_BIND(boot_action_sql)},
	{.name = "boot_images_sql", .type = PXH_CONF_PATH, .def = SQL_DIR "sccm_boot_images.sql",
	 .help = "boot image architectures (PackageID, Architecture)", SS_BIND(boot_images_sql)},
	{.name = "site_code", .type = PXH_CONF_STRING, .def = "",
	 .help = "this site's code (PS1): selects its unknown-computer objects (:site_code)", SS_BIND(site_code)},
	{.name = "duplicate_ids", .type = PXH_CONF_LIST, .def = "",
	 .help = "the site's duplicate hardware identifiers (MACs, SMBIOS GUIDs): never matched on", SS_BIND(duplicate_ids)},
	{.name = "bios_arch", .type = PXH_CONF_ENUM, .def = "x86", .choices = "x86|x64",
	 .help = "what BIOS clients are (DHCP cannot tell): x86 boots only x86 images", SS_BIND(bios_arch)},
	{.name = "unknown_computers", .type = PXH_CONF_BOOL, .def = "yes",
	 .help = "machines not in the database use the unknown-computer objects", SS_BIND(unknown_computers)},
	{.name = "unknown_bios_arch", .type = PXH_CONF_ENUM, .def = "x86",
	 .choices = "x86|x64", .help = "unknown object for BIOS clients (UEFI x64 is x64)", SS_BIND(unknown_bios_arch)},
	SCCM_FRONT_KEYS,
	SCCM_CONTENT_KEYS,
	PXH_CONF_END,
};
#undef SS_BIND

PXH_PLUGIN(.name = "sccm_sql", .version = "1.0", .flags = PXH_PLUGIN_THREAD_SAFE,
           .keys = keys, .conf_size = sizeof(struct ss_conf), .init = init, .fini = fini);
