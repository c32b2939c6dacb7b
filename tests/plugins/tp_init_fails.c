/*
 * Test plugin: init registers a boot decision hook and then fails with
 * -EHOSTDOWN (as a plugin whose back end is unreachable would), saying why
 * with pxh_init_error().  The core must report the reason and the error
 * (strerror of it), not load the plugin, drop the hook
 * it registered (running its free_ud, which frees a malloc'd block: ASan's
 * leak check tells when it does not) and never call the hook.  fini must not
 * run either, since init failed.
 */
#include <errno.h>
#include <stdlib.h>

#include "tp.h"

static enum pxh_verdict tp_decide(void *ud, const pxh_client *c, pxh_answer *a,
                                  pxh_request *req)
{
	abort(); /* a failed plugin's hook must never be called */
}

static void tp_free(void *ud)
{
	free(ud);
}

static int tp_init(pxh_host *h, void **state)
{
	void *ud = malloc(16);
	int rc = pxh_register_boot_decision(h, tp_decide, ud, tp_free);

	if (rc < 0) {
		free(ud);
		return rc;
	}
	pxh_init_error(h, "back end db.example:1433 unreachable");
	return -EHOSTDOWN;
}

static void tp_fini(void *state)
{
	abort(); /* init failed: fini must not run */
}

TP_DESCRIPTOR = {
	TP_VALID_HEAD,
	.name = "tp_init_fails",
	.version = "1",
	.init = tp_init,
	.fini = tp_fini,
};
