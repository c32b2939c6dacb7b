/*
 * Test plugin: answers every decision (DHCP and iPXE phase) late.  The hook
 * returns PXH_DEFERRED and a timer completes the request after [tp_slow_answer]
 * delay (default 2s) with the configured verdict (default boot, loader
 * "slow.efi", script "#!ipxe\necho slow-answer\nexit").  With a delay above
 * [boot] decision_timeout the core must apply the default action when the
 * deadline passes, say so in an event, and drop this answer when it comes.
 * It completes every request exactly once, also after the deadline, as the
 * API requires.  fini aborts if a request is still pending: the core must
 * not unload it before the last completion.
 *
 *   [tp_slow_answer]
 *   enabled = yes
 *   delay = 3s
 *   verdict = boot
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tp.h"

struct slow {
	pxh_host *h;
	unsigned pending;
};

struct slow_req {
	struct slow *s;
	pxh_request *req;
	pxh_timer *timer;
};

static enum pxh_verdict verdict_of(const char *name)
{
	if (!strcmp(name, "local"))
		return PXH_LOCAL;
	if (!strcmp(name, "ignore"))
		return PXH_IGNORE;
	if (!strcmp(name, "next"))
		return PXH_NEXT;
	return PXH_BOOT;
}

static void slow_fire(void *ud)
{
	struct slow_req *r = ud;
	struct slow *s = r->s;
	pxh_answer *a = pxh_request_answer(r->req);
	const pxh_client *c = pxh_request_client(r->req);
	enum pxh_verdict v = verdict_of(pxh_conf_str(s->h, NULL, "verdict"));

	pxh_timer_stop(r->timer);
	if (pxh_request_expired(r->req))
		pxh_log(s->h, PXH_LOG_INFO, c, "answering after the deadline");
	if (v == PXH_BOOT) {
		if (c->phase == PXH_PHASE_IPXE)
			pxh_answer_set_script(a, "#!ipxe\necho slow-answer\nexit\n");
		else
			pxh_answer_set_loader(a, "slow.efi");
	}
	pxh_answer_set_reason(a, "slow answer");
	s->pending--;
	pxh_request_complete(r->req, v);
	free(r);
}

static enum pxh_verdict slow_decide(void *ud, const pxh_client *c, pxh_answer *a,
                                    pxh_request *req)
{
	struct slow *s = ud;
	struct slow_req *r = calloc(1, sizeof(*r));
	double delay = (double)pxh_conf_int(s->h, NULL, "delay") / 1000.0;

	if (!r)
		return PXH_NEXT;
	r->s = s;
	r->req = req;
	r->timer = pxh_timer_start(s->h, delay, 0, slow_fire, r);
	if (!r->timer) {
		free(r);
		return PXH_NEXT;
	}
	s->pending++;
	return PXH_DEFERRED;
}

static int slow_init(pxh_host *h, void **state)
{
	struct slow *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->h = h;
	*state = s;
	rc = pxh_register_boot_decision(h, slow_decide, s, NULL);
	if (rc == 0)
		rc = pxh_register_boot_script(h, slow_decide, s, NULL);
	if (rc < 0)
		free(s);
	return rc;
}

static void slow_fini(void *state)
{
	struct slow *s = state;

	if (s->pending)
		abort(); /* unloaded with a deferred request pending */
	free(s);
}

static const pxh_conf_key slow_keys[] = {
	{.name = "delay", .type = PXH_CONF_DURATION, .def = "2s",
	 .max = 600000, .help = "how long each answer takes", PXH_CONF_UNBOUND},
	{.name = "verdict", .type = PXH_CONF_ENUM, .def = "boot",
	 .choices = "boot|local|ignore|next", .help = "the late verdict", PXH_CONF_UNBOUND},
	{.name = NULL, PXH_CONF_UNBOUND},
};

TP_DESCRIPTOR = {
	TP_VALID_HEAD,
	.name = "tp_slow_answer",
	.version = "1",
	.keys = slow_keys,
	.init = slow_init,
	.fini = slow_fini,
};
