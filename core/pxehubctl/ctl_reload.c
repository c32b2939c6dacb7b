/* pxehubctl reload: SIGHUP to this host's pxehubd, then wait for its
 * verdict in /api/v1/status, so a refused reload is an exit status (a
 * certificate renewal hook, a config management run) and not only a log
 * line.  systemctl reload returns before pxehubd has read anything. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static long long reload_count(json_t *st)
{
	json_t *c = json_object_get(st, "config");

	return json_integer_value(json_object_get(c, "reloads")) +
	       json_integer_value(json_object_get(c, "reloads_refused"));
}

/* The status names a process of this host that is pxehubd: its pid is
 * only meaningful here, and only a pxehubd gets the signal. */
static bool is_pxehubd(long long pid)
{
	char path[64], comm[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%lld/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	return !strcmp(comm, "pxehubd");
}

int ctl_reload(const char *conf_path, int argc, char **argv)
{
	static const struct option opts[] = {
		{"url", required_argument, NULL, 'u'},
		{"token", required_argument, NULL, 't'},
		{"timeout", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	const char *token = getenv("PXEHUB_TOKEN");
	char base[512] = "", url_arg[512] = "";
	double timeout = 30, end;
	long long pid, before;
	json_t *st, *c;
	int ch;

	while ((ch = getopt_long(argc, argv, "u:t:T:", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': snprintf(url_arg, sizeof(url_arg), "%s", optarg); break;
		case 't': token = optarg; break;
		case 'T': timeout = atof(optarg); break;
		default:
			fprintf(stderr, "usage: pxehubctl reload [--url http://127.0.0.1:PORT] [--token T] [--timeout S]\n");
			return CTL_USAGE;
		}
	}
	if (timeout <= 0)
		timeout = 30;
	st = ctl_status_fetch(conf_path, url_arg, token, 5, base, sizeof(base));
	if (!st)
		return CTL_FAIL;
	pid = json_integer_value(json_object_get(st, "pid"));
	before = reload_count(st);
	json_decref(st);
	if (pid <= 1 || !is_pxehubd(pid)) {
		fprintf(stderr, "pxehubctl: %s says pid %lld, which is no pxehubd of this host "
		        "(reload works on the local server only)\n", base, pid);
		return CTL_FAIL;
	}
	if (kill((pid_t)pid, SIGHUP) < 0) {
		fprintf(stderr, "pxehubctl: cannot signal pxehubd (pid %lld): %s%s\n", pid,
		        strerror(errno),
		        errno == EPERM ? " (run as root or as the user pxehubd runs as)" : "");
		return CTL_FAIL;
	}
	end = ctl_mono() + timeout;
	while (ctl_mono() < end) {
		usleep(100 * 1000);
		st = ctl_status_fetch(conf_path, url_arg, token, 5, base, sizeof(base));
		if (!st)
			return CTL_FAIL;
		if (reload_count(st) > before)
			break;
		json_decref(st);
		st = NULL;
	}
	if (!st) {
		fprintf(stderr, "pxehubctl: pxehubd (pid %lld) did not finish the reload within %.0f s\n",
		        pid, timeout);
		return CTL_FAIL;
	}
	c = json_object_get(st, "config");
	if (!strcmp(json_string_value(json_object_get(c, "last_reload")) ?: "", "ok")) {
		printf("pxehubd (pid %lld) reloaded its configuration\n", pid);
		json_decref(st);
		return CTL_OK;
	}
	fprintf(stderr, "pxehubctl: pxehubd (pid %lld) refused the reload, the old configuration "
	        "keeps running: %s\n", pid,
	        json_string_value(json_object_get(c, "last_reload_error"))
	                ?: "(the reason is in its log; give --token to see it here)");
	json_decref(st);
	return CTL_FAIL;
}
