/* Counters and gauges for /metrics (Prometheus text) and the status API;
 * plugins add theirs through report hooks. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "plugins.h"
#include "server.h"

struct counter {
	char *name; /* full name with labels */
	char *help;
	uint64_t value;
	pxh_gauge_fn gauge; /* gauges: computed when read */
	void *gauge_ud;
};

struct pxh_counters {
	struct counter **slot; /* open addressing, power of two */
	size_t cap, n;
};

struct pxh_report {
	json_t *obj; /* figures of one plugin */
};

/* HTTP worker loops bump some counters from their threads (atomically):
 * read them the same way. */
static uint64_t counter_value(const struct counter *k)
{
	return __atomic_load_n(&k->value, __ATOMIC_RELAXED);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static int grow(struct pxh_counters *c)
{
	size_t ncap = c->cap ? c->cap * 2 : 128;
	struct counter **ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < c->cap; i++) {
		struct counter *k = c->slot[i];
		size_t j;
		if (!k)
			continue;
		for (j = hash_str(k->name) & (ncap - 1); ns[j]; j = (j + 1) & (ncap - 1))
			;
		ns[j] = k;
	}
	free(c->slot);
	c->slot = ns;
	c->cap = ncap;
	return 0;
}

static struct counter *lookup(struct pxh_server *s, const char *name,
                              const char *help)
{
	struct pxh_counters *c = s->counters;
	size_t j;

	if (!c) {
		c = s->counters = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
	}
	if ((c->n + 1) * 2 > c->cap && grow(c))
		return NULL;
	for (j = hash_str(name) & (c->cap - 1); c->slot[j]; j = (j + 1) & (c->cap - 1))
		if (!strcmp(c->slot[j]->name, name))
			return c->slot[j];
	c->slot[j] = calloc(1, sizeof(struct counter));
	if (!c->slot[j])
		return NULL;
	c->slot[j]->name = strdup(name);
	c->slot[j]->help = strdup(help ? help : "");
	c->n++;
	return c->slot[j];
}

uint64_t *pxh_counter(struct pxh_server *s, const char *name, const char *help)
{
	static uint64_t sink; /* out of memory: count into the void */
	struct counter *k = lookup(s, name, help);

	return k && k->name ? &k->value : &sink;
}

void pxh_gauge(struct pxh_server *s, const char *name, const char *help,
               pxh_gauge_fn fn, void *ud)
{
	struct counter *k = lookup(s, name, help);

	if (k) {
		k->gauge = fn;
		k->gauge_ud = ud;
	}
}

void pxh_counters_free(struct pxh_server *s)
{
	struct pxh_counters *c = s->counters;

	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++) {
		if (!c->slot[i])
			continue;
		free(c->slot[i]->name);
		free(c->slot[i]->help);
		free(c->slot[i]);
	}
	free(c->slot);
	free(c);
	s->counters = NULL;
}

void pxh_counters_each(struct pxh_server *s,
                       void (*fn)(void *ud, const char *name, uint64_t v),
                       void *ud)
{
	struct pxh_counters *c = s->counters;

	for (size_t i = 0; c && i < c->cap; i++)
		if (c->slot[i] && !c->slot[i]->gauge)
			fn(ud, c->slot[i]->name, counter_value(c->slot[i]));
}

/* ---- plugin reports ------------------------------------------------------ */
static bool valid_name(const char *n)
{
	if (!n || !*n)
		return false;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') || *n == '_'))
			return false;
	return true;
}

void pxh_report_counter(pxh_report *r, const char *name, uint64_t value)
{
	if (valid_name(name))
		json_object_set_new(r->obj, name, json_integer((json_int_t)value));
}

void pxh_report_gauge(pxh_report *r, const char *name, double value)
{
	if (valid_name(name))
		json_object_set_new(r->obj, name, json_real(value));
}

void pxh_report_text(pxh_report *r, const char *name, const char *value)
{
	if (valid_name(name))
		json_object_set_new(r->obj, name, json_string(value ? value : ""));
}

/* {"plugin": {"name": value, ...}, ...} from every report hook. */
json_t *pxh_plugin_reports(struct pxh_server *s)
{
	json_t *all = json_object();

	for (struct pxh_hook *k = pxh_hooks(s, PXH_HOOK_REPORT); k; k = k->next) {
		struct pxh_report r = {.obj = json_object()};
		json_t *prev = json_object_get(all, pxh_host_name(k->host));
		k->fn.report(k->ud, &r);
		if (prev)
			json_object_update(prev, r.obj);
		else
			json_object_set(all, pxh_host_name(k->host), r.obj);
		json_decref(r.obj);
	}
	return all;
}

/* Every counter as {"name{labels}": value}. */
json_t *pxh_counters_json(struct pxh_server *s)
{
	json_t *o = json_object();
	struct pxh_counters *c = s->counters;

	for (size_t i = 0; c && i < c->cap; i++) {
		struct counter *k = c->slot[i];
		if (!k)
			continue;
		if (k->gauge)
			json_object_set_new(o, k->name, json_real(k->gauge(s, k->gauge_ud)));
		else
			json_object_set_new(o, k->name, json_integer((json_int_t)counter_value(k)));
	}
	return o;
}

/* ---- Prometheus text ----------------------------------------------------- */
struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t ncap = (b->len + (size_t)n + 1) * 2;
		char *np = realloc(b->p, ncap);
		if (!np)
			return;
		b->p = np;
		b->cap = ncap;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static int cmp_counter(const void *a, const void *b)
{
	return strcmp((*(struct counter *const *)a)->name,
	              (*(struct counter *const *)b)->name);
}

static size_t family_len(const char *name)
{
	const char *brace = strchr(name, '{');
	return brace ? (size_t)(brace - name) : strlen(name);
}

char *pxh_metrics_text(struct pxh_server *s, size_t *len)
{
	struct buf b = {0};
	struct pxh_counters *c = s->counters;
	struct counter **all = NULL;
	size_t n = 0;
	json_t *reports;
	const char *plugin;
	json_t *figs;

	put(&b, "# HELP pxehub_uptime_seconds time since pxehubd started\n"
	        "# TYPE pxehub_uptime_seconds gauge\npxehub_uptime_seconds %.0f\n",
	    ev_now(s->loop) - s->start_time);
	if (c && c->n) {
		all = malloc(c->n * sizeof(*all));
		for (size_t i = 0; all && i < c->cap; i++)
			if (c->slot[i])
				all[n++] = c->slot[i];
		if (all)
			qsort(all, n, sizeof(*all), cmp_counter);
	}
	for (size_t i = 0; i < n; i++) {
		struct counter *k = all[i];
		size_t fl = family_len(k->name);
		if (i == 0 || fl != family_len(all[i - 1]->name) ||
		    strncmp(k->name, all[i - 1]->name, fl)) {
			put(&b, "# HELP %.*s %s\n", (int)fl, k->name, k->help);
			put(&b, "# TYPE %.*s %s\n", (int)fl, k->name,
			    k->gauge ? "gauge" : "counter");
		}
		if (k->gauge)
			put(&b, "%s %g\n", k->name, k->gauge(s, k->gauge_ud));
		else
			put(&b, "%s %llu\n", k->name, (unsigned long long)counter_value(k));
	}
	free(all);
	reports = pxh_plugin_reports(s);
	json_object_foreach(reports, plugin, figs) {
		const char *fig;
		json_t *v;
		json_object_foreach(figs, fig, v) {
			if (json_is_integer(v))
				put(&b, "pxehub_plugin_%s_%s %lld\n", plugin, fig,
				    (long long)json_integer_value(v));
			else if (json_is_real(v))
				put(&b, "pxehub_plugin_%s_%s %g\n", plugin, fig, json_real_value(v));
		}
	}
	json_decref(reports);
	if (len)
		*len = b.len;
	if (!b.p)
		b.p = strdup("");
	return b.p;
}
