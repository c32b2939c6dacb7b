/*
 * ABI compatibility fixture: a plugin compiled against the frozen 1.0
 * header (tests/abi/plugin-1.0.h) and nothing else, loaded by the current
 * pxehubd in tests/integration/test_abi.sh.  Future minors must keep it
 * working: its hooks answer, and its event hook writes every field of
 * every pxh_event and its pxh_client to [server] state_dir/plugins/abi10/
 * events.log, one line per event, which the test checks against what it
 * did (MAC, arch, facts, action, file, bytes...).
 *
 *   [abi10]
 *   enabled = yes
 *   macs = 52:54:00:ab:10:01
 *   loader = abi10.efi
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plugin-1.0.h"

#if PXH_ABI_MAJOR != 1 || PXH_ABI_MINOR != 0
#error "the fixture is built against the frozen 1.0 header only"
#endif

struct abi10 {
	pxh_host *h;
	char log[4200];
	uint64_t events, decisions;
};

static int listed(struct abi10 *a, const char *mac)
{
	for (size_t i = 0; i < pxh_conf_list_len(a->h, NULL, "macs"); i++)
		if (!strcasecmp(pxh_conf_list_item(a->h, NULL, "macs", i), mac))
			return 1;
	return 0;
}

static enum pxh_verdict decide(void *ud, const pxh_client *c, pxh_answer *ans,
                               pxh_request *req)
{
	struct abi10 *a = ud;

	(void)req;
	a->decisions++;
	if (!listed(a, c->mac))
		return PXH_NEXT;
	pxh_answer_set_loader(ans, pxh_conf_str(a->h, NULL, "loader"));
	pxh_answer_set_reason(ans, "abi10: listed");
	/* a 1.0 client handed back to the core by a 1.0 plugin */
	pxh_event_emitf(a->h, PXH_LOG_INFO, c, "abi10", "", "dhcp decision for %s", c->mac);
	return PXH_BOOT;
}

static enum pxh_verdict script(void *ud, const pxh_client *c, pxh_answer *ans,
                               pxh_request *req)
{
	struct abi10 *a = ud;

	(void)req;
	a->decisions++;
	if (!listed(a, c->mac))
		return PXH_NEXT;
	pxh_answer_set_script(ans, "#!ipxe\necho abi10 says hello\nexit\n");
	pxh_answer_set_reason(ans, "abi10: listed");
	return PXH_BOOT;
}

/* Every field, '|' separated (values hold spaces). */
static void on_event(void *ud, const pxh_event *ev)
{
	static const pxh_client none = {.mac = "NULL-CLIENT"};
	struct abi10 *a = ud;
	const pxh_client *c = ev->client;
	FILE *f;

	a->events++;
	if (!c) /* 1.0 promises a client in every event handed over */
		c = &none;
	f = fopen(a->log, "a");
	if (!f)
		return;
	fprintf(f, "size=%" PRIu32 "|kind=%s|severity=%d|time_us=%" PRIu64
	        "|csize=%" PRIu32 "|phase=%d|mac=%s|uuid=%s|arch=%u|arch_raw=%u"
	        "|arch_name=%s|vendor_class=%s|user_class=%s|undi=%s|is_ipxe=%d"
	        "|is_http_boot=%d|ip=%s|relay=%s|iface=%s|server_ip=%s"
	        "|manufacturer=%s|product=%s|serial=%s|asset=%s|platform=%s"
	        "|buildarch=%s|raw=%s|raw_len=%zu|action=%s|file=%s|plugin=%s"
	        "|bytes=%" PRIu64 "|duration_us=%" PRIu64 "|blksize=%" PRIu32
	        "|windowsize=%" PRIu32 "|retransmits=%" PRIu32 "|message=%s|\n",
	        ev->struct_size, pxh_event_kind_name(ev->kind), ev->severity,
	        ev->time_us, c->struct_size, (int)c->phase, c->mac, c->uuid,
	        c->arch, c->arch_raw, c->arch_name, c->vendor_class,
	        c->user_class, c->undi, c->is_ipxe, c->is_http_boot, c->ip,
	        c->relay, c->iface, c->server_ip, c->manufacturer, c->product,
	        c->serial, c->asset, c->platform, c->buildarch,
	        c->raw ? "set" : "null", c->raw_len, ev->action, ev->file,
	        ev->plugin, ev->bytes, ev->duration_us, ev->blksize,
	        ev->windowsize, ev->retransmits, ev->message);
	fclose(f);
}

static void report(void *ud, pxh_report *r)
{
	struct abi10 *a = ud;

	pxh_report_counter(r, "events", a->events);
	pxh_report_counter(r, "decisions", a->decisions);
}

static int init(pxh_host *h, void **state)
{
	struct abi10 *a = calloc(1, sizeof(*a));
	int rc;

	if (!a)
		return -ENOMEM;
	a->h = h;
	snprintf(a->log, sizeof(a->log), "%s/events.log", pxh_host_state_dir(h));
	*state = a;
	rc = pxh_register_boot_decision(h, decide, a, NULL);
	if (!rc)
		rc = pxh_register_boot_script(h, script, a, NULL);
	if (!rc)
		rc = pxh_register_event(h, PXH_EV_ALL, on_event, a, NULL);
	if (!rc)
		rc = pxh_register_report(h, report, a, NULL);
	if (rc)
		free(a);
	return rc;
}

static void fini(void *state)
{
	free(state);
}

static const pxh_conf_key keys[] = {
	{.name = "macs", .type = PXH_CONF_LIST, .def = "", .help = "MACs to boot"},
	{.name = "loader", .type = PXH_CONF_STRING, .def = "abi10.efi",
	 .help = "loader for them"},
	{.name = NULL},
};

PXH_PLUGIN(.name = "abi10", .version = "1.0", .keys = keys, .init = init,
           .fini = fini);
