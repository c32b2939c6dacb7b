/* libFuzzer: the main configuration file (inih underneath, then the typed
 * key tables: bools, whole numbers, durations, enums, lists, paths).  Every
 * problem must name the file (and a line where there is one); every key of
 * every core section reads back after a load, whatever the input was. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pxehub/plugin.h"
#include "conf.h"
#include "dhcp/dhcp_module.h"
#include "http/http_module.h"
#include "tftp/tftp_module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *name;
	const pxh_conf_key *keys;
} sections[] = {
	{"server", pxh_server_keys}, {"dhcp", pxh_dhcp_keys},     {"tftp", pxh_tftp_keys},
	{"http", pxh_http_keys},     {"boot", pxh_boot_keys},     {"access", pxh_access_keys},
	{"log", pxh_log_keys},       {"plugins", pxh_plugins_keys},
};

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
		}
	}
	pxh_conf_free(c);
	pxh_conf_errors_free(&errs);
	free(text);
	return 0;
}
