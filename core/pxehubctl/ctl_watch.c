/* pxehubctl watch (the live event stream in a terminal) and pxehubctl
 * history MAC (one machine's story), plain text or JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

struct api_opts {
	char url[512];
	const char *token;
	double timeout;
	bool json;
};

/* The options both commands take; returns the index of the first operand
 * or -1 after a usage message. */
static int common_opt(int ch, struct api_opts *o)
{
	switch (ch) {
	case 'u':
		snprintf(o->url, sizeof(o->url), "%s", optarg);
		return 1;
	case 't':
		o->token = optarg;
		return 1;
	case 'j':
		o->json = true;
		return 1;
	case 'T':
		o->timeout = atof(optarg);
		return 1;
	default:
		return 0;
	}
}

static const char *str(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* Local wall-clock time of epoch seconds T, "HH:MM:SS.mmm". */
static const char *clock_text(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	localtime_r(&s, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (int)((t - (double)s) * 1000));
	return buf;
}

static const char *size_text(double b, char *buf, size_t len)
{
	if (b >= 1 << 30)
		snprintf(buf, len, "%.1f GiB", b / (1 << 30));
	else if (b >= 1 << 20)
		snprintf(buf, len, "%.1f MiB", b / (1 << 20));
	else if (b >= 1 << 10)
		snprintf(buf, len, "%.1f KiB", b / (1 << 10));
	else
		snprintf(buf, len, "%.0f B", b);
	return buf;
}

/* ---- watch ------------------------------------------------------------------ */
struct watch {
	bool json;
	long count, seen;
};

static int on_event(void *ud, const char *event, const char *data)
{
	struct watch *w = ud;
	json_t *e;
	char t[32], sz[32];

	if (w->json) {
		if (!strcmp(event, "dropped"))
			printf("{\"dropped\":%s}\n", strchr(data, ':') ? strchr(data, ':') + 1 : "0}");
		else
			printf("%s\n", data);
		fflush(stdout);
		goto counted;
	}
	e = json_loads(data, 0, NULL);
	if (!strcmp(event, "dropped")) {
		printf("-- %lld events dropped by the server (this terminal reads too slowly)\n",
		       (long long)json_integer_value(json_object_get(e, "dropped")));
	} else if (json_is_object(e)) {
		json_t *b = json_object_get(e, "bytes");

		printf("%s %-17s %-15s %-14s %-8s", clock_text(json_number_value(json_object_get(e, "time")), t, sizeof(t)),
		       *str(e, "mac") ? str(e, "mac") : "-", *str(e, "ip") ? str(e, "ip") : "-",
		       str(e, "event"), *str(e, "action") ? str(e, "action") : "-");
		if (*str(e, "file"))
			printf(" %s", str(e, "file"));
		if (b)
			printf(" %s", size_text(json_number_value(b), sz, sizeof(sz)));
		if (json_object_get(e, "duration_ms"))
			printf(" in %.2f s", json_number_value(json_object_get(e, "duration_ms")) / 1000);
		if (*str(e, "plugin"))
			printf(" by %s", str(e, "plugin"));
		if (*str(e, "msg"))
			printf(" (%s)", str(e, "msg"));
		putchar('\n');
	}
	json_decref(e);
	fflush(stdout);
counted:
	return w->count > 0 && ++w->seen >= w->count;
}

int ctl_watch(const char *conf_path, int argc, char **argv)
{
	static const struct option opts[] = {
		{"url", required_argument, NULL, 'u'},
		{"token", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 'T'},
		{"mac", required_argument, NULL, 'm'},
		{"kind", required_argument, NULL, 'k'},
		{"count", required_argument, NULL, 'n'},
		{"for", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	struct api_opts o = {.token = getenv("PXEHUB_TOKEN"), .timeout = 5};
	struct watch w = {0};
	char base[512], url[1024], err[512] = "", mac[64] = "", kind[256] = "";
	double for_s = 0;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "u:t:jT:m:k:n:f:", opts, NULL)) != -1) {
		if (common_opt(ch, &o))
			continue;
		switch (ch) {
		case 'm':
			snprintf(mac, sizeof(mac), "%s", optarg);
			break;
		case 'k':
			snprintf(kind, sizeof(kind), "%s", optarg);
			break;
		case 'n':
			w.count = atol(optarg);
			break;
		case 'f':
			for_s = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: pxehubctl watch [--url URL] [--token T] [--json] [--mac MAC] [--kind K1,K2] [--count N] [--for S]\n");
			return CTL_USAGE;
		}
	}
	if (strspn(mac, "0123456789abcdefABCDEF:-") != strlen(mac) ||
	    strspn(kind, "abcdefghijklmnopqrstuvwxyz_,") != strlen(kind)) {
		fprintf(stderr, "pxehubctl: --mac takes a MAC address, --kind event kinds (dhcp_request,tftp_end,...)\n");
		return CTL_USAGE;
	}
	w.json = o.json;
	ctl_base_url(conf_path, o.url, base, sizeof(base));
	snprintf(url, sizeof(url), "%s/api/v1/events%s%s%s%s%s", base,
	         mac[0] || kind[0] ? "?" : "", mac[0] ? "mac=" : "", mac,
	         mac[0] && kind[0] ? "&" : "", kind[0] ? "kind=" : "");
	if (kind[0])
		snprintf(url + strlen(url), sizeof(url) - strlen(url), "%s", kind);
	rc = ctl_http_stream(url, o.token && *o.token ? o.token : NULL, o.timeout,
	                     for_s, on_event, &w, err, sizeof(err));
	if (rc == 0)
		return CTL_OK;
	if (rc > 0)
		fprintf(stderr, "pxehubctl: %s: HTTP %d%s %s", url, rc,
		        rc == 401 || rc == 403 ? " (give --token or set PXEHUB_TOKEN)" : "", err);
	else
		fprintf(stderr, "pxehubctl: %s\n", err);
	return CTL_FAIL;
}

/* ---- history ---------------------------------------------------------------- */
static void print_boot(json_t *b, size_t n)
{
	double start = json_number_value(json_object_get(b, "start"));
	json_t *d = json_object_get(b, "decision"), *a, *x;
	char t[32], sz[32];
	size_t i;

	printf("\nboot %zu: %s", n, clock_text(start, t, sizeof(t)));
	{
		time_t s = (time_t)start;
		struct tm tm;
		char day[32];

		localtime_r(&s, &tm);
		strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		printf(" %s, %.1f s\n", day,
		       json_number_value(json_object_get(b, "end")) - start);
	}
	if (d)
		printf("  decision: %s by %s%s%s\n", str(d, "verdict"),
		       *str(d, "plugin") ? str(d, "plugin") : "(none)",
		       *str(d, "reason") ? ": " : "", str(d, "reason"));
	a = json_object_get(b, "phases");
	if (json_array_size(a)) {
		printf("  phases:");
		json_array_foreach(a, i, x)
			printf(" %s %.0f ms%s", str(x, "phase"),
			       json_number_value(json_object_get(x, "ms")),
			       i + 1 < json_array_size(a) ? "," : "");
		putchar('\n');
	}
	a = json_object_get(b, "downloads");
	json_array_foreach(a, i, x)
		printf("  download: %s %s %s in %.2f s (%s)\n", str(x, "proto"),
		       str(x, "file"), size_text(json_number_value(json_object_get(x, "bytes")), sz, sizeof(sz)),
		       json_number_value(json_object_get(x, "duration_ms")) / 1000,
		       str(x, "result"));
	a = json_object_get(b, "steps");
	json_array_foreach(a, i, x) {
		double tt = json_number_value(json_object_get(x, "time"));
		json_t *by = json_object_get(x, "bytes");

		printf("  %+9.3f s  %-14s %-8s", tt - start, str(x, "event"),
		       *str(x, "action") ? str(x, "action") : "-");
		if (*str(x, "file"))
			printf(" %s", str(x, "file"));
		if (by)
			printf(" %s", size_text(json_number_value(by), sz, sizeof(sz)));
		if (*str(x, "plugin"))
			printf(" by %s", str(x, "plugin"));
		if (*str(x, "message"))
			printf(" (%s)", str(x, "message"));
		putchar('\n');
	}
}

int ctl_history(const char *conf_path, int argc, char **argv)
{
	static const struct option opts[] = {
		{"url", required_argument, NULL, 'u'},
		{"token", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	static const char *const facts[] = {"ip", "arch", "uuid", "manufacturer",
	                                    "product", "serial", "asset", "relay",
	                                    "interface", "boot_program", NULL};
	struct api_opts o = {.token = getenv("PXEHUB_TOKEN"), .timeout = 5};
	char base[512], path[128];
	const char *mac;
	json_t *j, *b;
	size_t i;
	int ch;

	while ((ch = getopt_long(argc, argv, "u:t:jT:", opts, NULL)) != -1) {
		if (!common_opt(ch, &o)) {
			fprintf(stderr, "usage: pxehubctl history [--url URL] [--token T] [--json] MAC\n");
			return CTL_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: pxehubctl history [--url URL] [--token T] [--json] MAC\n");
		return CTL_USAGE;
	}
	mac = argv[optind];
	if (!*mac || strspn(mac, "0123456789abcdefABCDEF:-") != strlen(mac) || strlen(mac) > 17) {
		fprintf(stderr, "pxehubctl: '%s' is not a MAC address\n", mac);
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/clients/%s", mac);
	j = ctl_api_fetch(conf_path, o.url, o.token, o.timeout, path, base, sizeof(base));
	if (!j)
		return CTL_FAIL;
	if (o.json) {
		char *txt = json_dumps(j, JSON_INDENT(1) | JSON_REAL_PRECISION(16));

		puts(txt ? txt : "{}");
		free(txt);
		json_decref(j);
		return CTL_OK;
	}
	printf("%s\n", str(j, "mac"));
	for (i = 0; facts[i]; i++)
		if (*str(j, facts[i]))
			printf("  %-13s %s\n", facts[i], str(j, facts[i]));
	json_array_foreach(json_object_get(j, "boots"), i, b)
		print_boot(b, i + 1);
	json_decref(j);
	return CTL_OK;
}
