/* pxehubd: command line, config check (-t), and the main loop. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server.h"
#include "conf.h"
#include "dhcp/dhcp_module.h"
#include "dhcp6/dhcp6_module.h"
#include "http/http_module.h"
#include "log.h"
#include "plugins.h"
#include "tftp/tftp_module.h"

#ifndef PXH_SYSCONFDIR
#define PXH_SYSCONFDIR "/etc"
#endif

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: pxehubd [-c FILE] [-f] [-t] [-v] [--version]\n"
	        "  -c FILE    main config (default %s/pxehub/pxehub.conf)\n"
	        "  -f         log to stderr, even with [log] target = syslog\n"
	        "  -t         check the config and every enabled plugin's config, then exit\n"
	        "  -v         more log output (repeat for debug); with -t, every enabled\n"
	        "             plugin's keys with their defaults and help\n"
	        "  --embedded run on the built-in lab config (make run); --iface NAME\n"
	        "             answers PXE on NAME, else only loopback HTTP/TFTP\n"
	        "  --dump-config  print every key with its default and meaning\n"
	        "  --version  print the version\n",
	        PXH_SYSCONFDIR);
}

/* The configuration `make run` uses: works with no file and no plugin. */
static char *embedded_config(const char *iface)
{
	char cwd[PATH_MAX], *txt = NULL;
	const char *tftp = access("/usr/lib/ipxe/undionly.kpxe", R_OK) == 0
	                           ? "/usr/lib/ipxe" : "";
	bool root = geteuid() == 0;

	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/tmp");
	if (asprintf(&txt,
	             "[server]\nlisten = %s\nuser = %s\nstate_dir = %s/build/run-state\n"
	             "[dhcp]\nenabled = %s\n"
	             "[tftp]\nport = %s\nroot = %s\n"
	             "[http]\nport = %s\nhttps_port = %s\nroot = %s/build/run-http\n"
	             "[boot]\nmenu_dir = %s/etc/menu.d\n"
	             "[access]\nallow = all\n"
	             "[plugins]\nconf_dir =\n",
	             iface ? iface : "127.0.0.1", root ? "nobody" : "", cwd,
	             iface ? "yes" : "no", iface ? "69" : "6969", tftp,
	             iface ? "80" : "8080", iface ? "8050" : "8443", cwd, cwd) < 0)
		return NULL;
	return txt;
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct pxh_server *s = w->data;

	if (w->signum == SIGHUP) {
		struct timespec ts;
		char msg[96];

		/* systemd >= 253 wants the time with RELOADING=1 */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		         (unsigned long long)ts.tv_sec * 1000000ull +
		                 (unsigned long long)ts.tv_nsec / 1000);
		pxh_sd_notify(msg);
		pxh_server_reload(s);
		pxh_sd_notify("READY=1");
		return;
	}
	pxh_server_begin_stop(s, 5.0);
}

/* -t; with -v, the enabled plugins' keys and their help follow "OK". */
static int check_only(struct pxh_conf *conf, struct pxh_conf_errors *errs,
                      const char *path, int verbose)
{
	char *keys = NULL;
	size_t len = 0;
	FILE *f = verbose ? open_memstream(&keys, &len) : NULL;

	pxh_plugins_check(conf, errs, f);
	if (f)
		fclose(f);
	for (size_t i = 0; i < errs->n; i++)
		printf("%s\n", errs->msg[i]);
	if (errs->n) {
		free(keys);
		return 1;
	}
	printf("%s: configuration OK\n", path);
	if (keys && len)
		fputs(keys, stdout);
	free(keys);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"version", no_argument, NULL, 'V'},
		{"embedded", no_argument, NULL, 'E'},
		{"iface", required_argument, NULL, 'I'},
		{"help", no_argument, NULL, 'h'},
		{"dump-config", no_argument, NULL, 'D'},
		{NULL, 0, NULL, 0},
	};
	struct pxh_server srv = {0};
	struct pxh_conf_errors errs = {0};
	struct pxh_conf *conf;
	const char *path = PXH_SYSCONFDIR "/pxehub/pxehub.conf";
	const char *iface = NULL;
	char *text = NULL;
	bool test = false, embedded = false;
	int verbose = 0, c, rc = 1;
	struct ev_loop *loop;
	ev_signal sig_hup, sig_term, sig_int;

	while ((c = getopt_long(argc, argv, "c:ftvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'f': srv.foreground = true; break;
		case 't': test = true; break;
		case 'v': verbose++; break;
		case 'V': printf("pxehubd %s (plugin ABI %d.%d)\n", PXH_VERSION,
		                 PXH_ABI_MAJOR, PXH_ABI_MINOR);
			return 0;
		case 'E': embedded = true; break;
		case 'I': iface = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'D': pxh_conf_dump(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (embedded) {
		text = embedded_config(iface);
		path = "(embedded)";
	}
	conf = pxh_conf_load(embedded ? NULL : path, text, &errs);
	free(text);
	if (!conf) {
		fprintf(stderr, "pxehubd: out of memory\n");
		return 1;
	}
	if (test) {
		rc = check_only(conf, &errs, path, verbose);
		goto out_conf;
	}
	if (errs.n) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "pxehubd: %s\n", errs.msg[i]);
		fprintf(stderr, "pxehubd: %zu problem(s) in the configuration: not starting (check with pxehubd -t -c %s)\n",
		        errs.n, path);
		goto out_conf;
	}
	loop = ev_default_loop(EVFLAG_AUTO);
	if (!loop) {
		fprintf(stderr, "pxehubd: cannot create the event loop\n");
		goto out_conf;
	}
	srv.verbose = verbose;
	srv.conf_path = embedded ? NULL : (char *)path;
	srv.embedded_conf = embedded;
	if (pxh_server_init(&srv, loop, conf)) {
		fprintf(stderr, "pxehubd: out of memory\n");
		goto out_conf;
	}
	conf = NULL; /* the server owns it now */
	signal(SIGPIPE, SIG_IGN);
	pxh_notice("server: pxehubd %s starting, config %s", PXH_VERSION, path);
	if (embedded)
		pxh_notice("server: embedded lab config: %s",
		           iface ? "answering PXE on the given interface with standard ports"
		                 : "no PXE answers (no IFACE=); HTTP on 127.0.0.1:8080, TFTP on 127.0.0.1:6969");
	if (pxh_server_open(&srv) || pxh_server_drop_privileges(&srv) ||
	    pxh_server_start(&srv)) {
		pxh_err("server: not started (see above)");
		goto out_srv;
	}
	ev_signal_init(&sig_hup, on_signal, SIGHUP);
	ev_signal_init(&sig_term, on_signal, SIGTERM);
	ev_signal_init(&sig_int, on_signal, SIGINT);
	sig_hup.data = sig_term.data = sig_int.data = &srv;
	ev_signal_start(loop, &sig_hup);
	ev_signal_start(loop, &sig_term);
	ev_signal_start(loop, &sig_int);
	pxh_log_force(PXH_LOG_NOTICE, "server: ready pid=%d", (int)getpid());
	pxh_sd_notify("READY=1");
	ev_run(loop, 0);
	pxh_notice("server: stopped");
	rc = 0;
out_srv:
	pxh_dhcp_stop(&srv);
	pxh_dhcp6_stop(&srv);
	pxh_tftp_stop(&srv, 0);
	pxh_http_stop(&srv, 0);
	pxh_server_free(&srv);
out_conf:
	pxh_conf_errors_free(&errs);
	pxh_conf_free(conf);
	return rc;
}
