/* Plugin host internals shared by plugin_host.c and host_api.c. */
#ifndef PXEHUB_PLUGIN_HOST_H
#define PXEHUB_PLUGIN_HOST_H

#include <ev.h>

#include "pxehub/plugin.h"
#include "conf.h"
#include "plugins.h"
#include "server.h"

struct pxh_watch; /* timers and io watchers a plugin owns */

struct pxh_host {
	struct pxh_server *srv;
	struct pxh_plugins *set;
	char name[32];
	char so_path[4096];
	char state_dir[4096];
	void *dl;
	const pxh_plugin_descriptor *desc;
	pxh_conf_key *keys_copy, *sub_keys_copy; /* see import_keys */
	void *state;
	int priority;
	int refs; /* deferred requests and work items in flight */
	bool inited;
	int running; /* work items on pool threads now */
	bool finished;
	struct pxh_timer *timers; /* list of live timers */
	struct pxh_io *ios;       /* list of live io watchers */
	bool in_init;             /* pxh_init_error() keeps its text */
	char init_error[256];     /* why init failed, from pxh_init_error() */
	struct pxh_conf_bound conf; /* pxh_conf_struct(): filled before init */
};

/* The descriptor's bound struct sizes (0 for a descriptor older than
 * them). */
size_t pxh_desc_conf_size(const pxh_plugin_descriptor *d, bool sub);

struct pxh_plugins {
	struct pxh_server *srv;
	struct pxh_conf *conf;
	struct pxh_host **hosts;
	size_t n;
	struct pxh_hook *hooks[PXH_HOOK__MAX];
	bool retired; /* replaced by a reload: freed once nothing is pending */
	bool owns_conf; /* free conf with the set (old config after reload) */
	ev_timer free_later; /* that free, from the loop (see pxh_host_unref) */
};

struct pxh_timer {
	ev_timer w;
	struct pxh_host *h;
	pxh_timer_fn fn;
	void *ud;
	struct pxh_timer *next, **pprev;
};

struct pxh_io {
	ev_io w;
	struct pxh_host *h;
	pxh_io_fn fn;
	void *ud;
	struct pxh_io *next, **pprev;
};

void pxh_host_stop_watchers(struct pxh_host *h);
void pxh_plugins_try_free(struct pxh_plugins *p);

#endif
