/* Status API, recent clients, reports, /metrics and the status page. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "http.h"
#include "clients.h"
#include "counters.h"
#include "events.h"
#include "series.h"
#include "server.h"

#define JSON_TYPE "application/json"
#define PROM_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- report rate limit: a token bucket per source address ------------- */
#define RATE_SLOTS 256

struct rate_slot {
	char peer[64];
	double tokens, at;
};

static struct rate_slot rate_table[RATE_SLOTS];

bool pxh_http_rate_ok(const char *peer, double now, double rate)
{
	unsigned hsh = 5381;
	struct rate_slot *r;

	for (const char *p = peer; *p; p++)
		hsh = hsh * 33 + (unsigned char)*p;
	/* a collision just shares a bucket: the limit stays a limit */
	r = &rate_table[hsh % RATE_SLOTS];
	if (strcmp(r->peer, peer) != 0) {
		pxh_http_copy(r->peer, sizeof(r->peer), peer);
		r->tokens = 2 * rate;
		r->at = now;
	}
	r->tokens += (now - r->at) * rate;
	if (r->tokens > 2 * rate)
		r->tokens = 2 * rate;
	r->at = now;
	if (r->tokens < 1)
		return false;
	r->tokens -= 1;
	return true;
}

/* ---- POST /api/v1/report ---------------------------------------------- */
static void json_error(struct pxh_http_resp *rs, int status, const char *why)
{
	json_t *o = json_pack("{s:s}", "error", why);
	char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (t) {
		size_t n = strlen(t);

		t[n] = '\0';
		pxh_http_resp_take(rs, status, JSON_TYPE, t, n);
	} else {
		pxh_http_resp_error(rs, status, why);
	}
}

static const char *opt_string(json_t *o, const char *key, size_t max,
                              const char **why)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return NULL;
	if (!json_is_string(v) || json_string_length(v) > max) {
		*why = key;
		return NULL;
	}
	return json_string_value(v);
}

/*
 * A report: {"mac": "...", "uuid": "...", "status": "started", "step":
 * "apply image", "message": "...", "progress": 42}.  mac or uuid and
 * status are required; other members are kept out of the event.
 */
int pxh_http_report_parse(const char *body, size_t len, pxh_event *ev,
                          pxh_client *who, char *why, size_t why_len)
{
	const char *bad = NULL, *mac, *uuid, *status, *step, *msg;
	json_error_t jerr;
	json_t *o, *prog;

	memset(who, 0, sizeof(*who));
	who->struct_size = sizeof(*who);
	pxh_event_init(ev, PXH_EV_REPORT, PXH_LOG_INFO, who);
	o = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		snprintf(why, why_len, "invalid JSON: %.150s", jerr.text);
		return 400;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		snprintf(why, why_len, "a JSON object is expected");
		return 400;
	}
	mac = opt_string(o, "mac", 32, &bad);
	uuid = opt_string(o, "uuid", 40, &bad);
	status = opt_string(o, "status", 15, &bad);
	step = opt_string(o, "step", 200, &bad);
	msg = opt_string(o, "message", 255, &bad);
	prog = json_object_get(o, "progress");
	if (prog && (!json_is_integer(prog) || json_integer_value(prog) < 0 ||
	             json_integer_value(prog) > 100))
		bad = "progress";
	if (!bad && mac && pxh_http_mac_normalise(mac, who->mac) < 0)
		bad = "mac";
	if (!bad && uuid) {
		char form[64];

		snprintf(form, sizeof(form), "uuid=%s", uuid);
		pxh_http_facts(form, strlen(form), who);
		if (!who->uuid[0])
			bad = "uuid";
	}
	if (!bad && !mac && !uuid)
		bad = "mac or uuid";
	if (!bad && (!status || !*status))
		bad = "status";
	if (bad) {
		snprintf(why, why_len, "missing or invalid member: %s", bad);
		json_decref(o);
		return 422;
	}
	who->phase = PXH_PHASE_HTTP;
	pxh_http_copy(ev->action, sizeof(ev->action), status);
	pxh_http_copy(ev->file, sizeof(ev->file), step ? step : "");
	pxh_http_copy(ev->message, sizeof(ev->message), msg ? msg : "");
	if (prog)
		ev->bytes = (uint64_t)json_integer_value(prog);
	json_decref(o);
	return 0;
}

static int handle_report(struct pxh_http_ctx *x, struct pxh_http_resp *rs)
{
	const struct pxh_http_req *rq = x->rq;
	const char *ct = pxh_http_req_header(rq, "Content-Type");
	pxh_event ev;
	pxh_client who;
	char text[256];
	int status;

	if (ct && strncasecmp(ct, "application/json", 16) != 0) {
		json_error(rs, 415, "Content-Type must be application/json");
		return 0;
	}
	if (!pxh_http_rate_ok(x->peer, pxh_server_now(x->srv),
	                      x->set->report_rate)) {
		(*pxh_http_ctrs(x->srv)->reports_limited)++;
		json_error(rs, 429, "too many reports");
		pxh_http_resp_header(rs, "Retry-After: 1\r\n");
		return 0;
	}
	status = pxh_http_report_parse(rq->body, rq->body_len, &ev, &who, text,
	                               sizeof(text));
	if (status) {
		json_error(rs, status, text);
		return 0;
	}
	pxh_http_copy(who.ip, sizeof(who.ip), x->peer);
	/* without the token the report is a claim: it is a step of that
	 * MAC's story, never the MAC's new address */
	if (x->authenticated)
		pxh_emit(x->srv, &ev);
	else
		pxh_emit_unbound(x->srv, &ev);
	(*pxh_http_ctrs(x->srv)->reports)++;
	pxh_http_resp_text(rs, 202, JSON_TYPE, "{\"accepted\":true}", 17);
	return 0;
}

/* ---- dispatch ---------------------------------------------------------- */
static int take_text(struct pxh_http_resp *rs, const char *ctype, char *t)
{
	if (!t) {
		pxh_http_resp_error(rs, 503, "not available");
		return 0;
	}
	pxh_http_resp_take(rs, 200, ctype, t, strlen(t));
	pxh_http_resp_header(rs, "Cache-Control: no-store\r\n");
	return 0;
}

int pxh_http_handle_api(struct pxh_http_ctx *x, struct pxh_http_resp *rs)
{
	size_t len = 0;
	char *t;

	switch (x->m->route) {
	case PXH_ROUTE_STATUS:
		return take_text(rs, JSON_TYPE, pxh_status_json(x->srv, x->hide_facts));
	case PXH_ROUTE_CLIENTS:
		return take_text(rs, JSON_TYPE, pxh_clients_json(x->srv, x->hide_facts,
		                                                 !strstr(x->rq->query, "steps=no")));
	case PXH_ROUTE_CLIENT: {
		char mac[18];

		if (pxh_http_mac_normalise(x->m->rest, mac) < 0) {
			json_error(rs, 400, "not a MAC address");
			return 0;
		}
		t = pxh_client_story_json(x->srv, mac, x->hide_facts);
		if (!t) {
			json_error(rs, 404, "machine not seen (or no longer in the history)");
			return 0;
		}
		return take_text(rs, JSON_TYPE, t);
	}
	case PXH_ROUTE_NOW: {
		char v[32];
		double stuck = x->set->stuck_after;

		if (pxh_http_form_get(x->rq->query, strlen(x->rq->query), "stuck",
		                      v, sizeof(v)) > 0 && atof(v) >= 1)
			stuck = atof(v);
		return take_text(rs, JSON_TYPE, pxh_now_json(x->srv, x->hide_facts, stuck));
	}
	case PXH_ROUTE_SERIES:
		return take_text(rs, JSON_TYPE, pxh_series_json(x->srv));
	case PXH_ROUTE_EVENTS:
		return pxh_http_handle_events(x, rs);
	case PXH_ROUTE_METRICS:
		t = pxh_metrics_text(x->srv, &len);
		if (!t)
			return take_text(rs, PROM_TYPE, NULL);
		pxh_http_resp_take(rs, 200, PROM_TYPE, t, len);
		return 0;
	case PXH_ROUTE_REPORT:
		/* once a token or client CA exists, only a caller that has
		 * one may write a machine's history */
		if ((x->set->require_auth || x->set->auth_configured) &&
		    !x->authenticated) {
			pxh_http_resp_error(rs, 401, NULL);
			return 0;
		}
		return handle_report(x, rs);
	default:
		pxh_http_resp_error(rs, 404, NULL);
		return 0;
	}
}
