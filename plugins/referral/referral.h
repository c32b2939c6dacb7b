/* referral: what the plugin's files share (rules, upstreams, HTTP client). */
#ifndef PXEHUB_REFERRAL_H
#define PXEHUB_REFERRAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pxehub/plugin.h>

#define REF_MAX_RULES 64
#define REF_MAX_UPSTREAMS 64   /* distinct URLs over all rules */
#define REF_MAX_PER_RULE 8     /* URLs of one kind in one rule */
#define REF_URL_MAX 512

/* ---- HTTP client on the loop (ref_http.c): libcurl multi ----------------- */
struct rh;      /* the client */
struct rh_call; /* one request in flight */

struct rh_result {
	long status;        /* HTTP status, 0 when no answer */
	const char *body;   /* NUL terminated, "" when none */
	size_t body_len;
	const char *error;  /* transport error text, or NULL */
	bool timed_out;     /* the error is the timeout */
	bool not_sent;      /* the service was never asked (waited too long
	                     * for a connection): not the service's fault */
	double seconds;
};

typedef void (*rh_done_fn)(void *ud, const struct rh_result *r);

struct rh_opts {
	const char *ca_file; /* NULL or "" = the system's CA store */
	long timeout_ms;     /* whole transfer */
	long connect_timeout_ms;
	size_t max_body;
	size_t max_active; /* requests in flight at once; more wait in a queue */
};

struct rh *rh_new(pxh_host *h, const struct rh_opts *o);
void rh_free(struct rh *c); /* drops calls in flight, no callbacks */
/* POST BODY (JSON) when BODY is non-NULL, else GET.  DONE runs once, on
 * the loop thread, never from inside rh_request. */
struct rh_call *rh_request(struct rh *c, const char *url, const char *body,
                           rh_done_fn done, void *ud);
void rh_cancel(struct rh_call *call); /* DONE is then never called */
size_t rh_in_flight(const struct rh *c);

/* ---- upstreams and their health (ref_upstream.c) ------------------------- */
struct ref;

struct upstream {
	struct ref *r;
	char url[REF_URL_MAX];
	bool down;
	double down_until;   /* loop time: traffic tries it again after this */
	bool probing;        /* a health check is in flight */
	struct rh_call *probe;
	uint64_t failures;   /* all time */
	char last_error[160];
};

/* Usable now: up, or down for longer than retry_after. */
bool ups_usable(struct ref *r, const struct upstream *u);
void ups_failed(struct ref *r, struct upstream *u, const char *why);
void ups_ok(struct ref *r, struct upstream *u);
/* The upstream for URL, added when new; NULL when the table is full. */
struct upstream *ups_get(struct ref *r, const char *url);
void ups_health_start(struct ref *r, double interval);
void ups_health_stop(struct ref *r);

/* ---- rules ----------------------------------------------------------------- */
enum ref_phase { REF_DHCP = 1, REF_IPXE = 2, REF_BOTH = 3 };

/* [referral] and each [referral.NAME], filled by the core from the key
 * tables (referral.c) */
struct ref_conf {
	long timeout_ms, connect_timeout_ms;
	double retry_after_s, health_interval_s;
	const char *on_all_down;
	const char *ca_file;
	size_t max_connections, max_answer;
};
struct ref_rule_conf {
	pxh_conf_list match;
	int phase; /* index in "dhcp|ipxe|both" */
	const char *next_server, *loader;
	pxh_conf_list script_url, webservice;
};

struct rule {
	const char *name;
	const pxh_conf_list *match; /* in the core's struct of [referral.NAME] */
	enum ref_phase phase;
	const char *next_server; /* "" when unset */
	const char *loader;      /* "" when unset */
	/* boot.ipxe upstreams: script_url, or http://NEXT_SERVER/boot.ipxe */
	struct upstream *scripts[REF_MAX_PER_RULE];
	size_t n_scripts;
	struct upstream *services[REF_MAX_PER_RULE];
	size_t n_services;
};

struct ref {
	pxh_host *h;
	struct rh *http;
	struct rule rules[REF_MAX_RULES];
	size_t n_rules;
	struct upstream ups[REF_MAX_UPSTREAMS];
	size_t n_ups;
	double retry_after;
	enum pxh_verdict on_all_down;
	pxh_timer *health;
	/* figures for the report hook */
	uint64_t referred_dhcp, referred_ipxe, service_asks, service_answers,
		service_errors, service_late, failovers, all_down, probes,
		all_down_retries;
	size_t asks_in_flight;
};

/* The event every notable thing emits (kind PXH_EV_PLUGIN); C may be NULL. */
void ref_emit(struct ref *r, const pxh_client *c, int sev, const char *action,
              const char *file, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* ---- hooks (ref_rules.c, ref_service.c) ------------------------------------ */
struct rule *ref_match(struct ref *r, const pxh_client *c, enum ref_phase ph);
/* BASE plus the client's facts as /boot.ipxe takes them; -ENAMETOOLONG. */
int ref_facts_url(const char *base, const pxh_client *c, char *buf, size_t len);
enum pxh_verdict ref_decide_dhcp(void *ud, const pxh_client *c, pxh_answer *a,
                                 pxh_request *req);
enum pxh_verdict ref_decide_ipxe(void *ud, const pxh_client *c, pxh_answer *a,
                                 pxh_request *req);
/* Every upstream of the list is down: the on_all_down verdict, event. */
enum pxh_verdict ref_all_down(struct ref *r, const struct rule *ru,
                              const pxh_client *c, const char *what,
                              const char *last);
/* "URL: error" of the last upstream of V with an error, in BUF ("" none). */
const char *ref_last_error(struct upstream *const *v, size_t n, char *buf,
                           size_t len);
/* Web-service mode: POST the facts, serve the answer (deferred). */
enum pxh_verdict ref_ask_service(struct ref *r, struct rule *ru,
                                 enum pxh_phase phase, const pxh_client *c,
                                 pxh_request *req);

#endif
