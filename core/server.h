/* The server: the state one daemon (or test) holds, and its lifecycle
 * (core/server.c), used by main.c, pxehubctl and the test kit. */
#ifndef PXEHUB_SERVER_H
#define PXEHUB_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <ev.h>

#include "pxehub/plugin.h"

#ifndef PXH_VERSION
#define PXH_VERSION "0.1.0"
#endif

struct pxh_conf;
struct pxh_plugins;
struct pxh_events;
struct pxh_clients;
struct pxh_counters;
struct pxh_series;
struct pxh_workpool;
struct pxh_dhcp;
struct pxh_dhcp6;
struct pxh_tftp;
struct pxh_http;
struct pxh_server;
struct pxh_transfer;
struct pxh_open_file;

/* What the protocol modules lend the base (status, the Now view, the live
 * event stream, generated files), filled by pxh_server_init
 * (core/server.c): base code calls these and names no module.  A NULL
 * entry (a server a unit test built by hand) means the service is not
 * there: nothing active, no transfers, no stream, no generated files. */
struct pxh_server_protocols {
	size_t (*tftp_active)(struct pxh_server *s);
	size_t (*http_active)(struct pxh_server *s);
	/* each fills up to MAX transfers and returns how many */
	size_t (*transfers[2])(struct pxh_server *s, struct pxh_transfer *out,
	                       size_t max);
	/* an [http] api_token or client_ca is set */
	bool (*auth_configured)(struct pxh_server *s);
	/* hand EV (machine MAC) to the /api/v1/events subscribers */
	void (*publish)(struct pxh_server *s, const pxh_event *ev,
	                const char *mac);
	/* a file that exists only as generated (GRUB's stage 1) at the
	 * normalised path NORM, else -ENOENT */
	int (*generated_file)(struct pxh_server *s, const char *norm,
	                      const pxh_client *c, struct pxh_open_file *out);
};

struct pxh_server {
	struct ev_loop *loop;
	struct pxh_conf *conf; /* current config; replaced on reload */
	char *conf_path;
	bool foreground;
	int verbose;
	double start_time; /* ev_now at start */
	time_t start_wall;
	struct pxh_plugins *plugins;
	struct pxh_events *events;
	struct pxh_clients *clients;
	struct pxh_counters *counters;
	struct pxh_series *series; /* the last hour of counters (core/series.c) */
	struct pxh_workpool *pool;
	struct pxh_dhcp *dhcp;
	struct pxh_dhcp6 *dhcp6; /* core/dhcp6/, NULL when [dhcp6] is off */
	struct pxh_tftp *tftp;
	struct pxh_http *http;
	bool stopping;
	bool embedded_conf; /* make run: built-in default config */
	double stop_deadline;
	ev_timer stop_timer;
	uint64_t *default_decisions[5][5]; /* [phase][verdict] counters */
	struct pxh_decide_queue *decide_queue; /* completions for the loop (decide.c) */
	/* reloads, for /api/v1/status and pxehubctl reload */
	time_t conf_wall;        /* when the running config was loaded */
	time_t last_reload_wall; /* 0: none yet */
	bool last_reload_ok;
	char last_reload_error[512];
	uint64_t *reloads_ok, *reloads_refused;
	struct pxh_server_protocols proto;
};

/* The one server of this process (the daemon has one; tests make their
 * own).  Modules take it as an argument; this is for signal handlers and
 * the log. */
extern struct pxh_server *pxh_the_server;

/* ---- loop services (core/host_api.c) --------------------------------- */
double pxh_server_now(struct pxh_server *s); /* ev_now */

/* Set up logging, events and counters for CONF (the server takes it). */
int pxh_server_init(struct pxh_server *s, struct ev_loop *loop,
                    struct pxh_conf *conf);
int pxh_server_open(struct pxh_server *s);  /* bind (as root) */
int pxh_server_drop_privileges(struct pxh_server *s);
int pxh_server_start(struct pxh_server *s); /* pool, plugins, serving */
int pxh_server_reload(struct pxh_server *s);
void pxh_server_begin_stop(struct pxh_server *s, double grace);
void pxh_server_free(struct pxh_server *s);
void pxh_sd_notify(const char *state);

#endif /* PXEHUB_SERVER_H */
