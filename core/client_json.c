/* The client's facts as one JSON object (the SDK's pxh_client_json): the
 * one list of facts, for plugins that hand them to an outside program or
 * web service; script_exec derives its PXEHUB_* environment from it. */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pxehub/plugin.h"
#include "answer.h"

/* Facts come from the wire: printable ASCII only, so the JSON is valid. */
static json_t *clean_str(const char *s)
{
	char v[400]; /* a DUID: up to 389 */
	size_t o = 0;

	for (; s && *s && o + 1 < sizeof(v); s++) {
		unsigned char ch = (unsigned char)*s;
		v[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	v[o] = 0;
	return json_string(v);
}

char *pxh_client_json(const pxh_client *c)
{
	json_t *o = json_object();
	char *txt;

	if (!o || !c)
		return NULL;
#define S(k, v) json_object_set_new(o, k, clean_str(v))
	S("phase", pxh_phase_name(c->phase));
	S("mac", c->mac);
	S("uuid", c->uuid);
	S("arch", c->arch_name[0] ? c->arch_name : pxh_arch_name(c->arch));
	json_object_set_new(o, "arch_num", json_integer(c->arch));
	json_object_set_new(o, "arch_raw", json_integer(c->arch_raw));
	S("vendor_class", c->vendor_class);
	S("user_class", c->user_class);
	S("undi", c->undi);
	json_object_set_new(o, "is_ipxe", json_boolean(c->is_ipxe));
	json_object_set_new(o, "is_http_boot", json_boolean(c->is_http_boot));
	S("boot_program", pxh_boot_program_name(pxh_client_boot_program(c)));
	S("ip", c->ip);
	S("relay", c->relay);
	S("iface", c->iface);
	S("server_ip", c->server_ip);
	if (c->struct_size >= offsetof(pxh_client, link_addr) + sizeof(c->link_addr)) {
		S("duid", c->duid);
		S("link_addr", c->link_addr);
	}
	S("manufacturer", c->manufacturer);
	S("product", c->product);
	S("serial", c->serial);
	S("asset", c->asset);
	S("platform", c->platform);
	S("buildarch", c->buildarch);
#undef S
	txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return txt;
}
