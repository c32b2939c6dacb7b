/* Plugin host: dlopen, descriptor checks, hook registry, unload when idle. */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_host.h"
#include "abi.h"
#include "conf.h"
#include "log.h"
#include "plugins.h"
#include "server.h"

/* Smallest descriptor the core understands: everything up to fini. */
#define DESC_MIN_SIZE (offsetof(pxh_plugin_descriptor, fini) + sizeof(void (*)(void *)))

const char *pxh_host_name(const struct pxh_host *h)
{
	return h ? h->name : "core";
}

struct pxh_hook *pxh_hooks(struct pxh_server *s, enum pxh_hook_kind k)
{
	if (!s->plugins || k >= PXH_HOOK__MAX)
		return NULL;
	return s->plugins->hooks[k];
}

struct pxh_hook *pxh_http_route_for(struct pxh_server *s, const char *name)
{
	for (struct pxh_hook *k = pxh_hooks(s, PXH_HOOK_HTTP); k; k = k->next)
		if (!strcmp(k->host->name, name))
			return k;
	return NULL;
}

size_t pxh_plugins_count(const struct pxh_plugins *p)
{
	return p ? p->n : 0;
}

/* ---- hook registration (called from a plugin's init) -------------------- */
static int add_hook(pxh_host *h, enum pxh_hook_kind kind, void *fn,
                    uint32_t kinds, void *ud, void (*free_ud)(void *))
{
	struct pxh_hook *k, **pp;

	if (!h || !fn || !h->set)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->host = h;
	k->priority = h->priority;
	k->fn.any = fn;
	k->kinds = kinds;
	k->ud = ud;
	k->free_ud = free_ud;
	/* Plugins load in priority order; keep registration order within. */
	for (pp = &h->set->hooks[kind]; *pp && (*pp)->priority <= k->priority;
	     pp = &(*pp)->next)
		;
	k->next = *pp;
	*pp = k;
	return 0;
}

int pxh_register_boot_decision(pxh_host *h, pxh_decide_fn fn, void *ud,
                               void (*free_ud)(void *))
{
	return add_hook(h, PXH_HOOK_BOOT_DECISION, (void *)fn, 0, ud, free_ud);
}

int pxh_register_boot_script(pxh_host *h, pxh_decide_fn fn, void *ud,
                             void (*free_ud)(void *))
{
	return add_hook(h, PXH_HOOK_BOOT_SCRIPT, (void *)fn, 0, ud, free_ud);
}

int pxh_register_event(pxh_host *h, uint32_t kinds, pxh_event_fn fn, void *ud,
                       void (*free_ud)(void *))
{
	return add_hook(h, PXH_HOOK_EVENT, (void *)fn, kinds, ud, free_ud);
}

int pxh_register_report(pxh_host *h, pxh_report_fn fn, void *ud,
                        void (*free_ud)(void *))
{
	return add_hook(h, PXH_HOOK_REPORT, (void *)fn, 0, ud, free_ud);
}

int pxh_register_file_resolver(pxh_host *h, pxh_resolve_fn fn, void *ud,
                               void (*free_ud)(void *))
{
	return add_hook(h, PXH_HOOK_RESOLVE, (void *)fn, 0, ud, free_ud);
}

int pxh_register_http_route(pxh_host *h, pxh_http_fn fn, void *ud,
                            void (*free_ud)(void *))
{
	return add_hook(h, PXH_HOOK_HTTP, (void *)fn, 0, ud, free_ud);
}

static void drop_hooks_of(struct pxh_plugins *p, struct pxh_host *h)
{
	for (int kind = 0; kind < PXH_HOOK__MAX; kind++) {
		struct pxh_hook **pp = &p->hooks[kind];
		while (*pp) {
			struct pxh_hook *k = *pp;
			if (h && k->host != h) {
				pp = &k->next;
				continue;
			}
			*pp = k->next;
			if (k->free_ud)
				k->free_ud(k->ud);
			free(k);
		}
	}
}

/* ---- loading --------------------------------------------------------------- */
static int check_descriptor(const pxh_plugin_descriptor *d, const char *name,
                            const char *path, struct pxh_conf_errors *errs)
{
	if (d->magic != PXH_PLUGIN_MAGIC) {
		/* The drafts before the freeze began with abi_major (16 bits)
		 * and abi_minor: their pxh_event embedded pxh_client, so
		 * their event hooks would read wrong bytes. */
		const uint16_t *draft = (const uint16_t *)d;
		if (draft[0] == 1 && draft[1] <= 1)
			pxh_conf_errors_add(errs,
			                    "%s: plugin %s was built against a pre-release SDK (draft ABI 1.%u, before ABI 1.0 was frozen; its structs differ): rebuild it against this pxehub SDK (ABI %u.%u)",
			                    path, name, draft[1], PXH_ABI_MAJOR, PXH_ABI_MINOR);
		else
			pxh_conf_errors_add(errs,
			                    "%s: plugin %s: its descriptor does not start with PXH_PLUGIN_MAGIC: not built with PXH_PLUGIN() from <pxehub/plugin.h>",
			                    path, name);
		return -EPROTO;
	}
	if (d->abi_major != PXH_ABI_MAJOR) {
		pxh_conf_errors_add(errs,
		                    "%s: plugin %s: ABI %u.%u, this pxehubd speaks %u.%u: rebuild the plugin against this pxehub SDK",
		                    path, name, d->abi_major, d->abi_minor,
		                    PXH_ABI_MAJOR, PXH_ABI_MINOR);
		return -EPROTO;
	}
	if (d->abi_minor > PXH_ABI_MINOR) {
		pxh_conf_errors_add(errs,
		                    "%s: plugin %s needs ABI %u.%u, this pxehubd has %u.%u: upgrade pxehub",
		                    path, name, d->abi_major, d->abi_minor,
		                    PXH_ABI_MAJOR, PXH_ABI_MINOR);
		return -EPROTO;
	}
	if (d->struct_size < DESC_MIN_SIZE) {
		pxh_conf_errors_add(errs,
		                    "%s: plugin %s: descriptor is %u bytes, at least %zu expected: built with a broken SDK header?",
		                    path, name, d->struct_size, (size_t)DESC_MIN_SIZE);
		return -EPROTO;
	}
	if (d->conf_key_size < PXH_CONF_KEY_SIZE_1_0 ||
	    d->conf_key_size > sizeof(pxh_conf_key)) {
		pxh_conf_errors_add(errs,
		                    "%s: plugin %s: its key table entries are %u bytes, this pxehubd reads %zu to %zu: built with a broken SDK header?",
		                    path, name, d->conf_key_size,
		                    (size_t)PXH_CONF_KEY_SIZE_1_0, sizeof(pxh_conf_key));
		return -EPROTO;
	}
	if (!d->name || strcmp(d->name, name)) {
		pxh_conf_errors_add(errs,
		                    "%s: plugin file is named %s but its descriptor says '%s': rename the file or fix .name",
		                    path, name, d->name ? d->name : "(null)");
		return -EINVAL;
	}
	if (!d->init) {
		pxh_conf_errors_add(errs, "%s: plugin %s has no init function", path, name);
		return -EINVAL;
	}
	return 0;
}

/* A plugin's key table as this core's pxh_conf_key array: the plugin's own
 * when it was built with the same entry size, else a copy (malloc'd into
 * *COPY, NULL-terminated) of each entry's first STRIDE bytes, the fields
 * its SDK did not know zero.  NULL stays NULL.  0 or -ENOMEM. */
static int import_keys(const pxh_conf_key *keys, uint32_t stride,
                       const pxh_conf_key **out, pxh_conf_key **copy)
{
	const unsigned char *p = (const unsigned char *)keys;
	size_t n = 0;

	*out = keys;
	*copy = NULL;
	if (!keys || stride == sizeof(pxh_conf_key))
		return 0;
	while (((const pxh_conf_key *)(const void *)(p + n * stride))->name)
		n++;
	*copy = calloc(n + 1, sizeof(**copy));
	if (!*copy)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		memcpy(&(*copy)[i], p + i * stride, stride);
	*out = *copy;
	return 0;
}

/* Check PLUGIN's config against its key tables and fill its bound structs
 * into B (copies of the tables in KEYS and SUBS when the plugin's entries
 * are not this core's size; free them with the plugin).  0 or -errno. */
static int check_plugin_conf(struct pxh_conf *conf, const char *name,
                             const pxh_plugin_descriptor *d,
                             pxh_conf_key **keys, pxh_conf_key **subs,
                             struct pxh_conf_bound *b,
                             struct pxh_conf_errors *errs)
{
	const pxh_conf_key *k, *sk;

	memset(b, 0, sizeof(*b));
	if (import_keys(d->keys, d->conf_key_size, &k, keys) ||
	    import_keys(d->sub_keys, d->conf_key_size, &sk, subs))
		return -ENOMEM;
	if (pxh_conf_check_plugin(conf, name, k, sk, errs))
		return -EINVAL;
	return pxh_conf_bind_plugin(conf, name, k, sk, pxh_desc_conf_size(d, false),
	                            pxh_desc_conf_size(d, true), b, errs) ? -EINVAL : 0;
}

/* Why dlopen refused PATH (ERR, dlerror()'s text), said so that the author
 * knows what to do: pxehubd exports only the SDK's functions (Makefile
 * SDK_DYNLIST), so an undefined pxh_* symbol is a call to an internal one. */
static void dl_error(const char *path, const char *name, const char *err,
                     struct pxh_conf_errors *errs)
{
	const char *u = err ? strstr(err, "undefined symbol: ") : NULL;
	char sym[128];
	size_t n;

	if (!u) {
		pxh_conf_errors_add(errs,
		                    "%s: cannot load plugin %s: %s (a library it needs missing, or built for another pxehub?)",
		                    path, name, err ? err : "?");
		return;
	}
	u += strlen("undefined symbol: ");
	n = strcspn(u, " ,(");
	snprintf(sym, sizeof(sym), "%.*s", (int)(n < sizeof(sym) ? n : sizeof(sym) - 1), u);
	if (!strncmp(sym, "pxh_", 4))
		pxh_conf_errors_add(errs,
		                    "%s: plugin %s: undefined symbol %s (not part of the plugin SDK: a plugin may call only the functions <pxehub/plugin.h> declares)",
		                    path, name, sym);
	else
		pxh_conf_errors_add(errs,
		                    "%s: plugin %s: undefined symbol %s (from a library the plugin was not linked with: add it to the plugin's link line)",
		                    path, name, sym);
}

/* dlopen NAME.so and check it; on success *DL and *DESC are set. */
static int open_plugin(const char *dir, const char *name, char *path,
                       size_t plen, void **dl,
                       const pxh_plugin_descriptor **desc,
                       struct pxh_conf_errors *errs)
{
	struct stat st;
	int rc;

	snprintf(path, plen, "%s/%s.so", dir, name);
	if (stat(path, &st)) {
		pxh_conf_errors_add(errs,
		                    "%s: plugin %s is enabled but %s does not exist (is its package installed? [plugins] dir = %s)",
		                    name, name, path, dir);
		return -ENOENT;
	}
	*dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!*dl) {
		dl_error(path, name, dlerror(), errs);
		return -ELIBBAD;
	}
	*desc = dlsym(*dl, PXH_DESCRIPTOR_SYMBOL);
	if (!*desc) {
		pxh_conf_errors_add(errs,
		                    "%s: no symbol %s: not a pxehub plugin, or built without PXH_PLUGIN(...)",
		                    path, PXH_DESCRIPTOR_SYMBOL);
		rc = -ENOEXEC;
		goto fail;
	}
	rc = check_descriptor(*desc, name, path, errs);
	if (rc)
		goto fail;
	return 0;
fail:
	dlclose(*dl);
	*dl = NULL;
	return rc;
}

size_t pxh_desc_conf_size(const pxh_plugin_descriptor *d, bool sub)
{
	size_t end = offsetof(pxh_plugin_descriptor, sub_conf_size) + sizeof(size_t);

	if (d->struct_size < end)
		return 0;
	return sub ? d->sub_conf_size : d->conf_size;
}

int pxh_plugins_check(struct pxh_conf *conf, struct pxh_conf_errors *errs,
                      FILE *keys_out)
{
	const char **names;
	size_t n = pxh_cfg_enabled_plugins(conf, &names);
	const char *dir = pxh_plugins_conf(conf)->dir;
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		char path[4096];
		void *dl;
		const pxh_plugin_descriptor *d;
		pxh_conf_key *keys = NULL, *subs = NULL;
		if (open_plugin(dir, names[i], path, sizeof(path), &dl, &d, errs)) {
			rc = -EINVAL;
			continue;
		}
		struct pxh_conf_bound b;
		if (check_plugin_conf(conf, names[i], d, &keys, &subs, &b, errs))
			rc = -EINVAL;
		pxh_conf_bound_free(&b);
		if (keys_out) {
			char sec[160];
			fprintf(keys_out, "\n# plugin %s %s (%s)\n", names[i],
			        d->version ? d->version : "?", path);
			pxh_conf_dump_keys(keys_out, names[i], keys ? keys : d->keys);
			snprintf(sec, sizeof(sec), "%s.NAME", names[i]);
			if (d->sub_keys)
				pxh_conf_dump_keys(keys_out, sec, subs ? subs : d->sub_keys);
		}
		dlclose(dl);
		free(keys);
		free(subs);
	}
	return rc;
}

static void mkdir_p(const char *path)
{
	char tmp[4096];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(tmp, 0750);
		*p = '/';
	}
	mkdir(tmp, 0750);
}

static void host_finish(struct pxh_host *h)
{
	if (h->finished)
		return;
	h->finished = true;
	if (h->inited && h->desc->fini)
		h->desc->fini(h->state);
	pxh_host_stop_watchers(h);
}

static void host_free(struct pxh_host *h)
{
	host_finish(h);
	if (h->dl)
		dlclose(h->dl);
	pxh_conf_bound_free(&h->conf);
	free(h->keys_copy);
	free(h->sub_keys_copy);
	free(h);
}

int pxh_plugins_load(struct pxh_server *s, struct pxh_conf *conf,
                     struct pxh_plugins **out, struct pxh_conf_errors *errs)
{
	struct pxh_plugins *p = calloc(1, sizeof(*p));
	const char **names;
	size_t n = pxh_cfg_enabled_plugins(conf, &names);
	const char *dir = pxh_plugins_conf(conf)->dir;
	const char *state = pxh_server_conf(conf)->state_dir;
	int rc = 0;

	if (!p)
		return -ENOMEM;
	p->srv = s;
	p->conf = conf;
	p->hosts = calloc(n ? n : 1, sizeof(*p->hosts));
	if (!p->hosts) {
		free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct pxh_host *h = calloc(1, sizeof(*h));
		if (!h) {
			rc = -ENOMEM;
			break;
		}
		h->srv = s;
		h->set = p;
		snprintf(h->name, sizeof(h->name), "%s", names[i]);
		rc = open_plugin(dir, names[i], h->so_path, sizeof(h->so_path), &h->dl,
		                 &h->desc, errs);
		if (rc) {
			free(h);
			break;
		}
		p->hosts[p->n++] = h;
		rc = check_plugin_conf(conf, names[i], h->desc, &h->keys_copy,
		                       &h->sub_keys_copy, &h->conf, errs);
		if (rc)
			break;
		/* after the check: only then does the key's default (100) apply */
		h->priority = (int)pxh_cfg_int(conf, names[i], NULL, "priority");
		snprintf(h->state_dir, sizeof(h->state_dir), "%s/plugins/%s",
		         state ? state : "/tmp", h->name);
		mkdir_p(h->state_dir);
		h->in_init = true;
		rc = h->desc->init(h, &h->state);
		h->in_init = false;
		if (rc) {
			if (h->init_error[0])
				pxh_conf_errors_add(errs, "%s: plugin %s: init failed: %s (%s)",
				                    h->so_path, h->name, h->init_error,
				                    strerror(rc < 0 ? -rc : rc));
			else
				pxh_conf_errors_add(errs, "%s: plugin %s: init failed: %s",
				                    h->so_path, h->name, strerror(rc < 0 ? -rc : rc));
			drop_hooks_of(p, h);
			pxh_host_stop_watchers(h);
			rc = -EINVAL;
			break;
		}
		h->inited = true;
		pxh_info("plugin: loaded name=%s version=%s priority=%d file=%s",
		         h->name, h->desc->version ? h->desc->version : "?",
		         h->priority, h->so_path);
	}
	if (rc) {
		p->retired = true;
		pxh_plugins_unload(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* Free a retired set once no deferred request or work item is pending. */
void pxh_plugins_try_free(struct pxh_plugins *p)
{
	if (!p || !p->retired)
		return;
	for (size_t i = 0; i < p->n; i++)
		if (p->hosts[i]->refs > 0)
			return;
	if (p->srv && p->srv->loop)
		ev_timer_stop(p->srv->loop, &p->free_later);
	drop_hooks_of(p, NULL);
	for (size_t i = p->n; i-- > 0;)
		host_free(p->hosts[i]);
	free(p->hosts);
	if (p->owns_conf)
		pxh_conf_free(p->conf);
	free(p);
}

void pxh_plugins_unload(struct pxh_plugins *p)
{
	if (!p)
		return;
	p->retired = true;
	pxh_plugins_try_free(p);
}

size_t pxh_plugins_busy(const struct pxh_plugins *p)
{
	size_t n = 0;

	for (size_t i = 0; p && i < p->n; i++)
		n += p->hosts[i]->refs > 0 ? (size_t)p->hosts[i]->refs : 0;
	return n;
}

struct pxh_host *pxh_plugins_host(const struct pxh_plugins *p, size_t i)
{
	return p && i < p->n ? p->hosts[i] : NULL;
}

int pxh_host_priority(const struct pxh_host *h)
{
	return h ? h->priority : 0;
}

const char *pxh_host_version(const struct pxh_host *h)
{
	return h && h->desc && h->desc->version ? h->desc->version : "";
}

void pxh_plugins_own_conf(struct pxh_plugins *p, bool owns)
{
	if (p)
		p->owns_conf = owns;
}

bool pxh_host_thread_safe(const struct pxh_host *h)
{
	return h && h->desc && (h->desc->flags & PXH_PLUGIN_THREAD_SAFE);
}

int pxh_host_running(const struct pxh_host *h)
{
	return h ? h->running : 0;
}

void pxh_host_running_add(struct pxh_host *h, int delta)
{
	if (h)
		h->running += delta;
}

struct pxh_host *pxh_host_core_new(struct pxh_server *s, const char *name,
                                   int priority)
{
	struct pxh_host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->srv = s;
	h->set = s->plugins;
	h->priority = priority;
	snprintf(h->name, sizeof(h->name), "%s", name);
	return h;
}

void pxh_host_core_free(struct pxh_host *h)
{
	free(h);
}

void pxh_host_ref(struct pxh_host *h)
{
	if (h)
		h->refs++;
}

static void free_later_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	pxh_plugins_try_free(w->data);
}

/* The last reference of a retired set usually goes inside the plugin's own
 * call (pxh_request_complete from its callback): fini and dlclose must not
 * run under it, so the set is freed from the loop. */
void pxh_host_unref(struct pxh_host *h)
{
	struct pxh_plugins *p;

	if (!h)
		return;
	h->refs--;
	p = h->set;
	if (h->refs > 0 || !p->retired)
		return;
	if (!p->srv || !p->srv->loop) {
		pxh_plugins_try_free(p);
		return;
	}
	if (!ev_is_active(&p->free_later)) {
		ev_timer_init(&p->free_later, free_later_cb, 0., 0.);
		p->free_later.data = p;
		ev_timer_start(p->srv->loop, &p->free_later);
	}
}
