/*
 * Test plugin for the real-firmware e2e suite (tests/e2e/): decides the
 * few things the stock chain cannot tell apart by configuration.
 *
 *   [tp_e2e]
 *   enabled = yes
 *   ignore = 52:54:00:e2:00:06          # no answer at all (falls to disk)
 *   tftp_chain = 52:54:00:e2:00:02      # iPXE ROM -> tftp://.../undionly.kpxe
 *   loader_efi = 52:54:00:e2:00:04=snponly.efi
 *   script = #!ipxe\necho marker\nexit  # iPXE phase ("\n" is a newline)
 *
 * tftp_chain: the iPXE ROM and a chained undionly.kpxe send identical
 * DHCP packets, so the plugin answers the MAC with the loader as a TFTP URL
 * (iPXE clients only take URLs) until a TFTP transfer of that loader by the
 * client has been seen in the events; afterwards it says "next" and the
 * chained iPXE gets the script URL like any iPXE client.
 */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tp.h"

#define E2E_MAX 16

struct e2e {
	pxh_host *h;
	struct {
		char mac[18];
		char ip[46];
		double offered; /* loop time of the last forced answer */
		int done;
	} chain[E2E_MAX];
	size_t n_chain;
	char *script;
};

static int mac_listed(pxh_host *h, const char *key, const char *mac)
{
	size_t n = pxh_conf_list_len(h, NULL, key);

	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(pxh_conf_list_item(h, NULL, key, i), mac))
			return 1;
	return 0;
}

/* "MAC=loader" items of loader_efi: the loader for MAC, or NULL. */
static const char *efi_loader(pxh_host *h, const char *mac)
{
	size_t n = pxh_conf_list_len(h, NULL, "loader_efi");

	for (size_t i = 0; i < n; i++) {
		const char *it = pxh_conf_list_item(h, NULL, "loader_efi", i);
		const char *eq = strchr(it, '=');

		if (eq && (size_t)(eq - it) == strlen(mac) &&
		    !strncasecmp(it, mac, strlen(mac)))
			return eq + 1;
	}
	return NULL;
}

static int chain_slot(struct e2e *e, const char *mac)
{
	for (size_t i = 0; i < e->n_chain; i++)
		if (!strcasecmp(e->chain[i].mac, mac))
			return (int)i;
	return -1;
}

static enum pxh_verdict e2e_boot(void *ud, const pxh_client *c, pxh_answer *a,
                                 pxh_request *req)
{
	struct e2e *e = ud;
	const char *l;
	char url[128];
	int i;

	if (mac_listed(e->h, "ignore", c->mac)) {
		pxh_answer_set_reason(a, "tp_e2e: ignore list");
		return PXH_IGNORE;
	}
	i = chain_slot(e, c->mac);
	if (i >= 0 && c->is_ipxe && !e->chain[i].done) {
		if (c->ip[0])
			snprintf(e->chain[i].ip, sizeof(e->chain[i].ip), "%s", c->ip);
		e->chain[i].offered = pxh_now(e->h);
		snprintf(url, sizeof(url), "tftp://%s/%s",
		         c->server_ip[0] ? c->server_ip : "0.0.0.0",
		         pxh_conf_str(e->h, NULL, "chain_loader"));
		pxh_answer_set_loader(a, url);
		pxh_answer_set_reason(a, "tp_e2e: firmware path forced");
		return PXH_BOOT;
	}
	l = c->is_ipxe ? NULL : efi_loader(e->h, c->mac);
	if (l) {
		pxh_answer_set_loader(a, l);
		pxh_answer_set_reason(a, "tp_e2e: loader_efi");
		return PXH_BOOT;
	}
	return PXH_NEXT;
}

static enum pxh_verdict e2e_script(void *ud, const pxh_client *c,
                                   pxh_answer *a, pxh_request *req)
{
	struct e2e *e = ud;

	if (mac_listed(e->h, "ignore", c->mac))
		return PXH_IGNORE;
	if (!e->script[0])
		return PXH_NEXT;
	pxh_answer_set_script(a, e->script);
	pxh_answer_set_reason(a, "tp_e2e: test script");
	return PXH_BOOT;
}

/* A TFTP transfer of the chain loader by a forced client ends the forcing.
 * The transfer is the client's when the event names its MAC or address;
 * when pxehub could not tell who it was (a client that never spoke to
 * port 4011 has no known address), it is taken as the one forced client
 * that was sent there within the last 30 s. */
static void e2e_event(void *ud, const pxh_event *ev)
{
	struct e2e *e = ud;
	const char *loader = pxh_conf_str(e->h, NULL, "chain_loader");
	const char *f = ev->file;
	size_t fl = strlen(f), ll = strlen(loader), n_recent = 0;
	double now = pxh_now(e->h);
	int hit = -1, recent = -1;

	if (fl < ll || strcmp(f + fl - ll, loader) != 0)
		return;
	for (size_t i = 0; i < e->n_chain; i++) {
		if (e->chain[i].done)
			continue;
		if ((ev->client->mac[0] && !strcasecmp(ev->client->mac, e->chain[i].mac)) ||
		    (ev->client->ip[0] && !strcmp(ev->client->ip, e->chain[i].ip)))
			hit = (int)i;
		else if (e->chain[i].offered > 0 && now - e->chain[i].offered < 30) {
			recent = (int)i;
			n_recent++;
		}
	}
	if (hit < 0 && !ev->client->mac[0] && n_recent == 1)
		hit = recent;
	if (hit < 0)
		return;
	e->chain[hit].done = 1;
	pxh_log(e->h, PXH_LOG_INFO, ev->client, "tp_e2e: %s fetched %s, no longer forced",
	        e->chain[hit].mac, loader);
}

/* The script key holds "\n" escapes (INI values are one line). */
static char *unescape(const char *s)
{
	char *o = malloc(strlen(s) + 2), *p = o;

	if (!o)
		return NULL;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*p++ = '\n';
			s++;
		} else {
			*p++ = *s;
		}
	}
	if (p > o && p[-1] != '\n')
		*p++ = '\n';
	*p = 0;
	return o;
}

static void e2e_fini(void *state)
{
	struct e2e *e = state;

	if (e) {
		free(e->script);
		free(e);
	}
}

static int e2e_init(pxh_host *h, void **state)
{
	struct e2e *e = calloc(1, sizeof(*e));
	size_t n = pxh_conf_list_len(h, NULL, "tftp_chain");
	int rc;

	if (!e)
		return -ENOMEM;
	e->h = h;
	e->script = unescape(pxh_conf_str(h, NULL, "script"));
	if (!e->script) {
		free(e);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && i < E2E_MAX; i++)
		snprintf(e->chain[e->n_chain++].mac, sizeof(e->chain[0].mac), "%s",
		         pxh_conf_list_item(h, NULL, "tftp_chain", i));
	*state = e;
	rc = pxh_register_boot_decision(h, e2e_boot, e, NULL);
	if (!rc)
		rc = pxh_register_boot_script(h, e2e_script, e, NULL);
	if (!rc)
		rc = pxh_register_event(h, PXH_EV_MASK(PXH_EV_TFTP_START) |
		                               PXH_EV_MASK(PXH_EV_TFTP_END),
		                        e2e_event, e, NULL);
	return rc;
}

static const pxh_conf_key e2e_keys[] = {
	{.name = "ignore", .type = PXH_CONF_LIST, .def = "",
	 .help = "MACs that get no answer at all", PXH_CONF_UNBOUND},
	{.name = "tftp_chain", .type = PXH_CONF_LIST, .def = "",
	 .help = "MACs whose iPXE ROM is sent to chain_loader over TFTP once", PXH_CONF_UNBOUND},
	{.name = "chain_loader", .type = PXH_CONF_STRING, .def = "undionly.kpxe",
	 .help = "loader for tftp_chain clients", PXH_CONF_UNBOUND},
	{.name = "loader_efi", .type = PXH_CONF_LIST, .def = "",
	 .help = "MAC=loader items: firmware loader per machine", PXH_CONF_UNBOUND},
	{.name = "script", .type = PXH_CONF_STRING, .def = "",
	 .help = "iPXE-phase script for every client not ignored; \\n = newline", PXH_CONF_UNBOUND},
	{.name = NULL, PXH_CONF_UNBOUND},
};

TP_DESCRIPTOR = {
	TP_VALID_HEAD,
	.name = "tp_e2e",
	.version = "1",
	.keys = e2e_keys,
	.init = e2e_init,
	.fini = e2e_fini,
};
