/* pxehubctl: command-line entry point (plugin, status, watch, history, reload, decide, sccm). */
#include <ev.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "headless.h"
#include "conf.h"
#include "log.h"
#include "server.h"

#ifndef PXH_SYSCONFDIR
#define PXH_SYSCONFDIR "/etc"
#endif

static void usage(FILE *f)
{
	fputs("usage: pxehubctl [-c FILE] COMMAND ...\n"
	      "  plugin list                 plugins in [plugins] conf_dir and dir\n"
	      "  plugin enable NAME          set enabled = yes in plugins.d/NAME.conf\n"
	      "  plugin disable NAME         set enabled = no\n"
	      "  status [--url URL] [--token T] [--json]\n"
	      "                              read a running pxehubd's /api/v1/status\n"
	      "  watch [--url URL] [--token T] [--json] [--mac MAC] [--kind K,..]\n"
	      "        [--count N] [--for S]\n"
	      "                              boots as they happen (the live event\n"
	      "                              stream, GET /api/v1/events)\n"
	      "  history [--url URL] [--token T] [--json] MAC\n"
	      "                              one machine's story: its boots, the\n"
	      "                              decision, phases, downloads, events\n"
	      "  reload [--url URL] [--token T] [--timeout S]\n"
	      "                              SIGHUP this host's pxehubd and wait for\n"
	      "                              the verdict: exit 1 when it is refused\n"
	      "  decide --mac MAC [--arch ARCH] [--uuid UUID] [--user-class iPXE]\n"
	      "         [--phase dhcp|ipxe] [--vendor-class TEXT] [--ip ADDR]\n"
	      "                              run the decision chain for a made-up\n"
	      "                              client and print the answer (dry run:\n"
	      "                              nothing is sent)\n"
	      "  sccm check --mac MAC [--uuid UUID] [--arch ARCH] [--save FILE]\n"
	      "             [--json] [--no-helptext] [--mp] [-v]\n"
	      "                              validate sccm_sql against the site:\n"
	      "                              one lookup, each result checked; exit 1\n"
	      "                              when the plugin would not work (--mp:\n"
	      "                              sccm_mp_http's exchanges instead)\n"
	      "options:\n"
	      "  -c FILE     main config (default " PXH_SYSCONFDIR "/pxehub/pxehub.conf)\n"
	      "  -h, --help  this text;  --version  the version\n", f);
}

bool ctl_valid_plugin_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 31)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '_'))
			return false;
	return true;
}

struct pxh_conf *ctl_conf_load(const char *conf_path, bool warn,
                               struct pxh_conf_errors *errs)
{
	struct pxh_conf *c;

	if (access(conf_path, R_OK)) {
		fprintf(stderr, "pxehubctl: cannot read %s: %m (use -c FILE)\n",
		        conf_path);
		return NULL;
	}
	c = pxh_conf_load(conf_path, NULL, errs);
	if (!c) {
		fprintf(stderr, "pxehubctl: out of memory\n");
		return NULL;
	}
	for (size_t i = 0; warn && i < errs->n; i++)
		fprintf(stderr, "warning: %s\n", errs->msg[i]);
	return c;
}

struct pxh_conf *ctl_conf_load_strict(const char *conf_path, struct pxh_conf_errors *errs)
{
	struct pxh_conf *c = ctl_conf_load(conf_path, true, errs);

	if (c && errs->n) {
		fprintf(stderr, "pxehubctl: pxehubd would not start with %s (see above)\n",
		        conf_path);
		pxh_conf_free(c);
		return NULL;
	}
	return c;
}

int ctl_headless(struct pxh_server *srv, struct pxh_conf *conf, bool verbose,
                 struct pxh_conf_errors *errs)
{
	/* Plugins never run as root: switch users as pxehubd does. */
	if (pxh_headless_start(srv, ev_default_loop(0), conf,
	                       verbose ? PXH_LOG_DEBUG : PXH_LOG_WARNING, geteuid() == 0, errs)) {
		for (size_t i = 0; i < errs->n; i++)
			fprintf(stderr, "pxehubctl: %s\n", errs->msg[i]);
		pxh_headless_stop(srv, 0);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"config", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	const char *conf = PXH_SYSCONFDIR "/pxehub/pxehub.conf";
	int ch;

	/* '+': stop at the command; its own options follow it. */
	while ((ch = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		case 'V':
			printf("pxehubctl %s (plugin ABI %d.%d)\n", PXH_VERSION,
			       PXH_ABI_MAJOR, PXH_ABI_MINOR);
			return CTL_OK;
		default:
			usage(stderr);
			return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	argc -= optind;
	argv += optind;
	optind = 1; /* the command's getopt starts afresh after argv[0] */
	pxh_log_setup(PXH_LOG_WARNING, false);
	if (!strcmp(argv[0], "plugin"))
		return ctl_plugin(conf, argc, argv);
	if (!strcmp(argv[0], "status"))
		return ctl_status(conf, argc, argv);
	if (!strcmp(argv[0], "watch"))
		return ctl_watch(conf, argc, argv);
	if (!strcmp(argv[0], "history"))
		return ctl_history(conf, argc, argv);
	if (!strcmp(argv[0], "decide"))
		return ctl_decide(conf, argc, argv);
	if (!strcmp(argv[0], "reload"))
		return ctl_reload(conf, argc, argv);
	if (!strcmp(argv[0], "sccm"))
		return ctl_sccm(conf, argc, argv);
	fprintf(stderr, "pxehubctl: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return CTL_USAGE;
}
