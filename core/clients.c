/* Recent boots: each machine's steps, for /api/v1/clients and the status
 * page; also maps a client address back to its MAC for TFTP. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin_host.h"

#define STEPS_PER_CLIENT 32

struct step {
	uint64_t time_us;
	enum pxh_event_kind kind;
	char action[16];
	char plugin[32];
	char file[128];
	char message[160];
	uint64_t bytes;
	uint64_t duration_us;
};

struct client_rec {
	pxh_client c; /* merged facts */
	uint64_t first_us, last_us;
	struct step steps[STEPS_PER_CLIENT];
	size_t nsteps, step_head; /* ring */
};

struct pxh_clients {
	struct client_rec *rec;
	size_t cap, n; /* rec[0..n) in no order; oldest evicted */
};

static struct pxh_clients *table(struct pxh_server *s)
{
	if (!s->clients) {
		long long cap = pxh_cfg_int(s->conf, "log", NULL, "recent_clients");
		s->clients = calloc(1, sizeof(*s->clients));
		if (!s->clients)
			return NULL;
		s->clients->cap = cap > 0 ? (size_t)cap : 256;
		s->clients->rec = calloc(s->clients->cap, sizeof(struct client_rec));
		if (!s->clients->rec) {
			free(s->clients);
			s->clients = NULL;
		}
	}
	return s->clients;
}

void pxh_clients_free(struct pxh_server *s)
{
	if (!s->clients)
		return;
	free(s->clients->rec);
	free(s->clients);
	s->clients = NULL;
}

static struct client_rec *find_mac(struct pxh_clients *t, const char *mac)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->rec[i].c.mac, mac))
			return &t->rec[i];
	return NULL;
}

bool pxh_clients_mac_for_ip(struct pxh_server *s, const char *ip, char mac[18])
{
	struct pxh_clients *t = s->clients;
	struct client_rec *best = NULL;

	if (!t || !ip || !*ip)
		return false;
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->rec[i].c.ip, ip) &&
		    (!best || t->rec[i].last_us > best->last_us))
			best = &t->rec[i];
	if (!best)
		return false;
	memcpy(mac, best->c.mac, 18);
	return true;
}

static void merge_str(char *dst, const char *src, size_t len)
{
	if (src[0])
		snprintf(dst, len, "%s", src);
}

static void merge(pxh_client *d, const pxh_client *c)
{
#define M(f) merge_str(d->f, c->f, sizeof(d->f))
	M(uuid); M(arch_name); M(vendor_class); M(user_class); M(undi); M(ip);
	M(relay); M(iface); M(server_ip); M(manufacturer); M(product); M(serial);
	M(asset); M(platform); M(buildarch);
#undef M
	if (c->arch_name[0]) {
		d->arch = c->arch;
		d->arch_raw = c->arch_raw;
	}
	d->is_ipxe |= c->is_ipxe;
	d->is_http_boot |= c->is_http_boot;
}

void pxh_clients_record(struct pxh_server *s, pxh_event *ev);
void pxh_clients_record(struct pxh_server *s, pxh_event *ev)
{
	struct pxh_clients *t = table(s);
	struct client_rec *r;
	struct step *st;

	if (!t)
		return;
	if (!ev->client.mac[0] && ev->client.ip[0])
		pxh_clients_mac_for_ip(s, ev->client.ip, ev->client.mac);
	if (!ev->client.mac[0])
		return;
	r = find_mac(t, ev->client.mac);
	if (!r) {
		if (t->n < t->cap) {
			r = &t->rec[t->n++];
		} else { /* evict the machine seen least recently */
			r = &t->rec[0];
			for (size_t i = 1; i < t->n; i++)
				if (t->rec[i].last_us < r->last_us)
					r = &t->rec[i];
		}
		memset(r, 0, sizeof(*r));
		memcpy(r->c.mac, ev->client.mac, sizeof(r->c.mac));
		r->first_us = ev->time_us;
	}
	merge(&r->c, &ev->client);
	r->last_us = ev->time_us;
	st = &r->steps[(r->step_head + r->nsteps) % STEPS_PER_CLIENT];
	if (r->nsteps == STEPS_PER_CLIENT)
		r->step_head = (r->step_head + 1) % STEPS_PER_CLIENT;
	else
		r->nsteps++;
	st->time_us = ev->time_us;
	st->kind = ev->kind;
	pxh_strcpy(st->action, sizeof(st->action), ev->action);
	pxh_strcpy(st->plugin, sizeof(st->plugin), ev->plugin);
	pxh_strcpy(st->file, sizeof(st->file), ev->file);
	pxh_strcpy(st->message, sizeof(st->message), ev->message);
	st->bytes = ev->bytes;
	st->duration_us = ev->duration_us;
}

static json_t *time_json(uint64_t us)
{
	return json_real((double)us / 1e6);
}

static json_t *client_json(const struct client_rec *r, bool hide, bool steps)
{
	json_t *o = json_object();
	const pxh_client *c = &r->c;

	json_object_set_new(o, "mac", json_string(c->mac));
	json_object_set_new(o, "arch", json_string(c->arch_name));
	json_object_set_new(o, "ip", json_string(c->ip));
	json_object_set_new(o, "relay", json_string(c->relay));
	json_object_set_new(o, "interface", json_string(c->iface));
	json_object_set_new(o, "ipxe", json_boolean(c->is_ipxe));
	json_object_set_new(o, "first_seen", time_json(r->first_us));
	json_object_set_new(o, "last_seen", time_json(r->last_us));
	if (!hide) {
		json_object_set_new(o, "uuid", json_string(c->uuid));
		json_object_set_new(o, "vendor_class", json_string(c->vendor_class));
		json_object_set_new(o, "user_class", json_string(c->user_class));
		json_object_set_new(o, "manufacturer", json_string(c->manufacturer));
		json_object_set_new(o, "product", json_string(c->product));
		json_object_set_new(o, "serial", json_string(c->serial));
		json_object_set_new(o, "asset", json_string(c->asset));
		json_object_set_new(o, "platform", json_string(c->platform));
	}
	if (steps) {
		json_t *a = json_array();
		for (size_t i = 0; i < r->nsteps; i++) {
			const struct step *st = &r->steps[(r->step_head + i) % STEPS_PER_CLIENT];
			json_t *so = json_object();
			json_object_set_new(so, "time", time_json(st->time_us));
			json_object_set_new(so, "event", json_string(pxh_event_kind_name(st->kind)));
			json_object_set_new(so, "action", json_string(st->action));
			if (st->plugin[0])
				json_object_set_new(so, "plugin", json_string(st->plugin));
			if (st->file[0])
				json_object_set_new(so, "file", json_string(st->file));
			if (st->message[0])
				json_object_set_new(so, "message", json_string(st->message));
			if (st->bytes)
				json_object_set_new(so, "bytes", json_integer((json_int_t)st->bytes));
			if (st->duration_us)
				json_object_set_new(so, "duration_ms",
				                    json_real((double)st->duration_us / 1000.0));
			json_array_append_new(a, so);
		}
		json_object_set_new(o, "steps", a);
	}
	return o;
}

static int cmp_recent(const void *a, const void *b)
{
	const struct client_rec *x = *(const struct client_rec *const *)a;
	const struct client_rec *y = *(const struct client_rec *const *)b;
	return x->last_us < y->last_us ? 1 : x->last_us > y->last_us ? -1 : 0;
}

/* Most recent first. */
static json_t *clients_array(struct pxh_server *s, bool hide, bool steps,
                             size_t max)
{
	json_t *a = json_array();
	struct pxh_clients *t = s->clients;
	const struct client_rec **v;

	if (!t || !t->n)
		return a;
	v = malloc(t->n * sizeof(*v));
	if (!v)
		return a;
	for (size_t i = 0; i < t->n; i++)
		v[i] = &t->rec[i];
	qsort(v, t->n, sizeof(*v), cmp_recent);
	for (size_t i = 0; i < t->n && i < max; i++)
		json_array_append_new(a, client_json(v[i], hide, steps));
	free(v);
	return a;
}

static char *dump(json_t *o)
{
	char *txt = json_dumps(o, JSON_INDENT(1) | JSON_REAL_PRECISION(16));
	json_decref(o);
	return txt;
}

char *pxh_clients_json(struct pxh_server *s, bool hide_facts)
{
	json_t *o = json_object();

	json_object_set_new(o, "clients", clients_array(s, hide_facts, true, (size_t)-1));
	return dump(o);
}

char *pxh_status_json(struct pxh_server *s, bool hide_facts)
{
	json_t *o = json_object();
	json_t *plugins = json_array();
	struct pxh_plugins *p = s->plugins;

	json_object_set_new(o, "version", json_string(PXH_VERSION));
	json_object_set_new(o, "uptime_seconds",
	                    json_real(ev_now(s->loop) - s->start_time));
	json_object_set_new(o, "started", json_integer((json_int_t)s->start_wall));
	json_object_set_new(o, "tftp_active", json_integer((json_int_t)pxh_tftp_active(s)));
	json_object_set_new(o, "http_active", json_integer((json_int_t)pxh_http_active(s)));
	for (size_t i = 0; p && i < p->n; i++) {
		json_t *po = json_object();
		json_object_set_new(po, "name", json_string(p->hosts[i]->name));
		json_object_set_new(po, "version",
		                    json_string(p->hosts[i]->desc->version ? p->hosts[i]->desc->version : ""));
		json_object_set_new(po, "priority", json_integer(p->hosts[i]->priority));
		json_array_append_new(plugins, po);
	}
	json_object_set_new(o, "plugins", plugins);
	json_object_set_new(o, "counters", pxh_counters_json(s));
	json_object_set_new(o, "plugin_reports", pxh_plugin_reports(s));
	json_object_set_new(o, "recent", clients_array(s, hide_facts, false, 20));
	return dump(o);
}
