/*
 * Test plugin: a well-behaved plugin that answers every decision at once
 * with a configured verdict, for priority, chain and pxehubctl tests.
 * DHCP phase: verdict, loader, next_server and option 252 (the text of
 * option_252, when set).  iPXE phase: verdict and script.  Only clients whose
 * MAC starts with mac_prefix (default: all) get the verdict; others "next".
 * Its HTTP route (/plugins/tp_fixed/...) answers "verdict=V path=P query=Q
 * user-agent=U" (U from pxh_http_header, "-" when absent).
 *
 *   [tp_fixed]
 *   enabled = yes
 *   priority = 10
 *   verdict = boot
 *   loader = fixed.efi
 *   mac_prefix = 52:54:00
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp.h"

static enum pxh_verdict fixed_verdict(pxh_host *h)
{
	const char *v = pxh_conf_str(h, NULL, "verdict");

	if (!strcmp(v, "local"))
		return PXH_LOCAL;
	if (!strcmp(v, "ignore"))
		return PXH_IGNORE;
	if (!strcmp(v, "next"))
		return PXH_NEXT;
	return PXH_BOOT;
}

static enum pxh_verdict fixed_decide(void *ud, const pxh_client *c,
                                     pxh_answer *a, pxh_request *req)
{
	pxh_host *h = ud;
	const char *prefix = pxh_conf_str(h, NULL, "mac_prefix");
	const char *s;
	enum pxh_verdict v;

	if (strncmp(c->mac, prefix, strlen(prefix)) != 0)
		return PXH_NEXT;
	v = fixed_verdict(h);
	pxh_answer_set_reason(a, pxh_conf_str(h, NULL, "reason"));
	if (v != PXH_BOOT)
		return v;
	if (c->phase == PXH_PHASE_IPXE) {
		pxh_answer_set_script(a, pxh_conf_str(h, NULL, "script"));
		return v;
	}
	pxh_answer_set_loader(a, pxh_conf_str(h, NULL, "loader"));
	s = pxh_conf_str(h, NULL, "next_server");
	if (*s)
		pxh_answer_set_next_server(a, s);
	s = pxh_conf_str(h, NULL, "option_252");
	if (*s)
		pxh_answer_add_option(a, 252, s, strlen(s));
	return v;
}

/* GET /plugins/tp_fixed/...: the verdict, the path and a header. */
static int fixed_http(void *ud, const pxh_http_request *rq,
                      pxh_http_response *rs)
{
	pxh_host *h = ud;
	const char *ua = pxh_http_header(rq, "User-Agent");
	char *body;
	int n = asprintf(&body, "verdict=%s path=%s query=%s user-agent=%s\n",
	                 pxh_conf_str(h, NULL, "verdict"), rq->path, rq->query,
	                 ua ? ua : "-");

	if (n < 0)
		return -ENOMEM;
	rs->content_type = "text/plain";
	rs->body = body;
	rs->body_len = (size_t)n;
	return 0;
}

static int fixed_init(pxh_host *h, void **state)
{
	int rc = pxh_register_boot_decision(h, fixed_decide, h, NULL);

	if (rc == 0)
		rc = pxh_register_boot_script(h, fixed_decide, h, NULL);
	if (rc == 0)
		rc = pxh_register_http_route(h, fixed_http, h, NULL);
	return rc;
}

static const pxh_conf_key fixed_keys[] = {
	{.name = "verdict", .type = PXH_CONF_ENUM, .def = "boot",
	 .choices = "boot|local|ignore|next", .help = "the verdict", PXH_CONF_UNBOUND},
	{.name = "loader", .type = PXH_CONF_STRING, .def = "fixed.efi",
	 .help = "loader for boot (DHCP phase)", PXH_CONF_UNBOUND},
	{.name = "next_server", .type = PXH_CONF_STRING, .def = "",
	 .help = "next-server for boot (DHCP phase)", PXH_CONF_UNBOUND},
	{.name = "option_252", .type = PXH_CONF_STRING, .def = "",
	 .help = "text sent as DHCP option 252", PXH_CONF_UNBOUND},
	{.name = "script", .type = PXH_CONF_STRING,
	 .def = "#!ipxe\necho fixed\nexit\n", .help = "script (iPXE phase)", PXH_CONF_UNBOUND},
	{.name = "mac_prefix", .type = PXH_CONF_STRING, .def = "",
	 .help = "only clients whose MAC starts so", PXH_CONF_UNBOUND},
	{.name = "reason", .type = PXH_CONF_STRING, .def = "fixed answer",
	 .help = "reason in the log", PXH_CONF_UNBOUND},
	{.name = NULL, PXH_CONF_UNBOUND},
};

TP_DESCRIPTOR = {
	TP_VALID_HEAD,
	.name = "tp_fixed",
	.version = "1",
	.keys = fixed_keys,
	.init = fixed_init,
};
