/* referral: web-service mode: each client's facts POSTed as JSON to the
 * rule's web services in failover order, their answer (pxehub's answer
 * format) served. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referral.h"

/* One web-service question in flight. */
struct ask {
	struct ref *r;
	struct rule *rule;
	pxh_request *req;
	enum pxh_phase phase;
	char *body;
	size_t tried; /* index of the service being asked */
	bool all_down; /* every service was marked down: ask them anyway */
	struct rh_call *call;
	char last_error[200];
};

static void ask_end(struct ask *q, enum pxh_verdict v)
{
	q->r->asks_in_flight--;
	pxh_request_complete(q->req, v);
	free(q->body);
	free(q);
}

static void ask_next(struct ask *q);

/* Transport errors, timeouts and 5xx mean the service is out: fail over. */
static bool failed(const struct rh_result *res, char *why, size_t len)
{
	if (res->error)
		snprintf(why, len, "%s%s", res->timed_out ? "timeout: " : "", res->error);
	else if (res->status >= 500 || res->status < 100)
		snprintf(why, len, "HTTP %ld", res->status);
	else
		return false;
	return true;
}

static void ask_done(void *ud, const struct rh_result *res)
{
	struct ask *q = ud;
	struct ref *r = q->r;
	struct upstream *u = q->rule->services[q->tried];
	const pxh_client *c = pxh_request_client(q->req);
	pxh_answer *a = pxh_request_answer(q->req);
	char why[200] = "", reason[200];
	long ttl;
	int v;

	q->call = NULL;
	if (res->not_sent) {
		/* the client's deadline passed while the ask waited for a
		 * connection: the service is not to blame */
		r->service_late++;
		ask_end(q, PXH_NEXT);
		return;
	}
	if (failed(res, why, sizeof(why))) {
		ups_failed(r, u, why);
		r->service_errors++;
		snprintf(q->last_error, sizeof(q->last_error), "%.120s: %.75s", u->url, why);
		pxh_log(r->h, PXH_LOG_WARNING, c, "rule %s: web service %s: %s",
		        q->rule->name, u->url, why);
		if (pxh_request_expired(q->req)) {
			r->service_late++;
			ask_end(q, PXH_NEXT);
			return;
		}
		r->failovers++;
		q->tried++;
		ask_next(q);
		return;
	}
	ups_ok(r, u);
	if (pxh_request_expired(q->req)) {
		/* the core applied the default at its deadline and said so */
		r->service_late++;
		pxh_log(r->h, PXH_LOG_NOTICE, c,
		        "rule %s: web service %s answered after %.0f ms, past the decision deadline",
		        q->rule->name, u->url, res->seconds * 1000);
		ask_end(q, PXH_NEXT);
		return;
	}
	if (res->status == 204 || res->status == 404) {
		ask_end(q, PXH_NEXT); /* no opinion on this machine */
		return;
	}
	if (res->status != 200) {
		r->service_errors++;
		ref_emit(r, c, PXH_LOG_WARNING, "error", u->url,
		         "rule %s: web service answered HTTP %ld: default applies",
		         q->rule->name, res->status);
		ask_end(q, PXH_NEXT);
		return;
	}
	snprintf(reason, sizeof(reason), "referral rule %.32s: web service %.110s",
	         q->rule->name, u->url);
	pxh_answer_set_reason(a, reason); /* the answer's "reason" replaces it */
	v = pxh_answer_parse(q->phase, res->body, res->body_len, a, &ttl, why,
	                     sizeof(why));
	if (v < 0) {
		r->service_errors++;
		ref_emit(r, c, PXH_LOG_WARNING, "error", u->url,
		         "rule %s: web service answer refused: %s", q->rule->name, why);
		ask_end(q, PXH_NEXT);
		return;
	}
	r->service_answers++;
	ask_end(q, (enum pxh_verdict)v);
}

/* Ask the next usable service (from q->tried on); when none is left the
 * on_all_down verdict applies and an event says why.  When every service
 * was marked down, each is asked anyway (as nginx does with its upstreams):
 * a service that came up a moment after pxehub answers at once instead of
 * after retry_after, and the cost is bounded by timeout per service and
 * the client's decision deadline. */
static void ask_next(struct ask *q)
{
	struct ref *r = q->r;

	for (; q->tried < q->rule->n_services; q->tried++) {
		struct upstream *u = q->rule->services[q->tried];

		if (!q->all_down && !ups_usable(r, u))
			continue;
		q->call = rh_request(r->http, u->url, q->body, ask_done, q);
		if (q->call)
			return;
		snprintf(q->last_error, sizeof(q->last_error), "%.150s: request not started", u->url);
	}
	ask_end(q, ref_all_down(r, q->rule, pxh_request_client(q->req),
	                        "web service", q->last_error));
}

enum pxh_verdict ref_ask_service(struct ref *r, struct rule *ru,
                                 enum pxh_phase phase, const pxh_client *c,
                                 pxh_request *req)
{
	struct ask *q;
	size_t i;

	if (!ru->n_services)
		return PXH_NEXT;
	for (i = 0; i < ru->n_services && !ups_usable(r, ru->services[i]); i++)
		;
	q = calloc(1, sizeof(*q));
	if (!q)
		return PXH_NEXT;
	if (i == ru->n_services) {
		q->all_down = true;
		i = 0;
		r->all_down_retries++;
	}
	q->r = r;
	q->rule = ru;
	q->req = req;
	q->phase = phase;
	q->tried = i;
	q->body = pxh_client_json(c);
	if (!q->body) {
		free(q);
		return PXH_NEXT;
	}
	r->service_asks++;
	r->asks_in_flight++;
	ask_next(q); /* may complete the request at once: the core allows it */
	return PXH_DEFERRED;
}
