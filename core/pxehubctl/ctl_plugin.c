/* pxehubctl plugin list|enable|disable: the plugins.d directory. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "conf.h"

struct names {
	char **v;
	size_t n;
};

static void names_add(struct names *ns, const char *name, size_t len)
{
	char **nv;

	for (size_t i = 0; i < ns->n; i++)
		if (strlen(ns->v[i]) == len && !strncmp(ns->v[i], name, len))
			return;
	nv = realloc(ns->v, (ns->n + 1) * sizeof(*nv));
	if (!nv)
		return;
	ns->v = nv;
	ns->v[ns->n] = strndup(name, len);
	if (ns->v[ns->n])
		ns->n++;
}

/* Add every DIR/NAME.SUFFIX with a valid plugin name. */
static void scan_dir(struct names *ns, const char *dir, const char *suffix)
{
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	size_t sl = strlen(suffix);

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char name[64];
		if (len <= sl || len - sl >= sizeof(name) ||
		    strcmp(de->d_name + len - sl, suffix))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - sl), de->d_name);
		if (ctl_valid_plugin_name(name))
			names_add(ns, name, len - sl);
	}
	closedir(d);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool file_exists(const char *dir, const char *name, const char *suffix)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int plugin_list(struct pxh_conf *c)
{
	const char *cdir = pxh_plugins_conf(c)->conf_dir;
	const char *sodir = pxh_plugins_conf(c)->dir;
	struct names ns = {0};

	scan_dir(&ns, cdir, ".conf");
	scan_dir(&ns, sodir, ".so");
	qsort(ns.v, ns.n, sizeof(*ns.v), cmp_name);
	printf("%-20s %-8s %-9s %-8s %s\n", "NAME", "ENABLED", "PRIORITY", "SO",
	       "CONFIG");
	for (size_t i = 0; i < ns.n; i++) {
		const char *n = ns.v[i];
		const char *en = pxh_cfg_str(c, n, NULL, "enabled");
		const char *pr = pxh_cfg_str(c, n, NULL, "priority");
		bool on = false;
		bool has_conf = file_exists(cdir, n, ".conf");

		if (en && pxh_parse_bool(en, &on))
			en = "invalid";
		else
			en = on ? "yes" : "no";
		printf("%-20s %-8s %-9s %-8s %s%s%s%s\n", n, en, pr ? pr : "100",
		       file_exists(sodir, n, ".so") ? "yes" : "missing",
		       has_conf ? cdir : "-", has_conf ? "/" : "",
		       has_conf ? n : "", has_conf ? ".conf" : "");
		free(ns.v[i]);
	}
	free(ns.v);
	return CTL_OK;
}

static int plugin_enable(struct pxh_conf *c, const char *name, bool on)
{
	const char *cdir = pxh_plugins_conf(c)->conf_dir;
	const char *sodir = pxh_plugins_conf(c)->dir;
	char path[4096];
	int rc;

	if (!ctl_valid_plugin_name(name)) {
		fprintf(stderr, "pxehubctl: '%s' is not a plugin name (lower case letters, digits and _)\n",
		        name);
		return CTL_USAGE;
	}
	if (!cdir || !*cdir) {
		fprintf(stderr, "pxehubctl: [plugins] conf_dir is not set\n");
		return CTL_FAIL;
	}
	if (on && !file_exists(sodir, name, ".so"))
		fprintf(stderr, "warning: %s/%s.so does not exist: pxehubd will refuse to start until it is installed\n",
		        sodir, name);
	snprintf(path, sizeof(path), "%s/%s.conf", cdir, name);
	rc = ctl_set_enabled(path, name, on);
	if (rc < 0) {
		fprintf(stderr, "pxehubctl: cannot update %s: %s\n", path,
		        strerror(-rc));
		return CTL_FAIL;
	}
	printf("%s: %s in %s; reload pxehubd to apply (systemctl reload pxehub, or kill -HUP)\n",
	       name, on ? "enabled" : "disabled", path);
	return CTL_OK;
}

int ctl_plugin(const char *conf_path, int argc, char **argv)
{
	struct pxh_conf_errors errs = {0};
	struct pxh_conf *c;
	int rc = CTL_USAGE;

	if (argc < 2 || (strcmp(argv[1], "list") && argc != 3) ||
	    (!strcmp(argv[1], "list") && argc != 2)) {
		fprintf(stderr, "usage: pxehubctl [-c FILE] plugin list|enable NAME|disable NAME\n");
		return CTL_USAGE;
	}
	/* Problems elsewhere in the config do not stop plugin management;
	 * pxehubd -t reports them. */
	c = ctl_conf_load(conf_path, false, &errs);
	if (!c) {
		pxh_conf_errors_free(&errs);
		return CTL_FAIL;
	}
	if (!strcmp(argv[1], "list"))
		rc = plugin_list(c);
	else if (!strcmp(argv[1], "enable"))
		rc = plugin_enable(c, argv[2], true);
	else if (!strcmp(argv[1], "disable"))
		rc = plugin_enable(c, argv[2], false);
	else
		fprintf(stderr, "pxehubctl: unknown plugin command '%s' (list, enable, disable)\n",
		        argv[1]);
	pxh_conf_free(c);
	pxh_conf_errors_free(&errs);
	return rc;
}
