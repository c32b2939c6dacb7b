/* The plugin host as the rest of the core sees it (core/plugin_host.c):
 * loading the enabled plugins and iterating their hooks. */
#ifndef PXEHUB_PLUGINS_H
#define PXEHUB_PLUGINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pxehub/plugin.h"

struct pxh_server;
struct pxh_conf;
struct pxh_conf_errors;
struct pxh_plugins;
struct pxh_host;

int pxh_plugins_load(struct pxh_server *s, struct pxh_conf *conf,
                     struct pxh_plugins **out, struct pxh_conf_errors *errs);
void pxh_plugins_unload(struct pxh_plugins *p); /* waits for pending work */
/* Check every enabled plugin's config without running it (pxehubd -t). */
/* KEYS_OUT, when not NULL, gets each enabled plugin's keys with their
 * types, defaults and help (pxehubd -t -v). */
int pxh_plugins_check(struct pxh_conf *conf, struct pxh_conf_errors *errs,
                      FILE *keys_out);
size_t pxh_plugins_count(const struct pxh_plugins *p);
/* Deferred requests, child watches and work items plugins have pending. */
size_t pxh_plugins_busy(const struct pxh_plugins *p);

/* Hook iteration, in priority order. */
struct pxh_hook {
	struct pxh_hook *next;
	struct pxh_host *host;
	int priority;
	union {
		pxh_decide_fn decide;
		pxh_event_fn event;
		pxh_report_fn report;
		pxh_resolve_fn resolve;
		pxh_http_fn http;
		void *any;
	} fn;
	uint32_t kinds; /* events */
	void *ud;
	void (*free_ud)(void *);
};
enum pxh_hook_kind {
	PXH_HOOK_BOOT_DECISION,
	PXH_HOOK_BOOT_SCRIPT,
	PXH_HOOK_EVENT,
	PXH_HOOK_REPORT,
	PXH_HOOK_RESOLVE,
	PXH_HOOK_HTTP,
	PXH_HOOK__MAX
};
struct pxh_hook *pxh_hooks(struct pxh_server *s, enum pxh_hook_kind k);
const char *pxh_host_name(const struct pxh_host *h);
/* Route /plugins/NAME/... to the plugin NAME's route hook (or NULL). */
struct pxh_hook *pxh_http_route_for(struct pxh_server *s, const char *name);
/* Hold and release a plugin host while work is pending for it. */
void pxh_host_ref(struct pxh_host *h);
void pxh_host_unref(struct pxh_host *h);

/* The loaded plugins, in priority order (I < pxh_plugins_count). */
struct pxh_host *pxh_plugins_host(const struct pxh_plugins *p, size_t i);
int pxh_host_priority(const struct pxh_host *h);
const char *pxh_host_version(const struct pxh_host *h); /* "" if unset */
/* The set frees its config when it goes (a set a reload replaced owns the
 * old config its plugins still read). */
void pxh_plugins_own_conf(struct pxh_plugins *p, bool owns);
/* For the work pool, under its lock: may H's items run on two threads at
 * once (PXH_PLUGIN_THREAD_SAFE), and how many run now. */
bool pxh_host_thread_safe(const struct pxh_host *h);
int pxh_host_running(const struct pxh_host *h);
void pxh_host_running_add(struct pxh_host *h, int delta);
/* A host for hooks of the core's own (the SDK test kit's event capture),
 * with no plugin behind it, registering into S's current set.  Free it
 * with pxh_host_core_free once the set is gone. */
struct pxh_host *pxh_host_core_new(struct pxh_server *s, const char *name,
                                   int priority);
void pxh_host_core_free(struct pxh_host *h);

#endif /* PXEHUB_PLUGINS_H */
