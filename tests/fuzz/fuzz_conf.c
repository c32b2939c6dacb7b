/* libFuzzer: the main configuration file (inih underneath, then the typed
 * key tables: bools, whole numbers, durations, enums, lists, paths).  Every
 * problem must name the file (and a line where there is one); every key of
 * every core section reads back after a load, whatever the input was, and
 * its bound struct member (PXH_CONF_BIND) holds the same value. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pxehub/plugin.h"
#include "conf.h"
#include "dhcp/dhcp_module.h"
#include "dhcp6/dhcp6_module.h"
#include "http/http_module.h"
#include "tftp/tftp_module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *name;
	const pxh_conf_key *keys;
	enum pxh_core_section sec;
} sections[] = {
	{"server", pxh_server_keys, PXH_SEC_SERVER}, {"dhcp", pxh_dhcp_keys, PXH_SEC_DHCP},
	{"tftp", pxh_tftp_keys, PXH_SEC_TFTP},       {"http", pxh_http_keys, PXH_SEC_HTTP},
	{"boot", pxh_boot_keys, PXH_SEC_BOOT},       {"access", pxh_access_keys, PXH_SEC_ACCESS},
	{"log", pxh_log_keys, PXH_SEC_LOG},          {"plugins", pxh_plugins_keys, PXH_SEC_PLUGINS},
	{"dhcp6", pxh_dhcp6_keys, PXH_SEC_DHCP6},
};

/* The bound member of K in the section's struct ST agrees with the getters
 * (a value validation refused leaves the member zero). */
static void check_bound(const struct pxh_conf *c, const char *sec, const pxh_conf_key *k,
                        const char *st)
{
	const char *v = pxh_cfg_str(c, sec, NULL, k->name);
	const char *m = st + k->offset;

	if (!st || k->field == PXH_CONF_FIELD_NONE)
		return;
	switch (k->field) {
	case PXH_CONF_FIELD_STR: {
		const char *b = *(const char *const *)(const void *)m;
		if (b && (!v || strcmp(b, v)))
			__builtin_trap();
		break;
	}
	case PXH_CONF_FIELD_LIST: {
		const pxh_conf_list *l = (const pxh_conf_list *)(const void *)m;
		if (l->n != pxh_cfg_list_len(c, sec, NULL, k->name))
			__builtin_trap();
		for (size_t i = 0; i < l->n; i++)
			if (strcmp(l->v[i], pxh_cfg_list_item(c, sec, NULL, k->name, i)))
				__builtin_trap();
		break;
	}
	case PXH_CONF_FIELD_BOOL:
		if (*(const bool *)(const void *)m != pxh_cfg_bool(c, sec, NULL, k->name))
			__builtin_trap();
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tail[] = "\n[plugins]\nconf_dir =\n";
	struct pxh_conf_errors errs = {0};
	struct pxh_conf *c;
	char *text;

	/* no directory of the machine is read: conf_dir stays empty */
	if (size > 64 * 1024 || memmem(data, size, "conf_dir", 8))
		return 0;
	text = malloc(size + sizeof(tail));
	if (!text)
		return 0;
	memcpy(text, data, size);
	memcpy(text + size, tail, sizeof(tail));
	if (memchr(text, 0, size))
		text[strlen(text)] = 0; /* an embedded NUL ends the text there */
	c = pxh_conf_load(NULL, text, &errs);
	for (size_t i = 0; i < errs.n; i++)
		if (strncmp(errs.msg[i], "(embedded)", 10) != 0)
			__builtin_trap();
	for (size_t s = 0; c && s < sizeof(sections) / sizeof(sections[0]); s++) {
		for (const pxh_conf_key *k = sections[s].keys; k->name; k++) {
			const char *v = pxh_cfg_str(c, sections[s].name, NULL, k->name);
			size_t n = pxh_cfg_list_len(c, sections[s].name, NULL, k->name);

			/* a key with a default reads back */
			if (k->def && !v)
				__builtin_trap();
			for (size_t i = 0; i < n; i++)
				if (!pxh_cfg_list_item(c, sections[s].name, NULL, k->name, i))
					__builtin_trap();
			(void)pxh_cfg_int(c, sections[s].name, NULL, k->name);
			(void)pxh_cfg_where(c, sections[s].name, NULL, k->name);
			check_bound(c, sections[s].name, k, pxh_conf_core(c, sections[s].sec));
		}
	}
	pxh_conf_free(c);
	pxh_conf_errors_free(&errs);
	free(text);
	return 0;
}
