/* libFuzzer: clients as JSON (core/client_json.c, core/clients.c).  The
 * input is a client whose every text field holds arbitrary bytes, then a
 * series of events about a few MACs and addresses, emitted as the daemon
 * does (pxh_emit, pxh_emit_unbound).  Checked: the facts
 * object (pxh_client_json) and /api/v1/clients (pxh_clients_json) are
 * valid JSON with no control character in any value; hidden facts stay
 * hidden; an unbound event (an anonymous report) never moves a MAC to
 * another address; an address's DHCP-phase facts name that address. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pxehub/plugin.h"
#include "clients.h"
#include "conf.h"
#include "events.h"
#include "log.h"
#include "server.h"
#include "str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct in *in)
{
	uint8_t b = 0;

	if (in->n) {
		b = *in->p++;
		in->n--;
	}
	return b;
}

/* Up to CAP-1 raw bytes (a length byte first), NUL terminated. */
static void text(struct in *in, char *dst, size_t cap)
{
	size_t len = byte(in) % cap, i;

	for (i = 0; i < len && in->n; i++)
		dst[i] = (char)byte(in);
	dst[i] = 0;
}

static void check_strings(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_string(j)) {
		const char *s = json_string_value(j);

		for (i = 0; i < json_string_length(j); i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				__builtin_trap();
	} else if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			check_strings(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			check_strings(v);
	}
}

static json_t *parse(const char *t)
{
	json_t *j;

	if (!t)
		return NULL; /* out of memory: allowed */
	j = json_loads(t, 0, NULL);
	if (!j)
		__builtin_trap();
	return j;
}

static const char *const macs[] = {"52:54:00:00:00:01", "52:54:00:00:00:02",
                                   "52:54:00:00:00:03", ""};
static const char *const ips[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3", ""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = {data, size};
	static struct pxh_conf *conf;
	struct pxh_conf_errors errs = {0};
	struct pxh_server s;
	pxh_client c;
	char *t;
	json_t *j;

	memset(&c, 0, sizeof(c));
	c.struct_size = sizeof(c);
	c.phase = (enum pxh_phase)(byte(&in) % 6);
	c.arch = (uint16_t)(byte(&in) << 8 | byte(&in));
	c.arch_raw = c.arch;
#define T(f) text(&in, c.f, sizeof(c.f))
	T(mac); T(uuid); T(arch_name); T(vendor_class); T(user_class); T(undi);
	T(ip); T(relay); T(iface); T(server_ip); T(manufacturer); T(product);
	T(serial); T(asset); T(platform); T(buildarch); T(duid); T(link_addr);
#undef T
	t = pxh_client_json(&c);
	j = parse(t);
	check_strings(j);
	json_decref(j);
	free(t);

	/* the history: events about a few machines, bound or not */
	/* one config for every input: loading it costs more than the rest */
	if (!conf) {
		pxh_log_setup(PXH_LOG_ERR, false); /* events are not logged */
		conf = pxh_conf_load(NULL, "[log]\nrecent_clients = 3\n", &errs);
		if (!conf || errs.n)
			__builtin_trap();
	}
	memset(&s, 0, sizeof(s));
	s.conf = conf;
	while (in.n >= 3) {
		uint8_t op = byte(&in), who = byte(&in), at = byte(&in);
		const char *ip = ips[at & 3];
		char before[18] = "", after[18] = "";
		bool had, has, bind = !(op & 1);
		pxh_event ev;
		pxh_client k, cl = c;

		pxh_event_init(&ev, (enum pxh_event_kind)(1 + op % 10), PXH_LOG_INFO, &cl);
		pxh_strcpy(cl.mac, sizeof(cl.mac), macs[who & 3]);
		pxh_strcpy(cl.ip, sizeof(cl.ip), ip);
		cl.phase = (op & 2) ? PXH_PHASE_DHCP : PXH_PHASE_IPXE;
		ev.time_us = (uint64_t)(size - in.n);
		had = pxh_clients_mac_for_ip(&s, ip, before);
		/* through the edge every event passes (escaping, history) */
		if (bind)
			pxh_emit(&s, &ev);
		else
			pxh_emit_unbound(&s, &ev);
		has = pxh_clients_mac_for_ip(&s, ip, after);
		/* an unbound event moves no MAC to IP (it may evict one) */
		if (!bind && has && (!had || strcmp(before, after)))
			__builtin_trap();
		if (pxh_clients_dhcp_facts_for_ip(&s, ip, &k) && strcmp(k.ip, ip))
			__builtin_trap();
	}
	for (int hide = 0; hide < 2; hide++) {
		t = pxh_clients_json(&s, hide, true);
		j = parse(t);
		check_strings(j);
		if (hide && t && strstr(t, "\"serial\":")) /* the key; a value may hold "serial" */
			__builtin_trap();
		json_decref(j);
		free(t);
	}
	pxh_clients_free(&s);
	return 0;
}
