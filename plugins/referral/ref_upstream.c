/* referral: upstreams (boot.ipxe URLs, web services) and their health:
 * failures take one out of the rotation, health checks bring it back. */
#include <stdio.h>
#include <string.h>

#include "referral.h"

bool ups_usable(struct ref *r, const struct upstream *u)
{
	return !u->down || pxh_now(r->h) >= u->down_until;
}

void ups_failed(struct ref *r, struct upstream *u, const char *why)
{
	u->failures++;
	u->down_until = pxh_now(r->h) + r->retry_after;
	snprintf(u->last_error, sizeof(u->last_error), "%s", why);
	if (u->down)
		return;
	u->down = true;
	pxh_log(r->h, PXH_LOG_WARNING, NULL, "upstream %s is down: %s", u->url, why);
	ref_emit(r, NULL, PXH_LOG_WARNING, "down", u->url,
	         "upstream down: %s", why);
}

void ups_ok(struct ref *r, struct upstream *u)
{
	if (!u->down)
		return;
	u->down = false;
	u->down_until = 0;
	pxh_log(r->h, PXH_LOG_NOTICE, NULL, "upstream %s is back", u->url);
	ref_emit(r, NULL, PXH_LOG_NOTICE, "up", u->url, "upstream back");
}

struct upstream *ups_get(struct ref *r, const char *url)
{
	struct upstream *u;

	for (size_t i = 0; i < r->n_ups; i++)
		if (!strcmp(r->ups[i].url, url))
			return &r->ups[i];
	if (r->n_ups >= REF_MAX_UPSTREAMS || strlen(url) >= REF_URL_MAX)
		return NULL;
	u = &r->ups[r->n_ups++];
	memset(u, 0, sizeof(*u));
	u->r = r;
	snprintf(u->url, sizeof(u->url), "%s", url);
	return u;
}

/* ---- health checks --------------------------------------------------------- */
/* A GET answered at all is a live server, except the statuses that say a
 * gateway or the service itself is out (500, 502, 503, 504).  Web services
 * that only take POST answer 405 or 501 to a GET: alive. */
static bool alive(const struct rh_result *res)
{
	return !res->error && res->status >= 100 && res->status != 500 &&
	       (res->status < 502 || res->status > 504);
}

static void probe_done(void *ud, const struct rh_result *res)
{
	struct upstream *u = ud;
	struct ref *r = u->r;
	char why[200];

	u->probing = false;
	u->probe = NULL;
	if (res->not_sent)
		return; /* the next round asks again */
	if (alive(res)) {
		ups_ok(r, u);
		return;
	}
	if (res->error)
		snprintf(why, sizeof(why), "health check: %s", res->error);
	else
		snprintf(why, sizeof(why), "health check: HTTP %ld", res->status);
	ups_failed(r, u, why);
}

static void on_health(void *ud)
{
	struct ref *r = ud;

	for (size_t i = 0; i < r->n_ups; i++) {
		struct upstream *u = &r->ups[i];

		if (u->probing)
			continue;
		u->probe = rh_request(r->http, u->url, NULL, probe_done, u);
		u->probing = u->probe != NULL;
		r->probes += u->probing;
	}
}

/* The first round at once (an upstream dead at start is found), then every
 * INTERVAL seconds. */
void ups_health_start(struct ref *r, double interval)
{
	if (interval > 0 && r->n_ups)
		r->health = pxh_timer_start(r->h, 0, interval, on_health, r);
}

void ups_health_stop(struct ref *r)
{
	pxh_timer_stop(r->health);
	r->health = NULL;
	for (size_t i = 0; i < r->n_ups; i++) {
		rh_cancel(r->ups[i].probe);
		r->ups[i].probe = NULL;
		r->ups[i].probing = false;
	}
}
