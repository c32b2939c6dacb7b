/* pxehubctl status: a running pxehubd's /api/v1/status, for people. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "conf.h"
#include "listen_addr.h"

static void print_duration(double secs)
{
	unsigned long long s = secs > 0 ? (unsigned long long)secs : 0;

	if (s >= 86400)
		printf("%llud ", s / 86400);
	printf("%02llu:%02llu:%02llu", s / 3600 % 24, s / 60 % 60, s % 60);
}

/* Wall-clock stamps (seconds since the epoch) as local time. */
static bool is_time_key(const char *key)
{
	size_t n = key ? strlen(key) : 0;

	return key && (!strcmp(key, "started") || (n > 5 && !strcmp(key + n - 5, "_seen")) ||
	               (n > 5 && !strcmp(key + n - 5, "_time")) || !strcmp(key, "time"));
}

static bool print_time(const char *key, double t)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;

	if (!is_time_key(key) || t < 1e9 || !localtime_r(&tt, &tm))
		return false;
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	fputs(buf, stdout);
	return true;
}

static void print_scalar(const char *key, json_t *v)
{
	if (json_is_number(v) && print_time(key, json_number_value(v)))
		return;
	switch (json_typeof(v)) {
	case JSON_STRING:
		fputs(json_string_value(v), stdout);
		break;
	case JSON_INTEGER:
		if (key && strstr(key, "uptime"))
			print_duration((double)json_integer_value(v));
		else
			printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		if (key && strstr(key, "uptime"))
			print_duration(json_real_value(v));
		else
			printf("%g", json_real_value(v));
		break;
	case JSON_TRUE:
		fputs("yes", stdout);
		break;
	case JSON_FALSE:
		fputs("no", stdout);
		break;
	case JSON_NULL:
		fputs("-", stdout);
		break;
	default:
		break;
	}
}

static bool is_scalar(json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

/* One object on one line: "k=v k=v" (nested values as JSON). */
static void print_inline(json_t *o)
{
	const char *k;
	json_t *v;
	bool first = true;

	json_object_foreach(o, k, v) {
		if (json_is_string(v) && !*json_string_value(v))
			continue;
		printf("%s%s=", first ? "" : " ", k);
		first = false;
		if (is_scalar(v)) {
			print_scalar(k, v);
		} else {
			char *t = json_dumps(v, JSON_COMPACT);
			fputs(t ? t : "?", stdout);
			free(t);
		}
	}
}

static void print_value(const char *key, json_t *v, int indent);

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Counters: sorted, zeros left out (there are many). */
static void print_counters(json_t *o, int indent)
{
	size_t n = json_object_size(o), k = 0, zeros = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	const char *key;
	json_t *v;

	if (!keys)
		return;
	json_object_foreach(o, key, v)
		keys[k++] = key;
	qsort(keys, k, sizeof(*keys), cmp_key);
	for (size_t i = 0; i < k; i++) {
		v = json_object_get(o, keys[i]);
		if (json_is_number(v) && json_number_value(v) == 0) {
			zeros++;
			continue;
		}
		printf("%*s%s: ", indent, "", keys[i]);
		print_scalar(keys[i], v);
		putchar('\n');
	}
	if (zeros)
		printf("%*s(%zu more at 0)\n", indent, "", zeros);
	free(keys);
}

static void print_object(json_t *o, int indent)
{
	const char *k;
	json_t *v;

	/* Scalars first, so the headline facts lead. */
	json_object_foreach(o, k, v) {
		if (!is_scalar(v))
			continue;
		printf("%*s%s: ", indent, "", k);
		print_scalar(k, v);
		putchar('\n');
	}
	json_object_foreach(o, k, v)
		if (!is_scalar(v))
			print_value(k, v, indent);
}

static void print_value(const char *key, json_t *v, int indent)
{
	size_t i;
	json_t *e;

	if (json_is_object(v)) {
		printf("%*s%s:%s\n", indent, "", key, json_object_size(v) ? "" : " (none)");
		if (!strcmp(key, "counters"))
			print_counters(v, indent + 2);
		else
			print_object(v, indent + 2);
		return;
	}
	printf("%*s%s:", indent, "", key);
	if (!json_array_size(v)) {
		puts(" (none)");
		return;
	}
	putchar('\n');
	json_array_foreach(v, i, e) {
		printf("%*s- ", indent + 2, "");
		if (json_is_object(e))
			print_inline(e);
		else if (is_scalar(e))
			print_scalar(key, e);
		else
			fputs("[...]", stdout);
		putchar('\n');
	}
}

/* http://ADDR:PORT of this host's pxehubd, from its config. */
static void default_url(const char *conf_path, char *url, size_t len)
{
	struct pxh_conf_errors errs = {0};
	struct pxh_conf *c = ctl_conf_load(conf_path, false, &errs);
	long long port = 80;
	const char *addr = "127.0.0.1";
	char v6[INET6_ADDRSTRLEN + IF_NAMESIZE + 4] = "";

	if (c) {
		size_t n = pxh_server_conf(c)->listen.n;
		port = pxh_cfg_int(c, "http", NULL, "port");
		/* Listening on named addresses only: ask the first IPv4 one,
		 * else the first IPv6 one ("[2001:db8::1]", "[fe80::1%eth0]") */
		for (size_t i = 0; i < n; i++) {
			const char *a = pxh_server_conf(c)->listen.v[i];
			struct pxh_listen_item it;
			char why[160], text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];

			if (a && strspn(a, "0123456789.") == strlen(a)) {
				addr = a;
				v6[0] = 0;
				break;
			}
			if (!v6[0] && a && pxh_listen_parse(a, true, &it, why, sizeof(why)) == 0 &&
			    it.kind == PXH_LISTEN_ADDR && it.a.sa.sa_family == AF_INET6) {
				pxh_sockaddr_text(&it.a, text, sizeof(text));
				snprintf(v6, sizeof(v6), "[%s]", text);
			}
		}
		if (v6[0])
			addr = v6;
	}
	if (port <= 0) {
		if (c)
			fprintf(stderr, "pxehubctl: [http] port is off in %s; give --url https://HOST:PORT (with curl)\n",
			        conf_path);
		port = 80;
	}
	snprintf(url, len, "http://%s:%lld", addr, port);
	pxh_conf_free(c);
	pxh_conf_errors_free(&errs);
}

void ctl_base_url(const char *conf_path, const char *url_arg, char *base,
                  size_t base_len)
{
	char *api;

	if (url_arg && *url_arg)
		snprintf(base, base_len, "%s", url_arg);
	else
		default_url(conf_path, base, base_len);
	/* Accept the server's base URL or the full URL of a route. */
	if (strlen(base) > 8 && (api = strstr(base + 8, "/api/")))
		*api = 0;
	while (strlen(base) > 8 && base[strlen(base) - 1] == '/')
		base[strlen(base) - 1] = 0;
}

json_t *ctl_api_fetch(const char *conf_path, const char *url_arg,
                      const char *token, double timeout, const char *path,
                      char *base, size_t base_len)
{
	char url[1024], err[512] = "", *body = NULL;
	size_t blen;
	json_t *j;
	json_error_t jerr;
	int status;

	ctl_base_url(conf_path, url_arg, base, base_len);
	snprintf(url, sizeof(url), "%s%s", base, path);
	status = ctl_http_get(url, token && *token ? token : NULL,
	                      timeout > 0 ? timeout : 5, &body, &blen, err,
	                      sizeof(err));
	if (status < 0) {
		fprintf(stderr, "pxehubctl: %s\n", err);
		return NULL;
	}
	if (status != 200) {
		json_t *e = json_loadb(body, blen, 0, NULL);
		const char *why = json_string_value(json_object_get(e, "error"));

		fprintf(stderr, "pxehubctl: %s: HTTP %d%s%s%s\n", url, status,
		        why ? ": " : "", why ? why : "",
		        status == 401 || status == 403 ? " (give --token or set PXEHUB_TOKEN)" : "");
		json_decref(e);
		free(body);
		return NULL;
	}
	j = json_loadb(body, blen, 0, &jerr);
	free(body);
	if (!json_is_object(j)) {
		fprintf(stderr, "pxehubctl: %s: not a JSON object (%s)\n", url, jerr.text);
		json_decref(j);
		return NULL;
	}
	return j;
}

json_t *ctl_status_fetch(const char *conf_path, const char *url_arg,
                         const char *token, double timeout, char *base,
                         size_t base_len)
{
	return ctl_api_fetch(conf_path, url_arg, token, timeout, "/api/v1/status",
	                     base, base_len);
}

int ctl_status(const char *conf_path, int argc, char **argv)
{
	static const struct option opts[] = {
		{"url", required_argument, NULL, 'u'},
		{"token", required_argument, NULL, 't'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 'T'},
		{NULL, 0, NULL, 0},
	};
	const char *token = getenv("PXEHUB_TOKEN");
	char base[512] = "", url_arg[512] = "";
	double timeout = 5;
	bool raw = false;
	json_t *j;
	int ch;

	while ((ch = getopt_long(argc, argv, "u:t:jT:", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			snprintf(url_arg, sizeof(url_arg), "%s", optarg);
			break;
		case 't':
			token = optarg;
			break;
		case 'j':
			raw = true;
			break;
		case 'T':
			timeout = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: pxehubctl status [--url http://HOST:PORT] [--token T] [--json] [--timeout S]\n");
			return CTL_USAGE;
		}
	}
	j = ctl_status_fetch(conf_path, url_arg, token, timeout, base, sizeof(base));
	if (!j)
		return CTL_FAIL;
	if (raw) {
		char *txt = json_dumps(j, JSON_COMPACT);

		puts(txt ? txt : "{}");
		free(txt);
		json_decref(j);
		return CTL_OK;
	}
	printf("server: %s\n", base);
	print_object(j, 0);
	json_decref(j);
	return CTL_OK;
}
