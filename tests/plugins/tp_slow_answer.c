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
 * mode tries the other ways of completing (the async rule, test_decide.c):
 *   timer     the above
 *   inside    complete inside the hook, return PXH_DEFERRED
 *   twice     as timer, then complete the same request again (with local):
 *             the core must refuse it and count it
 *   returned  complete inside the hook AND return a verdict (a misuse: the
 *             returned one, boot or else local, counts)
 * tp_slow_answer_depth counts this plugin's frames on the stack (its hook,
 * its calls to pxh_request_complete): another plugin's hook
 * (tp_async_probe) or the core's caller finding it above 0 runs on this
 * plugin's stack.
 *
 *   [tp_slow_answer]
 *   enabled = yes
 *   delay = 3s
 *   verdict = boot
 *   mode = timer
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tp.h"

PXH_EXPORT int tp_slow_answer_depth;

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

/* Fill REQ's answer for V and complete it, counted as this plugin's frame. */
static void slow_complete(struct slow *s, pxh_request *req, enum pxh_verdict v)
{
	pxh_answer *a = pxh_request_answer(req);
	const pxh_client *c = pxh_request_client(req);

	if (pxh_request_expired(req))
		pxh_log(s->h, PXH_LOG_INFO, c, "answering after the deadline");
	if (v == PXH_BOOT) {
		if (c->phase == PXH_PHASE_IPXE)
			pxh_answer_set_script(a, "#!ipxe\necho slow-answer\nexit\n");
		else
			pxh_answer_set_loader(a, "slow.efi");
	}
	pxh_answer_set_reason(a, "slow answer");
	tp_slow_answer_depth++;
	pxh_request_complete(req, v);
	tp_slow_answer_depth--;
}

static void slow_fire(void *ud)
{
	struct slow_req *r = ud;
	struct slow *s = r->s;

	pxh_timer_stop(r->timer);
	s->pending--;
	slow_complete(s, r->req, verdict_of(pxh_conf_str(s->h, NULL, "verdict")));
	if (!strcmp(pxh_conf_str(s->h, NULL, "mode"), "twice"))
		slow_complete(s, r->req, PXH_LOCAL); /* refused by the core */
	free(r);
}

static enum pxh_verdict slow_decide(void *ud, const pxh_client *c, pxh_answer *a,
                                    pxh_request *req)
{
	struct slow *s = ud;
	const char *mode = pxh_conf_str(s->h, NULL, "mode");
	struct slow_req *r;
	double delay = (double)pxh_conf_int(s->h, NULL, "delay") / 1000.0;
	enum pxh_verdict v = PXH_DEFERRED;

	tp_slow_answer_depth++;
	if (!strcmp(mode, "inside") || !strcmp(mode, "returned")) {
		enum pxh_verdict said = verdict_of(pxh_conf_str(s->h, NULL, "verdict"));

		slow_complete(s, req, said);
		if (!strcmp(mode, "returned"))
			v = said == PXH_BOOT ? PXH_LOCAL : PXH_BOOT;
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (r) {
		r->s = s;
		r->req = req;
		r->timer = pxh_timer_start(s->h, delay, 0, slow_fire, r);
	}
	if (!r || !r->timer) {
		free(r);
		v = PXH_NEXT;
		goto out;
	}
	s->pending++;
out:
	tp_slow_answer_depth--;
	return v;
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
	{.name = "mode", .type = PXH_CONF_ENUM, .def = "timer",
	 .choices = "timer|inside|twice|returned", .help = "how requests are completed", PXH_CONF_UNBOUND},
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
