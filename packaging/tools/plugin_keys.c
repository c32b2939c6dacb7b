/* plugin_keys: print the key tables of plugin .so files in the format of
 * `pxehubd --dump-config` (for pxehub-plugins(7); see packaging/README.md).
 *
 *   plugin_keys PLUGIN.so...
 *   plugin_keys --common      the keys every [NAME] section has
 *
 * Linked like pxehubd (core library, exported symbols), so a plugin loads
 * with RTLD_NOW as it would in the daemon; its init is never called. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "pxehub/plugin.h"
#include "conf.h"

static int dump_one(const char *path)
{
	const pxh_plugin_descriptor *d;
	char sub[256];
	void *so = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!so) {
		fprintf(stderr, "plugin_keys: %s\n", dlerror());
		return 1;
	}
	d = dlsym(so, PXH_DESCRIPTOR_SYMBOL);
	if (!d || !d->name) {
		fprintf(stderr, "plugin_keys: %s: no %s\n", path, PXH_DESCRIPTOR_SYMBOL);
		dlclose(so);
		return 1;
	}
	printf("# plugin %s %s\n", d->name, d->version ? d->version : "");
	pxh_conf_dump_keys(stdout, d->name, d->keys);
	if (d->sub_keys) {
		snprintf(sub, sizeof(sub), "%s.SUB", d->name);
		pxh_conf_dump_keys(stdout, sub, d->sub_keys);
	}
	/* Left mapped: the descriptor's strings are printed already, and a
	 * plugin's destructors have nothing to undo (init never ran). */
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc == 2 && !strcmp(argv[1], "--common")) {
		pxh_conf_dump_keys(stdout, "NAME", pxh_plugin_common_keys);
		return 0;
	}
	for (int i = 1; i < argc; i++)
		rc |= dump_one(argv[i]);
	return rc;
}
