/*
 * hello: the pxehub SDK example plugin.
 *
 * - boot decision (DHCP phase): clients whose MAC is in [hello] macs are
 *   booted (with [hello] loader when set, else the server's loader for their
 *   architecture); every other client gets "next" (no opinion).
 * - boot script (iPXE phase): the same clients get a script that prints
 *   [hello] greeting and boots the local disk.
 * - event hook: logs every decision event and counts events.
 * - report hook: exports its counters in /api/v1/status and /metrics
 *   (pxehub_plugin_hello_decisions, ..._booted, ..._events).
 * - HTTP route: GET /plugins/hello/ says hello with the counters,
 *   GET /plugins/hello/macs lists the configured MACs.
 *
 *   # /etc/pxehub/plugins.d/hello.conf
 *   [hello]
 *   enabled = yes
 *   macs = 52:54:00:12:34:56, 52:54:00:ab:cd:ef
 *   greeting = Hello from pxehub
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pxehub/plugin.h>

/* [hello] as the core hands it over, filled from hello_keys before init
 * (PXH_CONF_BIND): no key is looked up by name, and every default is
 * written once, in the table. */
struct hello_conf {
	pxh_conf_list macs;
	const char *loader;
	const char *greeting;
};

struct hello {
	pxh_host *h;
	const struct hello_conf *cf;
	uint64_t decisions; /* decision hook calls */
	uint64_t booted;    /* of which answered boot */
	uint64_t events;    /* events seen by the event hook */
};

/* Hooks run on the loop thread only, so plain counters are enough. */

static int hello_knows(struct hello *hl, const char *mac)
{
	for (size_t i = 0; i < hl->cf->macs.n; i++)
		if (!strcasecmp(hl->cf->macs.v[i], mac))
			return 1;
	return 0;
}

static enum pxh_verdict hello_decide(void *ud, const pxh_client *c,
                                     pxh_answer *a, pxh_request *req)
{
	struct hello *hl = ud;
	const char *loader = hl->cf->loader;

	hl->decisions++;
	if (!hello_knows(hl, c->mac))
		return PXH_NEXT;
	hl->booted++;
	if (*loader)
		pxh_answer_set_loader(a, loader);
	pxh_answer_set_reason(a, "MAC listed in [hello] macs");
	return PXH_BOOT;
}

static enum pxh_verdict hello_script(void *ud, const pxh_client *c,
                                     pxh_answer *a, pxh_request *req)
{
	struct hello *hl = ud;

	hl->decisions++;
	if (!hello_knows(hl, c->mac))
		return PXH_NEXT;
	hl->booted++;
	pxh_answer_append_script(a, "#!ipxe\necho %s, %s (%s)\n",
	                         hl->cf->greeting, c->mac,
	                         c->arch_name);
	pxh_script_exit(a);
	pxh_answer_set_reason(a, "MAC listed in [hello] macs");
	return PXH_BOOT;
}

static void hello_event(void *ud, const pxh_event *ev)
{
	struct hello *hl = ud;

	hl->events++;
	if (ev->kind == PXH_EV_DECISION)
		/* no "hello:" prefix: the core puts the plugin name first */
		pxh_log(hl->h, PXH_LOG_INFO, ev->client,
		        "saw decision action=%s plugin=%s",
		        ev->action, ev->plugin);
}

static void hello_report(void *ud, pxh_report *r)
{
	struct hello *hl = ud;

	pxh_report_counter(r, "decisions", hl->decisions);
	pxh_report_counter(r, "booted", hl->booted);
	pxh_report_counter(r, "events", hl->events);
}

static int hello_http(void *ud, const pxh_http_request *rq,
                      pxh_http_response *rs)
{
	struct hello *hl = ud;
	char *body = NULL;
	size_t len = 0;
	FILE *f;

	if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) {
		rs->status = 405;
		return 0;
	}
	f = open_memstream(&body, &len);
	if (!f)
		return -ENOMEM;
	if (!strcmp(rq->path, "/")) {
		fprintf(f, "%s: %llu decisions, %llu booted, %llu events\n",
		        hl->cf->greeting,
		        (unsigned long long)hl->decisions,
		        (unsigned long long)hl->booted,
		        (unsigned long long)hl->events);
	} else if (!strcmp(rq->path, "/macs")) {
		for (size_t i = 0; i < hl->cf->macs.n; i++)
			fprintf(f, "%s\n", hl->cf->macs.v[i]);
	} else {
		rs->status = 404;
		fprintf(f, "no such page\n");
	}
	fclose(f);
	rs->body = body;
	rs->body_len = len;
	return 0;
}

static int hello_init(pxh_host *h, void **state)
{
	struct hello *hl = calloc(1, sizeof(*hl));
	int rc;

	if (!hl)
		return -ENOMEM;
	hl->h = h;
	hl->cf = pxh_conf_struct(h, NULL); /* valid until fini */
	*state = hl;
	/* The core frees nothing of ours (free_ud NULL): fini does. */
	rc = pxh_register_boot_decision(h, hello_decide, hl, NULL);
	if (!rc)
		rc = pxh_register_boot_script(h, hello_script, hl, NULL);
	if (!rc)
		rc = pxh_register_event(h, PXH_EV_ALL, hello_event, hl, NULL);
	if (!rc)
		rc = pxh_register_report(h, hello_report, hl, NULL);
	if (!rc)
		rc = pxh_register_http_route(h, hello_http, hl, NULL);
	if (rc) {
		free(hl); /* fini does not run when init fails */
		return rc;
	}
	pxh_log(h, PXH_LOG_INFO, NULL, "%zu MACs configured", hl->cf->macs.n);
	return 0;
}

static void hello_fini(void *state)
{
	free(state);
}

/* Checked by the core before init runs: unknown keys and bad values are
 * reported as FILE:LINE by pxehubd -t; then each value (or its default)
 * lands in its struct hello_conf member. */
static const pxh_conf_key hello_keys[] = {
	{.name = "macs", .type = PXH_CONF_LIST, .def = "",
	 .help = "MAC addresses this plugin boots (aa:bb:cc:dd:ee:ff, ...)",
	 PXH_CONF_BIND(struct hello_conf, macs)},
	{.name = "loader", .type = PXH_CONF_STRING, .def = "",
	 .help = "loader for those clients; empty = the [boot] loader of their arch",
	 PXH_CONF_BIND(struct hello_conf, loader)},
	{.name = "greeting", .type = PXH_CONF_STRING, .def = "Hello from pxehub",
	 .help = "text the iPXE script and the web page print",
	 PXH_CONF_BIND(struct hello_conf, greeting)},
	PXH_CONF_END,
};

PXH_PLUGIN(.name = "hello", .version = "1.0", .keys = hello_keys,
           .conf_size = sizeof(struct hello_conf),
           .init = hello_init, .fini = hello_fini);
