/* referral: send clients on to other boot infrastructure: another TFTP/PXE
 * server in the DHCP phase, an upstream boot.ipxe in the iPXE phase, or a
 * web service that answers for each client; [referral.NAME] rules pick who
 * goes where, health checks and failover pick the upstream. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referral.h"

void ref_emit(struct ref *r, const pxh_client *c, int sev, const char *action,
              const char *file, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pxh_event_emitf(r->h, sev, c, action, file, "%s", msg);
}

/* ---- status ------------------------------------------------------------------ */
static void report(void *ud, pxh_report *rp)
{
	struct ref *r = ud;
	size_t down = 0;

	for (size_t i = 0; i < r->n_ups; i++)
		down += r->ups[i].down;
	pxh_report_counter(rp, "referred_dhcp", r->referred_dhcp);
	pxh_report_counter(rp, "referred_ipxe", r->referred_ipxe);
	pxh_report_counter(rp, "service_asks", r->service_asks);
	pxh_report_counter(rp, "service_answers", r->service_answers);
	pxh_report_counter(rp, "service_errors", r->service_errors);
	pxh_report_counter(rp, "service_late", r->service_late);
	pxh_report_counter(rp, "failovers", r->failovers);
	pxh_report_counter(rp, "all_down", r->all_down);
	pxh_report_counter(rp, "all_down_retries", r->all_down_retries);
	pxh_report_counter(rp, "health_checks", r->probes);
	pxh_report_gauge(rp, "upstreams", (double)r->n_ups);
	pxh_report_gauge(rp, "upstreams_down", (double)down);
	pxh_report_gauge(rp, "asks_in_flight", (double)r->asks_in_flight);
}

/* ---- setup ------------------------------------------------------------------- */
static int conf_error(struct ref *r, const char *sub, const char *key,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int conf_error(struct ref *r, const char *sub, const char *key,
                      const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pxh_log(r->h, PXH_LOG_ERR, NULL, "%s: [referral.%s] %s: %s",
	        pxh_conf_where(r->h, sub, key), sub, key, msg);
	return -EINVAL;
}

static int load_urls(struct ref *r, const char *sub, const char *key,
                     const pxh_conf_list *urls, struct upstream **v, size_t *n)
{
	size_t cnt = urls->n;

	if (cnt > REF_MAX_PER_RULE)
		return conf_error(r, sub, key, "at most %d URLs", REF_MAX_PER_RULE);
	for (size_t i = 0; i < cnt; i++) {
		const char *u = urls->v[i];

		if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
			return conf_error(r, sub, key, "'%s' is not an http:// or https:// URL", u);
		if (strlen(u) >= REF_URL_MAX)
			return conf_error(r, sub, key, "URL longer than %d bytes", REF_URL_MAX - 1);
		if (!(v[i] = ups_get(r, u)))
			return conf_error(r, sub, key, "more than %d distinct URLs in all rules",
			                  REF_MAX_UPSTREAMS);
	}
	*n = cnt;
	return 0;
}

static int load_rule(struct ref *r, struct rule *ru, const char *name)
{
	const struct ref_rule_conf *rcf = pxh_conf_struct(r->h, name);
	struct in_addr ia;
	int rc;

	ru->name = name;
	ru->match = &rcf->match;
	/* phase "dhcp|ipxe|both" is 0..2: the bits REF_DHCP, REF_IPXE, both */
	ru->phase = (enum ref_phase)(rcf->phase + 1);
	ru->next_server = rcf->next_server;
	ru->loader = rcf->loader;
	if (*ru->next_server && inet_pton(AF_INET, ru->next_server, &ia) != 1)
		return conf_error(r, name, "next_server", "'%s' is not an IPv4 address",
		                  ru->next_server);
	if ((rc = load_urls(r, name, "script_url", &rcf->script_url, ru->scripts,
	                    &ru->n_scripts)) ||
	    (rc = load_urls(r, name, "webservice", &rcf->webservice, ru->services,
	                    &ru->n_services)))
		return rc;
	if (!ru->n_scripts && *ru->next_server) {
		/* the other server is a pxehub: iPXE goes to its boot.ipxe */
		char url[64];

		snprintf(url, sizeof(url), "http://%s/boot.ipxe", ru->next_server);
		if (!(ru->scripts[0] = ups_get(r, url)))
			return conf_error(r, name, "next_server", "more than %d distinct URLs in all rules",
			                  REF_MAX_UPSTREAMS);
		ru->n_scripts = 1;
	}
	if (!ru->n_scripts && !ru->n_services)
		return conf_error(r, name, "match",
		                  "the rule sends clients nowhere: set next_server, script_url or webservice");
	return 0;
}

static void ref_fini(void *state)
{
	struct ref *r = state;

	if (!r)
		return;
	ups_health_stop(r);
	rh_free(r->http);
	free(r);
	curl_global_cleanup();
}

static int ref_init(pxh_host *h, void **state)
{
	const struct ref_conf *cf = pxh_conf_struct(h, NULL);
	struct ref *r;
	size_t n = pxh_conf_sub_count(h);
	struct rh_opts o;
	int rc = 0;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;
	r = calloc(1, sizeof(*r));
	if (!r) {
		curl_global_cleanup();
		return -ENOMEM;
	}
	r->h = h;
	r->retry_after = cf->retry_after_s;
	r->on_all_down = !strcmp(cf->on_all_down, "local")    ? PXH_LOCAL
	                 : !strcmp(cf->on_all_down, "ignore") ? PXH_IGNORE
	                                                      : PXH_NEXT;
	if (n > REF_MAX_RULES) {
		pxh_log(h, PXH_LOG_ERR, NULL, "at most %d [referral.NAME] rules", REF_MAX_RULES);
		rc = -EINVAL;
		goto out;
	}
	if (!n)
		pxh_log(h, PXH_LOG_WARNING, NULL, "no [referral.NAME] rule: no client is referred");
	for (size_t i = 0; i < n && !rc; i++)
		rc = load_rule(r, &r->rules[r->n_rules++], pxh_conf_sub_name(h, i));
	if (rc)
		goto out;
	o.ca_file = cf->ca_file;
	o.timeout_ms = cf->timeout_ms;
	o.connect_timeout_ms = cf->connect_timeout_ms;
	o.max_body = cf->max_answer;
	o.max_active = cf->max_connections;
	if (o.connect_timeout_ms > o.timeout_ms)
		o.connect_timeout_ms = o.timeout_ms;
	r->http = rh_new(h, &o);
	if (!r->http) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = pxh_register_boot_decision(h, ref_decide_dhcp, r, NULL)) ||
	    (rc = pxh_register_boot_script(h, ref_decide_ipxe, r, NULL)) ||
	    (rc = pxh_register_report(h, report, r, NULL)))
		goto out;
	ups_health_start(r, cf->health_interval_s);
	pxh_log(h, PXH_LOG_INFO, NULL, "%zu rule(s), %zu upstream(s)", r->n_rules, r->n_ups);
	*state = r;
	return 0;
out:
	ref_fini(r);
	return rc;
}

#define REF_BIND(m) PXH_CONF_BIND(struct ref_conf, m)
#define RULE_BIND(m) PXH_CONF_BIND(struct ref_rule_conf, m)
static const pxh_conf_key ref_keys[] = {
	{"timeout", PXH_CONF_DURATION, "1500ms", 0, 50, 60000, NULL,
	 "time a web service or health check has to answer; keep it under [boot] decision_timeout", REF_BIND(timeout_ms)},
	{"connect_timeout", PXH_CONF_DURATION, "500ms", 0, 10, 60000, NULL,
	 "time to connect (TCP and TLS) to an upstream; a dead one fails over this fast", REF_BIND(connect_timeout_ms)},
	{"retry_after", PXH_CONF_DURATION, "30s", 0, 100, 86400000, NULL,
	 "a failed upstream is skipped this long unless a health check finds it back sooner", REF_BIND(retry_after_s)},
	{"health_interval", PXH_CONF_DURATION, "5s", 0, 0, 3600000, NULL,
	 "how often every upstream URL is checked with a GET; 0 = no checks (retry_after only)", REF_BIND(health_interval_s)},
	{"on_all_down", PXH_CONF_ENUM, "next", 0, 0, 0, "next|local|ignore",
	 "verdict when every upstream of the matching rule is down (next: other plugins, then [boot] default_action)", REF_BIND(on_all_down)},
	{"ca_file", PXH_CONF_PATH, "", PXH_CONF_MUST_EXIST, 0, 0, NULL,
	 "PEM CA certificates to verify https upstreams with; empty = the system's", REF_BIND(ca_file)},
	{"max_connections", PXH_CONF_INT, "16", 0, 1, 1024, NULL,
	 "requests (and so connections) to upstreams at once; further ones wait in a queue, connections are reused", REF_BIND(max_connections)},
	{"max_answer", PXH_CONF_INT, "1048576", 0, 1024, 16777216, NULL,
	 "largest web-service answer accepted (bytes)", REF_BIND(max_answer)},
	PXH_CONF_END,
};

static const pxh_conf_key ref_rule_keys[] = {
	{"match", PXH_CONF_LIST, NULL, PXH_CONF_REQUIRED, 0, 0, NULL,
	 "clients the rule takes, in [access] forms: all, MAC prefix, subnet (relay, client or interface address), arch name, if:IFACE", RULE_BIND(match)},
	{"phase", PXH_CONF_ENUM, "both", 0, 0, 0, "dhcp|ipxe|both",
	 "which decision the rule answers", RULE_BIND(phase)},
	{"next_server", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "DHCP phase: IPv4 address of the TFTP/PXE server firmware is sent to (iPXE: http://NEXT_SERVER/boot.ipxe unless script_url is set)", RULE_BIND(next_server)},
	{"loader", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "DHCP phase: boot file on next_server; empty = the [boot] loader for the client's architecture", RULE_BIND(loader)},
	{"script_url", PXH_CONF_LIST, "", 0, 0, 0, NULL,
	 "upstream boot.ipxe URLs in failover order: iPXE's DHCP gets the first healthy one, /boot.ipxe chains to them with the client's facts", RULE_BIND(script_url)},
	{"webservice", PXH_CONF_LIST, "", 0, 0, 0, NULL,
	 "web service URLs in failover order: the client's facts are POSTed as JSON, the answer (answer format) is served", RULE_BIND(webservice)},
	PXH_CONF_END,
};

PXH_PLUGIN(.name = "referral", .version = "1.0", .keys = ref_keys,
           .sub_keys = ref_rule_keys, .conf_size = sizeof(struct ref_conf),
           .sub_conf_size = sizeof(struct ref_rule_conf), .init = ref_init, .fini = ref_fini);
