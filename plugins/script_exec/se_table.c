/* script_exec: one entry per (hook, facts) that both coalesces concurrent
 * requests onto one running script and remembers its answer for ttl; the
 * queue of entries waiting for a free slot.  The key is everything the
 * script is told (MAC, UUID, SMBIOS, address, relay, DHCP options...): a
 * request with forged facts gets its own run and never decides what the
 * real machine is answered. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script_exec.h"

static uint32_t key_hash(enum se_hook hook, const char *json)
{
	uint32_t h = 2166136261u ^ (uint32_t)hook;

	for (; *json; json++) {
		h ^= (unsigned char)*json;
		h *= 16777619u;
	}
	return h ^ (h >> 16);
}

static struct se_entry **find(struct se *se, enum se_hook hook, uint32_t hash,
                              const char *json)
{
	struct se_entry **pp = &se->bucket[hash % SE_BUCKETS];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hook == hook && (*pp)->key_hash == hash &&
		    !strcmp((*pp)->key, json))
			return pp;
	return pp;
}

static void unlink_entry(struct se *se, struct se_entry *e)
{
	struct se_entry **pp = find(se, e->hook, e->key_hash, e->key);

	if (*pp == e) {
		*pp = e->next;
		se->n_entries--;
	}
	e->next = NULL;
}

static void entry_free(struct se_entry *e)
{
	se_facts_free(&e->facts);
	free(e->key);
	free(e->out);
	free(e);
}

static int policy(const struct se *se, const struct se_entry *e)
{
	return e->outcome == SE_TIMEOUT ? se->conf.on_timeout : se->conf.on_error;
}

/* Write entry E's result into A for this request; returns the verdict. */
static enum pxh_verdict apply(struct se *se, struct se_entry *e, pxh_answer *a,
                              double now)
{
	char why[200], reason[240];
	long ttl;
	int v;
	double left = e->expires - now;

	if (left > 0)
		pxh_answer_set_ttl(a, (unsigned)(left + 0.5));
	if (e->outcome == SE_OK) {
		snprintf(reason, sizeof(reason), "%s answered", se_hook_name(e->hook));
		pxh_answer_set_reason(a, reason);
		v = pxh_answer_parse(se_phase(e->hook), e->out ? e->out : "", e->out_len, a,
		                    &ttl, why, sizeof(why));
		if (v >= 0)
			return (enum pxh_verdict)v;
		/* checked when it came: only ENOMEM gets here */
		snprintf(e->why, sizeof(e->why), "%s", why);
	}
	v = policy(se, e);
	snprintf(reason, sizeof(reason), "%s; policy %s", e->why,
	         pxh_verdict_name((enum pxh_verdict)v));
	pxh_answer_set_reason(a, reason);
	return (enum pxh_verdict)v;
}

static void start(struct se *se, struct se_entry *e)
{
	int rc;
	char why[200];

	e->state = SE_RUNNING;
	rc = se_run_start(se, e);
	if (rc) {
		snprintf(why, sizeof(why), "cannot run %s (%s): %s",
		         se_hook_name(e->hook), se->conf.path[e->hook], strerror(-rc));
		pxh_log(se->h, PXH_LOG_ERR, &e->client, "%s", why);
		se_entry_finish(se, e, SE_FAILED, NULL, 0, why);
	}
}

void se_slot_free(struct se *se)
{
	while (!se->closing && se->q_head && se->n_running < se->conf.max_running) {
		struct se_entry *e = se->q_head;

		se->q_head = e->qnext;
		if (!se->q_head)
			se->q_tail = NULL;
		e->qnext = NULL;
		se->n_queued--;
		start(se, e);
	}
}

void se_entry_finish(struct se *se, struct se_entry *e, enum se_outcome o,
                     char *out, size_t out_len, const char *why)
{
	double now = pxh_now(se->h), ttl;
	struct se_waiter *w;
	char pwhy[200];
	long asked = -1;
	bool keep;
	int v = 0;

	e->state = SE_DONE;
	e->outcome = o;
	e->out = out;
	e->out_len = out_len;
	snprintf(e->why, sizeof(e->why), "%s", why ? why : "");
	if (o == SE_OK) {
		v = pxh_answer_parse(se_phase(e->hook), out ? out : "", out_len, NULL, &asked,
		                    pwhy, sizeof(pwhy));
		if (v < 0) {
			se->c_garbage++;
			e->outcome = o = SE_FAILED;
			snprintf(e->why, sizeof(e->why), "%s: unusable output: %.150s",
			         se_hook_name(e->hook), pwhy);
		}
	}
	if (o == SE_OK) {
		se->c_ok++;
		ttl = asked >= 0 ? (double)asked : se->conf.ttl;
		pxh_log(se->h, PXH_LOG_INFO, &e->client,
		        "%s: mac=%s answered %s%s%s (kept %.0f s)",
		        se_hook_name(e->hook), e->mac,
		        pxh_verdict_name((enum pxh_verdict)v),
		        e->why[0] ? "; " : "", e->why, ttl);
	} else {
		se->c_failed++;
		ttl = se->conf.error_ttl;
		pxh_log(se->h, PXH_LOG_WARNING, &e->client,
		        "%s: mac=%s %s; policy %s (kept %.0f s)",
		        se_hook_name(e->hook), e->mac, e->why,
		        pxh_verdict_name((enum pxh_verdict)policy(se, e)), ttl);
	}
	e->expires = now + ttl;
	keep = ttl > 0 && !se->closing && se->n_entries <= se->conf.max_cached;
	if (!keep)
		unlink_entry(se, e);
	/* Completing a request returns at once (the chain goes on from the
	 * loop, docs/HACKING.md "The async rule"); the list is taken
	 * first all the same. */
	w = e->waiters;
	e->waiters = NULL;
	while (w) {
		struct se_waiter *next = w->next;
		pxh_request *req = w->req;

		free(w);
		pxh_request_complete(req, apply(se, e, pxh_request_answer(req), now));
		w = next;
	}
	if (!keep)
		entry_free(e);
}

static int add_waiter(struct se_entry *e, pxh_request *req)
{
	struct se_waiter *w = calloc(1, sizeof(*w)), **pp = &e->waiters;

	if (!w)
		return -ENOMEM;
	w->req = req;
	while (*pp) /* first come, first answered */
		pp = &(*pp)->next;
	*pp = w;
	return 0;
}

/* No run for this request (queue full, out of memory): the error policy,
 * nothing remembered. */
static enum pxh_verdict refuse(struct se *se, const pxh_client *c,
                               pxh_answer *a, const char *why)
{
	char reason[240];
	int v = se->conf.on_error;

	snprintf(reason, sizeof(reason), "%s; policy %s", why,
	         pxh_verdict_name((enum pxh_verdict)v));
	pxh_log(se->h, PXH_LOG_WARNING, c, "%s", reason);
	pxh_answer_set_reason(a, reason);
	return (enum pxh_verdict)v;
}

enum pxh_verdict se_decide(struct se *se, enum se_hook hook,
                           const pxh_client *c, pxh_answer *a, pxh_request *req)
{
	double now = pxh_now(se->h);
	struct se_facts f;
	struct se_entry *e;
	char why[200];
	uint32_t hash;
	int rc;

	/* the facts first: they are the key */
	rc = se_facts_build(se->h, hook, c, &f);
	if (rc) {
		snprintf(why, sizeof(why), "%s: facts: %s", se_hook_name(hook),
		         strerror(-rc));
		return refuse(se, c, a, why);
	}
	hash = key_hash(hook, f.json);
	e = *find(se, hook, hash, f.json);
	if (e && e->state == SE_DONE && now >= e->expires) {
		unlink_entry(se, e);
		entry_free(e);
		e = NULL;
	}
	if (e)
		se_facts_free(&f);
	if (e && e->state == SE_DONE) {
		se->c_cached++;
		return apply(se, e, a, now);
	}
	if (e) { /* queued or running: wait for the same answer */
		if (add_waiter(e, req))
			return refuse(se, c, a, "out of memory");
		se->c_coalesced++;
		return PXH_DEFERRED;
	}
	if (se->n_running >= se->conf.max_running &&
	    se->n_queued >= se->conf.max_queued) {
		se_facts_free(&f);
		se->c_queue_full++;
		snprintf(why, sizeof(why), "%s: %u running and %u queued "
		         "(max_running, max_queued): not run", se_hook_name(hook),
		         se->n_running, se->n_queued);
		return refuse(se, c, a, why);
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		se_facts_free(&f);
		return refuse(se, c, a, "out of memory");
	}
	e->hook = hook;
	snprintf(e->mac, sizeof(e->mac), "%s", c->mac);
	e->client = *c;
	e->client.raw = NULL;
	e->client.raw_len = 0;
	e->facts = f;
	e->key = strdup(f.json);
	e->key_hash = hash;
	if (!e->key || add_waiter(e, req)) {
		entry_free(e);
		return refuse(se, c, a, "out of memory");
	}
	e->next = se->bucket[hash % SE_BUCKETS];
	se->bucket[hash % SE_BUCKETS] = e;
	se->n_entries++;
	if (se->n_running < se->conf.max_running && !se->q_head) {
		start(se, e); /* may complete REQ right here */
		return PXH_DEFERRED;
	}
	e->state = SE_QUEUED;
	if (se->q_tail)
		se->q_tail->qnext = e;
	else
		se->q_head = e;
	se->q_tail = e;
	se->n_queued++;
	if (se->n_queued > se->max_queued_seen)
		se->max_queued_seen = se->n_queued;
	return PXH_DEFERRED;
}

/* Forget answers whose ttl ran out (ALL: every finished entry). */
void se_table_sweep(struct se *se, bool all)
{
	double now = pxh_now(se->h);

	for (unsigned b = 0; b < SE_BUCKETS; b++) {
		struct se_entry **pp = &se->bucket[b];

		while (*pp) {
			struct se_entry *e = *pp;

			if (e->state == SE_DONE && (all || now >= e->expires)) {
				*pp = e->next;
				se->n_entries--;
				entry_free(e);
				continue;
			}
			if (all && e->run)
				se_run_abort(e->run);
			pp = &e->next;
		}
	}
}
