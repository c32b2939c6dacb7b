/*
 * Test plugin: keeps work-pool items pending.  Every decision (both phases)
 * submits a work item that sleeps [tp_pending_work] work_time (default 500ms)
 * on a pool thread; its done callback, on the loop thread, completes the
 * request with boot (loader "work.efi", reason "work done").  With
 * work_at_init = yes, init also submits one such item (no request), so a
 * reload right after loading finds work pending.  The items carry a magic
 * number the callbacks check, and fini aborts while any item is pending:
 * reloading or stopping while work is pending must wait for it (under ASan
 * an early unload shows as a use-after-free or a crash in unmapped code).
 *
 *   [tp_pending_work]
 *   enabled = yes
 *   work_time = 1s
 *   work_at_init = yes
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "tp.h"

#define WORK_MAGIC 0x70786877u

struct pw {
	pxh_host *h;
	unsigned pending; /* loop thread only */
	long long work_ms;
};

struct pw_item {
	unsigned magic;
	struct pw *pw;
	pxh_request *req; /* NULL for the init item */
	int worked;
};

static void pw_work(void *ud)
{
	struct pw_item *it = ud;
	struct timespec ts = {
		.tv_sec = it->pw->work_ms / 1000,
		.tv_nsec = (it->pw->work_ms % 1000) * 1000000L,
	};

	if (it->magic != WORK_MAGIC)
		abort();
	nanosleep(&ts, NULL);
	it->worked = 1;
}

static void pw_done(void *ud)
{
	struct pw_item *it = ud;
	struct pw *pw = it->pw;

	if (it->magic != WORK_MAGIC || !it->worked)
		abort(); /* done without work, or called twice */
	it->magic = 0;
	pw->pending--;
	if (it->req) {
		pxh_answer *a = pxh_request_answer(it->req);

		if (pxh_request_client(it->req)->phase == PXH_PHASE_IPXE)
			pxh_answer_set_script(a, "#!ipxe\necho work-done\nexit\n");
		else
			pxh_answer_set_loader(a, "work.efi");
		pxh_answer_set_reason(a, "work done");
		pxh_request_complete(it->req, PXH_BOOT);
	}
	pxh_log(pw->h, PXH_LOG_DEBUG, NULL, "tp_pending_work: item done, %u pending",
	        pw->pending);
	free(it);
}

static int pw_submit(struct pw *pw, pxh_request *req)
{
	struct pw_item *it = calloc(1, sizeof(*it));
	int rc;

	if (!it)
		return -ENOMEM;
	it->magic = WORK_MAGIC;
	it->pw = pw;
	it->req = req;
	rc = pxh_work_submit(pw->h, pw_work, pw_done, it);
	if (rc < 0) {
		free(it);
		return rc;
	}
	pw->pending++;
	return 0;
}

static enum pxh_verdict pw_decide(void *ud, const pxh_client *c, pxh_answer *a,
                                  pxh_request *req)
{
	return pw_submit(ud, req) == 0 ? PXH_DEFERRED : PXH_NEXT;
}

static int pw_init(pxh_host *h, void **state)
{
	struct pw *pw = calloc(1, sizeof(*pw));
	int rc;

	if (!pw)
		return -ENOMEM;
	pw->h = h;
	pw->work_ms = pxh_conf_int(h, NULL, "work_time");
	*state = pw;
	rc = pxh_register_boot_decision(h, pw_decide, pw, NULL);
	if (rc == 0)
		rc = pxh_register_boot_script(h, pw_decide, pw, NULL);
	if (rc == 0 && pxh_conf_bool(h, NULL, "work_at_init"))
		rc = pw_submit(pw, NULL);
	if (rc < 0)
		free(pw);
	return rc;
}

static void pw_fini(void *state)
{
	struct pw *pw = state;

	if (pw->pending)
		abort(); /* unloaded with work pending */
	free(pw);
}

static const pxh_conf_key pw_keys[] = {
	{.name = "work_time", .type = PXH_CONF_DURATION, .def = "500ms",
	 .max = 60000, .help = "how long each work item blocks its thread", PXH_CONF_UNBOUND},
	{.name = "work_at_init", .type = PXH_CONF_BOOL, .def = "no",
	 .help = "submit one work item from init", PXH_CONF_UNBOUND},
	{.name = NULL, PXH_CONF_UNBOUND},
};

TP_DESCRIPTOR = {
	TP_VALID_HEAD,
	.name = "tp_pending_work",
	.version = "1",
	.keys = pw_keys,
	.init = pw_init,
	.fini = pw_fini,
};
