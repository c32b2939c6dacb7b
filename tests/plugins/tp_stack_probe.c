/*
 * Test plugin: a second plugin for the async rule (tests/unit/test_decide.c).
 * Its hook (both phases) reads tp_slow_answer's frame counter
 * (tp_slow_answer_depth, in the tp_slow_answer.so the core loaded, named by
 * [tp_stack_probe] watch) and answers boot with loader "nested.efi" (script
 * "echo nested") when it runs on tp_slow_answer's stack, "probe.efi" ("echo
 * probe") when it does not.  tp_stack_probe_calls and tp_stack_probe_nested
 * count its calls.
 *
 *   [tp_stack_probe]
 *   enabled = yes
 *   priority = 200
 *   watch = /path/to/build/tests/plugins/tp_slow_answer.so
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>

#include "tp.h"

PXH_EXPORT unsigned tp_stack_probe_calls, tp_stack_probe_nested;

/* The watched plugin's counter (NULL: it is not loaded). */
static const int *watched_depth(pxh_host *h)
{
	void *dl = dlopen(pxh_conf_str(h, NULL, "watch"), RTLD_NOW | RTLD_NOLOAD);
	const int *depth = dl ? dlsym(dl, "tp_slow_answer_depth") : NULL;

	if (dl)
		dlclose(dl); /* the core's reference keeps it loaded */
	return depth;
}

static enum pxh_verdict probe_decide(void *ud, const pxh_client *c,
                                     pxh_answer *a, pxh_request *req)
{
	pxh_host *h = ud;
	const int *depth = watched_depth(h);
	bool nested = depth && *depth > 0;

	tp_stack_probe_calls++;
	tp_stack_probe_nested += nested;
	if (c->phase == PXH_PHASE_IPXE)
		pxh_answer_set_script(a, nested ? "#!ipxe\necho nested\n"
		                                : "#!ipxe\necho probe\n");
	else
		pxh_answer_set_loader(a, nested ? "nested.efi" : "probe.efi");
	if (!depth)
		pxh_answer_set_reason(a, "the watched plugin is not loaded");
	return PXH_BOOT;
}

static int probe_init(pxh_host *h, void **state)
{
	int rc = pxh_register_boot_decision(h, probe_decide, h, NULL);

	if (rc == 0)
		rc = pxh_register_boot_script(h, probe_decide, h, NULL);
	return rc;
}

static const pxh_conf_key probe_keys[] = {
	{.name = "watch", .type = PXH_CONF_STRING, .def = "",
	 .help = "path of the loaded tp_slow_answer.so", PXH_CONF_UNBOUND},
	{.name = NULL, PXH_CONF_UNBOUND},
};

TP_DESCRIPTOR = {
	TP_VALID_HEAD,
	.name = "tp_stack_probe",
	.version = "1",
	.keys = probe_keys,
	.init = probe_init,
};
