/* Recent boots: each machine's steps, for /api/v1/clients and the status
 * page; also maps a client address back to its MAC for TFTP. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clients.h"
#include "conf.h"
#include "counters.h"
#include "events.h"
#include "listening.h"
#include "plugins.h"
#include "server.h"
#include "str.h"

#define STEPS_PER_CLIENT 64 /* a boot is 10-30 events */
#define BOOT_GAP_US (120 * 1000000ull) /* quiet this long: a new boot */
#define NOW_WINDOW 120.0 /* seconds a machine stays in Now after its last event */
#define NOW_MAX 512 /* rows of Now, and transfers looked at */

struct step {
	uint64_t time_us;
	enum pxh_event_kind kind;
	char action[16];
	char plugin[32];
	char file[128];
	char message[200];
	uint64_t bytes;
	uint32_t blksize, retransmits;
	uint64_t duration_us;
};

struct client_rec {
	pxh_client c; /* merged facts */
	char boot_program[8]; /* "ipxe" or "grub": the last script it fetched */
	uint64_t first_us, last_us;
	uint64_t bound_us; /* last event allowed to tie the MAC to c.ip */
	struct step steps[STEPS_PER_CLIENT];
	size_t nsteps, step_head; /* ring */
	/* table links: indexes into rec[], -1 = none */
	int mac_next, ip_next, newer, older;
	uint32_t ip_hash;
	bool ip_dhcp; /* c.ip came from a DHCP-phase event */
};

/* A fixed table: hash chains by MAC and by IP, and a recency list whose
 * oldest entry is reused when the table is full.  Events arrive several
 * times per packet, so every step here is O(1). */
struct pxh_clients {
	struct client_rec *rec;
	size_t cap, n;
	int *mac_head, *ip_head; /* nbuckets each */
	size_t nbuckets;         /* power of two */
	int newest, oldest;
};

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct pxh_clients *table(struct pxh_server *s)
{
	struct pxh_clients *t;
	long long cap;

	if (s->clients)
		return s->clients;
	cap = pxh_log_conf(s->conf)->recent_clients;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cap = cap > 0 ? (size_t)cap : 256;
	for (t->nbuckets = 16; t->nbuckets < t->cap * 2; t->nbuckets *= 2)
		;
	t->rec = calloc(t->cap, sizeof(struct client_rec));
	t->mac_head = malloc(t->nbuckets * sizeof(int));
	t->ip_head = malloc(t->nbuckets * sizeof(int));
	if (!t->rec || !t->mac_head || !t->ip_head) {
		free(t->rec);
		free(t->mac_head);
		free(t->ip_head);
		free(t);
		return NULL;
	}
	for (size_t i = 0; i < t->nbuckets; i++)
		t->mac_head[i] = t->ip_head[i] = -1;
	t->newest = t->oldest = -1;
	s->clients = t;
	return t;
}

void pxh_clients_free(struct pxh_server *s)
{
	struct pxh_clients *t = s->clients;

	if (!t)
		return;
	free(t->rec);
	free(t->mac_head);
	free(t->ip_head);
	free(t);
	s->clients = NULL;
}

static int find_mac(struct pxh_clients *t, const char *mac)
{
	int i = t->mac_head[hash_str(mac) & (t->nbuckets - 1)];

	for (; i >= 0; i = t->rec[i].mac_next)
		if (!strcmp(t->rec[i].c.mac, mac))
			return i;
	return -1;
}

/* Unlink I from a chain starting at *HEAD, linked through NEXT_OF. */
static void chain_del(struct pxh_clients *t, int *head, int i, bool by_ip)
{
	int *pp = head;

	while (*pp >= 0) {
		int *next = by_ip ? &t->rec[*pp].ip_next : &t->rec[*pp].mac_next;
		if (*pp == i) {
			*pp = *next;
			return;
		}
		pp = next;
	}
}

static void lru_unlink(struct pxh_clients *t, int i)
{
	struct client_rec *r = &t->rec[i];

	if (r->newer >= 0)
		t->rec[r->newer].older = r->older;
	else
		t->newest = r->older;
	if (r->older >= 0)
		t->rec[r->older].newer = r->newer;
	else
		t->oldest = r->newer;
}

static void lru_push(struct pxh_clients *t, int i)
{
	struct client_rec *r = &t->rec[i];

	r->newer = -1;
	r->older = t->newest;
	if (t->newest >= 0)
		t->rec[t->newest].newer = i;
	t->newest = i;
	if (t->oldest < 0)
		t->oldest = i;
}

static void set_ip(struct pxh_clients *t, int i, const char *ip)
{
	struct client_rec *r = &t->rec[i];

	if (!ip[0] || !strcmp(r->c.ip, ip))
		return;
	if (r->c.ip[0])
		chain_del(t, &t->ip_head[r->ip_hash & (t->nbuckets - 1)], i, true);
	pxh_strcpy(r->c.ip, sizeof(r->c.ip), ip);
	r->ip_hash = hash_str(ip);
	r->ip_next = t->ip_head[r->ip_hash & (t->nbuckets - 1)];
	t->ip_head[r->ip_hash & (t->nbuckets - 1)] = i;
}

/* The machine last seen at IP, or NULL. */
static const struct client_rec *find_ip(const struct pxh_clients *t, const char *ip)
{
	const struct client_rec *best = NULL;

	if (!t || !ip || !*ip)
		return NULL;
	for (int i = t->ip_head[hash_str(ip) & (t->nbuckets - 1)]; i >= 0; i = t->rec[i].ip_next)
		if (!strcmp(t->rec[i].c.ip, ip) && (!best || t->rec[i].bound_us > best->bound_us))
			best = &t->rec[i];
	return best;
}

bool pxh_clients_mac_for_ip(struct pxh_server *s, const char *ip, char mac[18])
{
	const struct client_rec *r = find_ip(s->clients, ip);

	if (r)
		memcpy(mac, r->c.mac, 18);
	return r != NULL;
}

/* Copy SRC into DST (CAP bytes), truncating: memchr + memcpy, since the
 * steps are written several times per packet. */
static void copy_str(char *dst, size_t cap, const char *src)
{
	const char *e = memchr(src, 0, cap - 1);
	size_t n = e ? (size_t)(e - src) : cap - 1;

	memcpy(dst, src, n);
	dst[n] = 0;
}

bool pxh_clients_facts_for_ip(struct pxh_server *s, const char *ip,
                              pxh_client *out)
{
	const struct client_rec *r = find_ip(s->clients, ip);

	if (r)
		*out = r->c;
	return r != NULL;
}

bool pxh_clients_dhcp_facts_for_ip(struct pxh_server *s, const char *ip,
                                   pxh_client *out)
{
	const struct client_rec *r = find_ip(s->clients, ip);

	if (!r || !r->ip_dhcp)
		return false;
	*out = r->c;
	return true;
}

/* Facts repeat from event to event: only a new value is written. */
static void merge_str(char *dst, const char *src, size_t len)
{
	if (src[0] && strncmp(dst, src, len - 1))
		copy_str(dst, len, src);
}

static void merge(pxh_client *d, const pxh_client *c)
{
#define M(f) merge_str(d->f, c->f, sizeof(d->f))
	M(uuid); M(arch_name); M(vendor_class); M(user_class); M(undi);
	M(relay); M(iface); M(server_ip); M(manufacturer); M(product); M(serial);
	M(asset); M(platform); M(buildarch); M(duid); M(link_addr);
#undef M
	if (c->arch_name[0]) {
		d->arch = c->arch;
		d->arch_raw = c->arch_raw;
	}
	d->is_ipxe |= c->is_ipxe;
	d->is_http_boot |= c->is_http_boot;
}

/* Record EV as a step of the machine MAC ("" = not client related).
 * BIND: the event may move MAC to its address and update its facts. */
void pxh_clients_record(struct pxh_server *s, const pxh_event *ev,
                        const char *mac, bool bind);
void pxh_clients_record(struct pxh_server *s, const pxh_event *ev,
                        const char *mac, bool bind)
{
	struct pxh_clients *t = table(s);
	struct client_rec *r;
	struct step *st;
	int i;

	if (!t || !mac[0])
		return;
	i = find_mac(t, mac);
	if (i < 0) {
		uint32_t h = hash_str(mac) & (t->nbuckets - 1);
		if (t->n < t->cap) {
			i = (int)t->n++;
		} else { /* reuse the machine seen least recently */
			i = t->oldest;
			lru_unlink(t, i);
			chain_del(t, &t->mac_head[hash_str(t->rec[i].c.mac) & (t->nbuckets - 1)], i, false);
			if (t->rec[i].c.ip[0])
				chain_del(t, &t->ip_head[t->rec[i].ip_hash & (t->nbuckets - 1)], i, true);
		}
		r = &t->rec[i];
		/* the steps are written before they are read: only the facts
		 * and the ring's indexes start afresh */
		memset(&r->c, 0, sizeof(r->c));
		r->boot_program[0] = '\0';
		r->nsteps = r->step_head = 0;
		r->ip_hash = 0;
		r->ip_dhcp = false;
		r->bound_us = 0;
		copy_str(r->c.mac, sizeof(r->c.mac), mac);
		r->first_us = ev->time_us;
		r->mac_next = t->mac_head[h];
		r->ip_next = -1;
		t->mac_head[h] = i;
	} else {
		lru_unlink(t, i);
	}
	lru_push(t, i);
	r = &t->rec[i];
	if (bind) {
		bool dhcp = ev->client->phase == PXH_PHASE_DHCP;

		merge(&r->c, ev->client);
		if (ev->client->ip[0] && (dhcp || strcmp(r->c.ip, ev->client->ip)))
			r->ip_dhcp = dhcp;
		set_ip(t, i, ev->client->ip);
		r->bound_us = ev->time_us;
		if (ev->client->phase == PXH_PHASE_IPXE &&
		    pxh_client_boot_program(ev->client))
			copy_str(r->boot_program, sizeof(r->boot_program),
			         pxh_boot_program_name(pxh_client_boot_program(ev->client)));
	}
	r->last_us = ev->time_us;
	st = &r->steps[(r->step_head + r->nsteps) % STEPS_PER_CLIENT];
	if (r->nsteps == STEPS_PER_CLIENT)
		r->step_head = (r->step_head + 1) % STEPS_PER_CLIENT;
	else
		r->nsteps++;
	st->time_us = ev->time_us;
	st->kind = ev->kind;
	copy_str(st->action, sizeof(st->action), ev->action);
	copy_str(st->plugin, sizeof(st->plugin), ev->plugin);
	copy_str(st->file, sizeof(st->file), ev->file);
	copy_str(st->message, sizeof(st->message), ev->message);
	st->bytes = ev->bytes;
	st->duration_us = ev->duration_us;
	st->blksize = ev->blksize;
	st->retransmits = ev->retransmits;
}

static json_t *time_json(uint64_t us)
{
	return json_real((double)us / 1e6);
}

static const struct step *step_at(const struct client_rec *r, size_t i)
{
	return &r->steps[(r->step_head + i) % STEPS_PER_CLIENT];
}

static json_t *step_json(const struct step *st)
{
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
	if (st->blksize)
		json_object_set_new(so, "blksize", json_integer(st->blksize));
	if (st->retransmits)
		json_object_set_new(so, "retransmits", json_integer(st->retransmits));
	return so;
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
	if (r->boot_program[0])
		json_object_set_new(o, "boot_program", json_string(r->boot_program));
	json_object_set_new(o, "first_seen", time_json(r->first_us));
	json_object_set_new(o, "last_seen", time_json(r->last_us));
	/* the last verdict given, for lists and filters */
	for (size_t i = r->nsteps; i-- > 0;) {
		const struct step *st = step_at(r, i);

		if (st->kind == PXH_EV_DECISION) {
			json_object_set_new(o, "verdict", json_string(st->action));
			json_object_set_new(o, "decided_by", json_string(st->plugin));
			break;
		}
	}
	if (!hide) {
		json_object_set_new(o, "uuid", json_string(c->uuid));
		if (c->duid[0])
			json_object_set_new(o, "duid", json_string(c->duid));
		if (c->link_addr[0])
			json_object_set_new(o, "link_addr", json_string(c->link_addr));
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
		for (size_t i = 0; i < r->nsteps; i++)
			json_array_append_new(a, step_json(step_at(r, i)));
		json_object_set_new(o, "steps", a);
	}
	return o;
}

/* Most recent first. */
static json_t *clients_array(struct pxh_server *s, bool hide, bool steps,
                             size_t max)
{
	json_t *a = json_array();
	struct pxh_clients *t = s->clients;

	for (int i = t ? t->newest : -1; i >= 0 && max; i = t->rec[i].older, max--)
		json_array_append_new(a, client_json(&t->rec[i], hide, steps));
	return a;
}

static char *dump(json_t *o)
{
	char *txt = json_dumps(o, JSON_INDENT(1) | JSON_REAL_PRECISION(16));
	json_decref(o);
	return txt;
}

char *pxh_clients_json(struct pxh_server *s, bool hide_facts, bool steps)
{
	json_t *o = json_object();

	json_object_set_new(o, "clients", clients_array(s, hide_facts, steps, (size_t)-1));
	return dump(o);
}

/* What a protocol module says is active now (0 when it is not there). */
static size_t active(struct pxh_server *s, size_t (*fn)(struct pxh_server *))
{
	return fn ? fn(s) : 0;
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
	json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
	{
		json_t *c = json_object();
		uint64_t ok = s->reloads_ok ? *s->reloads_ok : 0;
		uint64_t refused = s->reloads_refused ? *s->reloads_refused : 0;
		/* paths and error text only for authenticated callers, once
		 * there is a way to be one (pxehubctl reload shows them) */
		bool hide_conf = hide_facts && s->proto.auth_configured &&
		                 s->proto.auth_configured(s);

		if (!hide_conf)
			json_object_set_new(c, "path",
			                    json_string(s->conf_path ? s->conf_path : "(embedded)"));
		json_object_set_new(c, "loaded_time", json_integer((json_int_t)s->conf_wall));
		json_object_set_new(c, "reloads", json_integer((json_int_t)ok));
		json_object_set_new(c, "reloads_refused", json_integer((json_int_t)refused));
		if (s->last_reload_wall) {
			json_object_set_new(c, "last_reload_time",
			                    json_integer((json_int_t)s->last_reload_wall));
			json_object_set_new(c, "last_reload",
			                    json_string(s->last_reload_ok ? "ok" : "refused"));
			if (!s->last_reload_ok && !hide_conf)
				json_object_set_new(c, "last_reload_error",
				                    json_string(s->last_reload_error));
		}
		json_object_set_new(o, "config", c);
	}
	json_object_set_new(o, "tftp_active", json_integer((json_int_t)active(s, s->proto.tftp_active)));
	json_object_set_new(o, "http_active", json_integer((json_int_t)active(s, s->proto.http_active)));
	for (size_t i = 0; i < pxh_plugins_count(p); i++) {
		const struct pxh_host *h = pxh_plugins_host(p, i);
		json_t *po = json_object();
		json_object_set_new(po, "name", json_string(pxh_host_name(h)));
		json_object_set_new(po, "version", json_string(pxh_host_version(h)));
		json_object_set_new(po, "priority", json_integer(pxh_host_priority(h)));
		json_array_append_new(plugins, po);
	}
	json_object_set_new(o, "plugins", plugins);
	json_object_set_new(o, "counters", pxh_counters_json(s));
	json_object_set_new(o, "plugin_reports", pxh_plugin_reports(s));
	if (!hide_facts)
		json_object_set_new(o, "listening", pxh_listening_json());
	json_object_set_new(o, "recent", clients_array(s, hide_facts, false, 20));
	return dump(o);
}

/* ---- one machine's story, and the machines booting now ------------------ */
enum boot_phase { BP_DHCP, BP_DECISION, BP_LOADER, BP_SCRIPT, BP_IMAGE, BP_REPORT, BP_OTHER };

static const char *const phase_names[] = {
	[BP_DHCP] = "dhcp", [BP_DECISION] = "decision", [BP_LOADER] = "loader",
	[BP_SCRIPT] = "script", [BP_IMAGE] = "image", [BP_REPORT] = "report",
	[BP_OTHER] = "other",
};

static enum boot_phase phase_of(enum pxh_event_kind k)
{
	switch (k) {
	case PXH_EV_DHCP_REQUEST:
	case PXH_EV_DHCP_DECISION: return BP_DHCP;
	case PXH_EV_DECISION: return BP_DECISION;
	case PXH_EV_TFTP_START:
	case PXH_EV_TFTP_END: return BP_LOADER;
	case PXH_EV_SCRIPT_SERVED: return BP_SCRIPT;
	case PXH_EV_DOWNLOAD_START:
	case PXH_EV_DOWNLOAD_END: return BP_IMAGE;
	case PXH_EV_REPORT: return BP_REPORT;
	default: return BP_OTHER;
	}
}

/* Steps [FROM, TO) of R as one boot: its steps, the decision that stood
 * last, the time spent in each phase (consecutive steps of one phase; a
 * decision belongs to the phase it came in) and the files sent. */
static json_t *boot_json(const struct client_rec *r, size_t from, size_t to)
{
	json_t *b = json_object(), *steps = json_array(), *phases = json_array();
	json_t *downloads = json_array(), *seg = NULL;
	const struct step *first = step_at(r, from), *last = step_at(r, to - 1);
	const struct step *decision = NULL;
	enum boot_phase cur = BP_OTHER;
	uint64_t seg_start = 0, seg_end = 0;

	for (size_t i = from; i < to; i++) {
		const struct step *st = step_at(r, i);
		enum boot_phase p = phase_of(st->kind);
		uint64_t end = st->time_us + st->duration_us;

		json_array_append_new(steps, step_json(st));
		if (st->kind == PXH_EV_DECISION) /* every phase has one */
			decision = st;
		if (st->kind == PXH_EV_TFTP_END || st->kind == PXH_EV_DOWNLOAD_END) {
			json_t *d = json_object();

			json_object_set_new(d, "proto", json_string(
				st->kind == PXH_EV_TFTP_END ? "tftp" : "http"));
			json_object_set_new(d, "file", json_string(st->file));
			json_object_set_new(d, "result", json_string(st->action));
			json_object_set_new(d, "bytes", json_integer((json_int_t)st->bytes));
			json_object_set_new(d, "duration_ms",
			                    json_real((double)st->duration_us / 1000.0));
			json_object_set_new(d, "time", time_json(st->time_us - st->duration_us));
			json_array_append_new(downloads, d);
		}
		if (p == BP_DECISION && seg)
			p = cur; /* a decision is part of the phase that asked */
		if (!seg || p != cur) {
			if (seg)
				json_object_set_new(seg, "ms", json_real(
					(double)(st->time_us - seg_start) / 1000.0));
			seg = json_object();
			json_object_set_new(seg, "phase", json_string(phase_names[p]));
			json_object_set_new(seg, "start", time_json(st->time_us));
			json_array_append_new(phases, seg);
			cur = p;
			seg_start = st->time_us;
		}
		if (end > seg_end)
			seg_end = end;
	}
	if (seg)
		json_object_set_new(seg, "ms", json_real(
			(double)(seg_end > seg_start ? seg_end - seg_start : 0) / 1000.0));
	json_object_set_new(b, "start", time_json(first->time_us));
	json_object_set_new(b, "end", time_json(last->time_us + last->duration_us));
	if (decision) {
		json_t *d = json_object();

		json_object_set_new(d, "verdict", json_string(decision->action));
		json_object_set_new(d, "plugin", json_string(decision->plugin));
		json_object_set_new(d, "reason", json_string(decision->message));
		json_object_set_new(d, "time", time_json(decision->time_us));
		json_object_set_new(b, "decision", d);
	}
	json_object_set_new(b, "phases", phases);
	json_object_set_new(b, "downloads", downloads);
	json_object_set_new(b, "steps", steps);
	return b;
}

char *pxh_client_story_json(struct pxh_server *s, const char *mac,
                            bool hide_facts)
{
	struct pxh_clients *t = s->clients;
	const struct client_rec *r;
	json_t *o, *boots;
	size_t from = 0;
	int i;

	if (!t || (i = find_mac(t, mac)) < 0)
		return NULL;
	r = &t->rec[i];
	o = client_json(r, hide_facts, false);
	boots = json_array();
	/* a boot begins with a DHCP request after a quiet spell */
	for (size_t k = 1; k <= r->nsteps; k++) {
		const struct step *st = k < r->nsteps ? step_at(r, k) : NULL;

		if (st && !(st->kind == PXH_EV_DHCP_REQUEST &&
		            st->time_us - step_at(r, k - 1)->time_us >= BOOT_GAP_US))
			continue;
		json_array_append_new(boots, boot_json(r, from, k));
		from = k;
	}
	json_object_set_new(o, "steps_kept", json_integer(STEPS_PER_CLIENT));
	json_object_set_new(o, "boots", boots);
	return dump(o);
}

/* Where a machine stands after its last step; DONE when nothing more is
 * expected of it (so a quiet one is not stuck). */
static const char *standing(const struct step *st, bool *done)
{
	*done = false;
	switch (st->kind) {
	case PXH_EV_DHCP_REQUEST:
	case PXH_EV_DHCP_DECISION:
		if (!strcmp(st->action, "local") || !strcmp(st->action, "ignore"))
			*done = true;
		return "dhcp";
	case PXH_EV_DECISION:
		if (!strcmp(st->action, "local") || !strcmp(st->action, "ignore"))
			*done = true;
		return "decision";
	case PXH_EV_TFTP_START:
	case PXH_EV_TFTP_END:
		return "loader";
	case PXH_EV_SCRIPT_SERVED:
		if (!strcmp(st->action, "local") || !strcmp(st->action, "ignore"))
			*done = true;
		return "script";
	case PXH_EV_DOWNLOAD_START:
		return "image";
	case PXH_EV_DOWNLOAD_END:
		/* the last file of a boot: the machine runs what it got */
		*done = !strcmp(st->action, "end");
		return *done ? "booted" : "image";
	case PXH_EV_REPORT:
		*done = !strcmp(st->action, "done") || !strcmp(st->action, "finished");
		return "report";
	default:
		return "other";
	}
}

static json_t *transfer_json(const struct pxh_transfer *x, double mono)
{
	json_t *o = json_object();
	double secs = mono - x->started;

	json_object_set_new(o, "proto", json_string(x->proto));
	json_object_set_new(o, "file", json_string(x->file));
	json_object_set_new(o, "done", json_integer((json_int_t)x->done));
	json_object_set_new(o, "size", json_integer((json_int_t)x->size));
	json_object_set_new(o, "elapsed", json_real(secs));
	json_object_set_new(o, "rate", json_real(secs > 0.05 ? (double)x->done / secs : 0));
	json_object_set_new(o, "idle_seconds", json_real(mono - x->moved));
	return o;
}

char *pxh_now_json(struct pxh_server *s, bool hide_facts, double stuck_after)
{
	static struct pxh_transfer xs[NOW_MAX]; /* loop thread only */
	struct pxh_clients *t = s->clients;
	json_t *o = json_object(), *rows = json_array();
	double mono = pxh_server_now(s);
	struct timespec ts;
	double wall;
	size_t nx, rowsn = 0;
	bool *used;

	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	nx = 0;
	for (size_t i = 0; i < 2; i++) /* tftp, http */
		if (s->proto.transfers[i])
			nx += s->proto.transfers[i](s, xs + nx, NOW_MAX - nx);
	used = calloc(nx ? nx : 1, sizeof(*used));
	for (size_t k = 0; k < nx; k++)
		if (!xs[k].mac[0])
			pxh_clients_mac_for_ip(s, xs[k].ip, xs[k].mac);
	for (int i = t ? t->newest : -1; i >= 0 && rowsn < NOW_MAX; i = t->rec[i].older) {
		const struct client_rec *r = &t->rec[i];
		const struct step *st = r->nsteps ? step_at(r, r->nsteps - 1) : NULL;
		const struct pxh_transfer *x = NULL;
		double idle = wall - (double)r->last_us / 1e6;
		const char *phase;
		json_t *row;
		bool done;
		size_t b = r->nsteps;

		for (size_t k = 0; k < nx; k++)
			if (!used[k] && !strcmp(xs[k].mac, r->c.mac)) {
				used[k] = true;
				x = &xs[k];
				if (mono - x->moved < idle)
					idle = mono - x->moved;
			}
		if (!st || (!x && idle > NOW_WINDOW))
			continue;
		/* the current boot begins after the last quiet spell */
		while (b > 1 && !(step_at(r, b - 1)->kind == PXH_EV_DHCP_REQUEST &&
		                  step_at(r, b - 1)->time_us - step_at(r, b - 2)->time_us >= BOOT_GAP_US))
			b--;
		phase = standing(st, &done);
		if (x) {
			phase = !strcmp(x->proto, "tftp") ? "loader" : "image";
			done = false;
		}
		row = client_json(r, hide_facts, false);
		json_object_set_new(row, "phase", json_string(phase));
		json_object_set_new(row, "boot_start", time_json(step_at(r, b ? b - 1 : 0)->time_us));
		json_object_set_new(row, "last", step_json(st));
		json_object_set_new(row, "idle_seconds", json_real(idle < 0 ? 0 : idle));
		json_object_set_new(row, "done", json_boolean(done));
		json_object_set_new(row, "stuck", json_boolean(!done && idle >= stuck_after));
		if (x)
			json_object_set_new(row, "transfer", transfer_json(x, mono));
		json_array_append_new(rows, row);
		rowsn++;
	}
	/* transfers of machines not in the history (no DHCP seen) */
	for (size_t k = 0; k < nx && rowsn < NOW_MAX; k++) {
		json_t *row;

		if (used[k])
			continue;
		row = json_object();
		json_object_set_new(row, "mac", json_string(xs[k].mac));
		json_object_set_new(row, "ip", json_string(xs[k].ip));
		json_object_set_new(row, "phase", json_string(
			!strcmp(xs[k].proto, "tftp") ? "loader" : "image"));
		json_object_set_new(row, "idle_seconds", json_real(mono - xs[k].moved));
		json_object_set_new(row, "done", json_false());
		json_object_set_new(row, "stuck", json_boolean(mono - xs[k].moved >= stuck_after));
		json_object_set_new(row, "transfer", transfer_json(&xs[k], mono));
		json_array_append_new(rows, row);
		rowsn++;
	}
	free(used);
	json_object_set_new(o, "now", json_real(wall));
	json_object_set_new(o, "window", json_real(NOW_WINDOW));
	json_object_set_new(o, "stuck_after", json_real(stuck_after));
	json_object_set_new(o, "machines", rows);
	return dump(o);
}
