/* pxehubctl sccm check: the Configuration Manager validation kit.  Loads
 * the plugins as pxehubd would (same config, same user), asks sccm_sql's
 * in-process check route to run one lookup for a MAC/UUID against the
 * site, prints what the site answered and how each answer compares with
 * what the plugin expects, and can save a sanitized fixture that the TDS
 * stand-in replays (tests/tds/tds_server.py --fixture); with --mp the same
 * for sccm_mp_http and the MP stand-in (tests/mp/mp_server.py --fixture). */
#include <ev.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "headless.h"
#include "conf.h"
#include "plugins.h"
#include "server.h"

struct sccm_opts {
	const char *mac, *uuid, *arch, *save;
	int json, no_helptext, verbose, mp;
};

static void usage(void)
{
	fprintf(stderr,
	        "usage: pxehubctl [-c FILE] sccm check --mac MAC [--uuid UUID] [--arch ARCH]\n"
	        "       [--save FILE] [--json] [--no-helptext] [-v]\n"
	        "       pxehubctl [-c FILE] sccm check --mp --mac MAC [--uuid UUID] [--arch ARCH]\n"
	        "       [--save FILE] [--json] [-v]\n"
	        "Runs one sccm_sql lookup for MAC (and UUID) against the site database with\n"
	        "plugins.d/sccm_sql.conf, shows each statement and result, checks them\n"
	        "against what the plugin expects (exit 1 when one fails) and with --save\n"
	        "writes a sanitized fixture the TDS stand-in replays.  ARCH: efi-x64\n"
	        "(default), efi-ia32, bios.  --mp: sccm_mp_http instead: the site facts, each\n"
	        "request (header, payload) and answer, one verdict per exchange, the decision;\n"
	        "--save writes a sanitized fixture the MP stand-in replays.\n"
	        "Nothing is sent to any client.\n");
}

static int parse(int argc, char **argv, struct sccm_opts *o)
{
	static const struct option opts[] = {
		{"mac", required_argument, NULL, 'm'},
		{"uuid", required_argument, NULL, 'u'},
		{"arch", required_argument, NULL, 'a'},
		{"save", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"no-helptext", no_argument, NULL, 'n'},
		{"verbose", no_argument, NULL, 'v'},
		{"mp", no_argument, NULL, 'M'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	memset(o, 0, sizeof(*o));
	if (argc < 2 || strcmp(argv[1], "check"))
		return -1;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "m:u:a:s:jnv", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': o->mac = optarg; break;
		case 'u': o->uuid = optarg; break;
		case 'a': o->arch = optarg; break;
		case 's': o->save = optarg; break;
		case 'j': o->json = 1; break;
		case 'n': o->no_helptext = 1; break;
		case 'v': o->verbose = 1; break;
		case 'M': o->mp = 1; break;
		default: return -1;
		}
	}
	return o->mac && optind == argc ? 0 : -1;
}

/* %-encode V into OUT for the query string */
static void enc(char *out, size_t len, const char *v)
{
	size_t o = 0;

	for (; *v && o + 4 < len; v++) {
		unsigned char c = (unsigned char)*v;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == ':' || c == '.')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X", c);
	}
	out[o] = '\0';
}

static void print_table(json_t *res)
{
	json_t *cols = json_object_get(res, "columns"), *rows = json_object_get(res, "rows");
	size_t i, k;
	json_t *c, *row, *v;

	printf("    columns:");
	json_array_foreach(cols, i, c)
		printf("%s%s", i ? " | " : " ", *json_string_value(json_object_get(c, "name"))
		                                    ? json_string_value(json_object_get(c, "name"))
		                                    : "(unnamed)");
	printf("\n");
	json_array_foreach(rows, i, row) {
		if (i == 20) {
			printf("    ... %zu row(s) in all\n", json_array_size(rows));
			break;
		}
		printf("    row %zu:", i);
		json_array_foreach(row, k, v)
			printf("%s%s", k ? " | " : " ", json_is_null(v) ? "NULL" : json_string_value(v));
		printf("\n");
	}
}

static void print_report(json_t *o, int verbose)
{
	size_t i;
	json_t *x;
	json_t *client = json_object_get(o, "client"), *res = json_object_get(o, "result");

	printf("sccm_sql check: DP %s, site %s\n", json_string_value(json_object_get(o, "dp_name")),
	       json_string_value(json_object_get(o, "site_code")));
	printf("client: mac=%s uuid=%s arch=%s\n",
	       json_string_value(json_object_get(client, "mac")),
	       *json_string_value(json_object_get(client, "uuid"))
	               ? json_string_value(json_object_get(client, "uuid")) : "-",
	       json_string_value(json_object_get(client, "arch")));
	json_array_foreach(json_object_get(o, "procedures"), i, x) {
		const char *text = json_string_value(json_object_get(x, "text"));
		printf("\nprocedure %s: ", json_string_value(json_object_get(x, "name")));
		if (!text)
			printf("text not readable (%s): VIEW DEFINITION is not needed by the plugin\n",
			       json_string_value(json_object_get(x, "error")));
		else if (verbose)
			printf("\n%s\n", text);
		else
			printf("%zu characters (-v shows them)\n", strlen(text));
	}
	json_array_foreach(json_object_get(o, "queries"), i, x) {
		const char *sql = json_string_value(json_object_get(x, "sql"));
		if (!strncmp(sql, "EXEC sp_helptext", 16))
			continue;
		printf("\nstatement:");
		for (const char *l = sql; *l;) { /* without the file's comment lines */
			size_t n = strcspn(l, "\n");
			const char *t = l + strspn(l, " \t");
			if (n && strncmp(t, "--", 2))
				printf(" %.*s", (int)n, l);
			l += n + (l[n] == '\n');
		}
		printf("\n");
		if (json_object_get(x, "error"))
			printf("    refused: %s\n", json_string_value(json_object_get(x, "error")));
		else
			print_table(json_object_get(x, "result"));
	}
	printf("\nchecks:\n");
	json_array_foreach(json_object_get(o, "checks"), i, x) {
		const char *lvl = json_string_value(json_object_get(x, "level"));
		printf("  %-4s %-20s %s\n", !strcmp(lvl, "pass") ? "ok" : !strcmp(lvl, "warn") ? "WARN" : "FAIL",
		       json_string_value(json_object_get(x, "name")),
		       json_string_value(json_object_get(x, "detail")));
	}
	printf("\ndecision: %s: %s\n", json_string_value(json_object_get(res, "status")),
	       json_string_value(json_object_get(res, "why")));
	json_array_foreach(json_object_get(res, "deployments"), i, x)
		printf("  d%zu %s task sequence %s boot image %s (%s) %s%s\n", i,
		       json_string_value(json_object_get(x, "offer_id")),
		       json_string_value(json_object_get(x, "pkg_id")),
		       json_string_value(json_object_get(x, "boot_image")),
		       json_string_value(json_object_get(x, "arch")),
		       json_string_value(json_object_get(x, "image_path")),
		       json_is_true(json_object_get(x, "required")) ? " required" : "");
	printf("\n%s\n", json_is_true(json_object_get(o, "ok"))
	                       ? "result: every check passed"
	                       : "result: FAILED: the plugin would not work with this site as it is "
	                         "(see docs/plugins/sccm_sql.md, \"Validating against your site\")");
}

/* The fixture goes to a file opened before the plugins load: pxehubctl
 * then runs as [server] user, who may not write where the admin asked. */
static int save(FILE *f, const char *path, json_t *fixture)
{
	if (json_dumpf(fixture, f, JSON_INDENT(1) | JSON_SORT_KEYS) || fputc('\n', f) == EOF ||
	    fflush(f)) {
		fprintf(stderr, "pxehubctl: cannot write %s: %m\n", path);
		return -1;
	}
	return 0;
}

/* Call ROUTE's handler in-process with PATH ("?query" allowed); the JSON
 * it answers, or NULL after printing why. */
static json_t *route_call(struct pxh_hook *k, const char *path)
{
	pxh_http_request rq = {.struct_size = sizeof(rq), .method = "GET", .peer = "pxehubctl",
	                       .authenticated = 1};
	pxh_http_response rs = {.struct_size = sizeof(rs), .status = 200};
	char buf[512];
	json_t *o;
	json_error_t jerr;

	snprintf(buf, sizeof(buf), "%s", path);
	rq.path = buf;
	rq.query = "";
	if (strchr(buf, '?')) {
		rq.query = strchr(buf, '?') + 1;
		*strchr(buf, '?') = '\0';
	}
	if (k->fn.http(k->ud, &rq, &rs) < 0 || !rs.body) {
		fprintf(stderr, "pxehubctl: the check did not run (out of memory)\n");
		free(rs.body);
		return NULL;
	}
	o = json_loads(rs.body, 0, &jerr);
	if (!o || rs.status != 200) {
		json_t *e = o ? json_object_get(o, "error") : NULL;
		fprintf(stderr, "pxehubctl: %s\n", e ? json_string_value(e) : rs.body);
		json_decref(o);
		o = NULL;
	}
	free(rs.body);
	return o;
}

/* --mp: the management point plugin's exchanges for one decision. */
static int check_mp(struct pxh_server *srv, const struct sccm_opts *o, FILE *fix)
{
	struct pxh_hook *k = pxh_http_route_for(srv, "sccm_mp_http");
	struct pxh_sync_decision d;
	pxh_client c;
	json_t *t, *on, *x;
	size_t i;
	int rc;
	char path[300], m[64], u[80], a[40];

	if (!k) {
		fprintf(stderr, "pxehubctl: sccm_mp_http is not enabled\n");
		return CTL_FAIL;
	}
	if (pxh_client_synth(&c, PXH_PHASE_IPXE, o->mac, o->arch ? o->arch : "efi-x64")) {
		fprintf(stderr, "pxehubctl: bad --mac or --arch\n");
		return CTL_USAGE;
	}
	if (o->uuid)
		for (i = 0; i < 36 && o->uuid[i]; i++)
			c.uuid[i] = o->uuid[i];
	if (!(on = route_call(k, "/trace?on=1")))
		return CTL_FAIL;
	json_decref(on);
	if (pxh_decide_sync(srv, &c, &d)) {
		fprintf(stderr, "pxehubctl: the decision did not finish\n");
		return CTL_FAIL;
	}
	enc(m, sizeof(m), c.mac);
	enc(u, sizeof(u), c.uuid);
	enc(a, sizeof(a), o->arch ? o->arch : "efi-x64");
	snprintf(path, sizeof(path), "/trace?mac=%s&uuid=%s&arch=%s", m, u, a);
	if (!(t = route_call(k, path))) {
		pxh_sync_decision_clear(&d);
		return CTL_FAIL;
	}
	if (o->json) {
		json_object_set_new(t, "decision", json_pack("{s:s, s:s, s:s}", "verdict",
		                                             pxh_verdict_name(d.verdict), "plugin",
		                                             d.plugin, "why", d.why));
		json_dumpf(t, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
		printf("\n");
	} else {
		printf("sccm_mp_http check: client mac=%s uuid=%s arch=%s\n", c.mac,
		       c.uuid[0] ? c.uuid : "-", c.arch_name);
		json_array_foreach(json_object_get(t, "exchanges"), i, x) {
			printf("\n%s request (%s):\n", json_string_value(json_object_get(x, "kind")),
			       json_string_value(json_object_get(x, "endpoint")));
			if (o->verbose)
				printf("  header: %s\n", json_string_value(json_object_get(x, "header")));
			printf("  payload: %s\n", json_string_value(json_object_get(x, "payload")));
			printf("  HTTP status: %lld%s%s\n",
			       (long long)json_integer_value(json_object_get(x, "status")),
			       json_object_get(x, "error") ? ", " : "",
			       json_object_get(x, "error") ? json_string_value(json_object_get(x, "error"))
			                                   : "");
			if (json_object_get(x, "reply"))
				printf("  reply: %s\n", json_string_value(json_object_get(x, "reply")));
		}
		printf("\nchecks:\n");
		json_array_foreach(json_object_get(t, "checks"), i, x) {
			const char *lvl = json_string_value(json_object_get(x, "level"));
			printf("  %-4s %-12s %s\n",
			       !strcmp(lvl, "pass") ? "ok" : !strcmp(lvl, "warn") ? "WARN" : "FAIL",
			       json_string_value(json_object_get(x, "name")),
			       json_string_value(json_object_get(x, "detail")));
		}
		printf("\ndecision: %s by %s: %s\n", pxh_verdict_name(d.verdict), d.plugin,
		       d.why[0] ? d.why : d.answer.reason);
		printf("\n%s\n", json_is_true(json_object_get(t, "ok"))
		                       ? "result: every check passed"
		                       : "result: FAILED (see docs/plugins/sccm_mp_http.md)");
	}
	rc = json_is_true(json_object_get(t, "ok")) ? CTL_OK : CTL_FAIL;
	if (fix && save(fix, o->save, json_object_get(t, "fixture")))
		rc = CTL_FAIL;
	else if (fix && !o->json)
		printf("fixture (sanitized) written to %s\n", o->save);
	json_decref(t);
	pxh_sync_decision_clear(&d);
	return rc;
}

int ctl_sccm(const char *conf_path, int argc, char **argv)
{
	struct pxh_conf_errors errs = {0};
	struct pxh_server srv;
	struct sccm_opts o;
	struct pxh_conf *conf;
	struct pxh_hook *k;
	char query[400], m[64], u[80], a[40];
	json_t *out = NULL;
	FILE *fix = NULL;
	int rc = CTL_FAIL;

	if (parse(argc, argv, &o)) {
		usage();
		return CTL_USAGE;
	}
	conf = ctl_conf_load_strict(conf_path, &errs);
	if (!conf)
		goto out;
	if (o.save && !(fix = fopen(o.save, "we"))) {
		fprintf(stderr, "pxehubctl: cannot write %s: %m\n", o.save);
		pxh_conf_free(conf);
		goto out;
	}
	if (ctl_headless(&srv, conf, o.verbose, &errs))
		goto out;
	if (o.mp) {
		rc = check_mp(&srv, &o, fix);
		fflush(stdout);
		pxh_headless_stop(&srv, 10);
		goto out;
	}
	k = pxh_http_route_for(&srv, "sccm_sql");
	if (!k) {
		fprintf(stderr, "pxehubctl: sccm_sql is not enabled in %s (plugins.d/sccm_sql.conf)\n",
		        conf_path);
		pxh_headless_stop(&srv, 0);
		goto out;
	}
	enc(m, sizeof(m), o.mac);
	enc(u, sizeof(u), o.uuid ? o.uuid : "");
	enc(a, sizeof(a), o.arch ? o.arch : "efi-x64");
	snprintf(query, sizeof(query), "/check?mac=%s&uuid=%s&arch=%s&helptext=%d", m, u, a,
	         !o.no_helptext);
	if ((out = route_call(k, query))) {
		if (o.json)
			json_dumpf(out, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
		else
			print_report(out, o.verbose);
		printf("\n");
		rc = json_is_true(json_object_get(out, "ok")) ? CTL_OK : CTL_FAIL;
		if (fix && save(fix, o.save, json_object_get(out, "fixture")))
			rc = CTL_FAIL;
		else if (o.save && !o.json)
			printf("fixture (sanitized) written to %s\n", o.save);
	}
	json_decref(out);
	fflush(stdout);
	pxh_headless_stop(&srv, 10);
out:
	if (fix)
		fclose(fix);
	pxh_conf_errors_free(&errs);
	return rc;
}
