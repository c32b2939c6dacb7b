/* pxehub core: internal interfaces shared by the daemon's modules. */
#ifndef PXEHUB_CORE_H
#define PXEHUB_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include <ev.h>

#include "pxehub/plugin.h"

struct ev_loop;
struct pxh_conf;
struct pxh_plugins;
struct pxh_events;
struct pxh_clients;
struct pxh_counters;
struct pxh_workpool;
struct pxh_dhcp;
struct pxh_tftp;
struct pxh_http;
struct pxh_filecache;

#ifndef PXH_VERSION
#define PXH_VERSION "0.1.0"
#endif

/* Copy SRC into DST of SIZE bytes, truncating; always NUL terminated. */
static inline void pxh_strcpy(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	if (!size)
		return;
	while (src && src[n] && n < size - 1) {
		dst[n] = src[n];
		n++;
	}
	dst[n] = 0;
}

/* ---- the server -------------------------------------------------------- */
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
	struct pxh_tftp *tftp;
	struct pxh_http *http;
	bool stopping;
	bool embedded_conf; /* make run: built-in default config */
	double stop_deadline;
	ev_timer stop_timer;
	uint64_t *default_decisions[5][5]; /* [phase][verdict] counters */
	/* reloads, for /api/v1/status and pxehubctl reload */
	time_t conf_wall;        /* when the running config was loaded */
	time_t last_reload_wall; /* 0: none yet */
	bool last_reload_ok;
	char last_reload_error[512];
	uint64_t *reloads_ok, *reloads_refused;
};

/* The one server of this process (the daemon has one; tests make their
 * own).  Modules take it as an argument; this is for signal handlers and
 * the log. */
extern struct pxh_server *pxh_the_server;

/* ---- logging (core/log.c) ---------------------------------------------- */
/* Lines look like: "info dhcp: mac=.. arch=bios action=boot file=.." */
void pxh_log_setup(int max_level, bool use_syslog);
int pxh_log_level(void);
void pxh_logf(int level, const pxh_client *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pxh_vlogf(int level, const pxh_client *c, const char *fmt, va_list ap);
void pxh_log_force(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Client-supplied text is escaped where it leaves the process: every log
 * line (stderr and syslog) and every event (pxh_emit) has its control
 * characters and DEL written as "\xNN", so nothing a client sends starts a
 * line of its own.  ESCAPE copies SRC into DST (CAP bytes, NUL terminated,
 * never half an escape) and returns the length. */
bool pxh_log_needs_escape(const char *s);
size_t pxh_log_escape(char *dst, size_t cap, const char *src);
#define pxh_err(...) pxh_logf(PXH_LOG_ERR, NULL, __VA_ARGS__)
#define pxh_warn(...) pxh_logf(PXH_LOG_WARNING, NULL, __VA_ARGS__)
#define pxh_notice(...) pxh_logf(PXH_LOG_NOTICE, NULL, __VA_ARGS__)
#define pxh_info(...) pxh_logf(PXH_LOG_INFO, NULL, __VA_ARGS__)
#define pxh_debug(...)                                                         \
	do {                                                                   \
		if (pxh_log_level() >= PXH_LOG_DEBUG)                          \
			pxh_logf(PXH_LOG_DEBUG, NULL, __VA_ARGS__);            \
	} while (0)

/* ---- configuration (core/conf.c) --------------------------------------- */
/* A section schema: the keys of [NAME] and of [NAME.SUB]. */
struct pxh_section_schema {
	const char *name;
	const pxh_conf_key *keys;
	const pxh_conf_key *sub_keys; /* NULL: [NAME.SUB] not allowed */
};

/* Core sections; each module defines its own table (dhcp/tftp/http). */
extern const pxh_conf_key pxh_server_keys[];
extern const pxh_conf_key pxh_dhcp_keys[];
extern const pxh_conf_key pxh_tftp_keys[];
extern const pxh_conf_key pxh_http_keys[];
extern const pxh_conf_key pxh_boot_keys[];
extern const pxh_conf_key pxh_access_keys[];
extern const pxh_conf_key pxh_log_keys[];
extern const pxh_conf_key pxh_plugins_keys[];
extern const pxh_conf_key pxh_plugin_common_keys[]; /* enabled, priority */
/* [pool.NAME]: address pools of [dhcp] mode = server (core/dhcp/dhcp_pool.c) */
extern const pxh_conf_key pxh_dhcp_pool_section_keys[];
extern const pxh_conf_key pxh_dhcp_pool_keys[];

/* Problems found while loading are collected, each "FILE:LINE: message". */
struct pxh_conf_errors {
	char **msg;
	size_t n;
};

/* Load the main file (or the embedded text when TEXT is non-NULL, named
 * NAME in messages) and every plugins.d/NAME.conf.  Plugin sections are
 * checked later against each plugin's table (pxh_conf_check_plugin).
 * Returns the config (even with errors, for -t) or NULL on ENOMEM. */
struct pxh_conf *pxh_conf_load(const char *path, const char *text,
                               struct pxh_conf_errors *errs);
void pxh_conf_free(struct pxh_conf *c);
void pxh_conf_errors_add(struct pxh_conf_errors *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pxh_conf_errors_free(struct pxh_conf_errors *e);
/* Checks across keys of [dhcp] and [pool.NAME] (core/dhcp/dhcp_pool.c),
 * run by pxh_conf_load so -t, start and reload all see them. */
void pxh_dhcp_conf_check(const struct pxh_conf *c, struct pxh_conf_errors *errs);

/* Check [NAME] and [NAME.SUB] of a plugin against its key tables. */
int pxh_conf_check_plugin(struct pxh_conf *c, const char *name,
                          const pxh_conf_key *keys, const pxh_conf_key *sub_keys,
                          struct pxh_conf_errors *errs);

/* Getters.  SUB NULL for [SECTION].  Undeclared keys return NULL / 0. */
const char *pxh_cfg_str(const struct pxh_conf *c, const char *section,
                        const char *sub, const char *key);
long long pxh_cfg_int(const struct pxh_conf *c, const char *section,
                      const char *sub, const char *key); /* DURATION: ms */
bool pxh_cfg_bool(const struct pxh_conf *c, const char *section,
                  const char *sub, const char *key);
size_t pxh_cfg_list_len(const struct pxh_conf *c, const char *section,
                        const char *sub, const char *key);
const char *pxh_cfg_list_item(const struct pxh_conf *c, const char *section,
                              const char *sub, const char *key, size_t i);
const char *pxh_cfg_where(const struct pxh_conf *c, const char *section,
                          const char *sub, const char *key);
/* FILE:LINE of the [section] or [section.sub] header, for a problem with a
 * key that is not written there (unset, or left at its default). */
const char *pxh_cfg_section_where(const struct pxh_conf *c,
                                  const char *section, const char *sub);
size_t pxh_cfg_sub_count(const struct pxh_conf *c, const char *section);
const char *pxh_cfg_sub_name(const struct pxh_conf *c, const char *section,
                             size_t i);
/* Plugins named in conf_dir with enabled = yes, sorted by priority then
 * name. */
size_t pxh_cfg_enabled_plugins(const struct pxh_conf *c, const char ***names);
const char *pxh_cfg_main_path(const struct pxh_conf *c);
/* Every core section and key with type, default and help, as commented
 * INI (pxehubd --dump-config; the source of etc/pxehub.conf and the man
 * page). */
void pxh_conf_dump(FILE *f);
void pxh_conf_dump_keys(FILE *f, const char *section, const pxh_conf_key *keys);
/* Parse helpers, shared with plugin code. */
int pxh_parse_bool(const char *s, bool *out);
int pxh_parse_duration_ms(const char *s, long long *out);

/* ---- loop services ------------------------------------------------------ */
double pxh_server_now(struct pxh_server *s); /* ev_now */

/* ---- counters (core/counters.c): /metrics and /api/v1/status ----------- */
/* Register (or find) a counter by full Prometheus name with labels, e.g.
 * "pxehub_dhcp_dropped_total{reason=\"malformed\"}".  The pointer stays
 * valid for the server's life; increment it on the hot path. */
uint64_t *pxh_counter(struct pxh_server *s, const char *name, const char *help);
/* Gauges are computed when read. */
typedef double (*pxh_gauge_fn)(struct pxh_server *s, void *ud);
void pxh_gauge(struct pxh_server *s, const char *name, const char *help,
               pxh_gauge_fn fn, void *ud);
/* Prometheus text exposition (malloc'd, NUL terminated). */
char *pxh_metrics_text(struct pxh_server *s, size_t *len);
void pxh_counters_free(struct pxh_server *s);
struct json_t;
/* {"plugin": {"figure": value}} from the report hooks (new reference). */
struct json_t *pxh_plugin_reports(struct pxh_server *s);
/* {"counter{labels}": value} (new reference). */
struct json_t *pxh_counters_json(struct pxh_server *s);

/* ---- access rules (core/access.c) -------------------------------------- */
/* Returns true when [access] allows C; else false and WHY says which rule. */
bool pxh_access_allowed(const struct pxh_conf *conf, const pxh_client *c,
                        char *why, size_t why_len);

/* "a.b.c.d/n" or "a.b.c.d" RULE contains ADDR (dotted quad). */
bool pxh_addr_in_subnet(const char *rule, const char *addr);
/* The sender at ADDR as the server itself knows it, for protocols that
 * show only an address (TFTP, HTTP): ADDR, and the MAC, architecture and
 * interface the DHCP phase recorded for that address (empty when none);
 * never what the request claims (a query string's mac=). */
void pxh_access_peer_client(struct pxh_server *s, enum pxh_phase phase,
                            const char *addr, pxh_client *out);
/* pxh_access_allowed for TFTP ("tftp") and HTTP files ("files"), unless
 * [access] PROTO = any opens that protocol to everyone (PROTO NULL:
 * never open, /boot.ipxe). */
bool pxh_access_peer_allowed(struct pxh_server *s, const char *proto,
                             const pxh_client *c, char *why, size_t why_len);
/* Log "WHAT refused: ..." at info, at most 10 lines a second (a flood from
 * a refused range is counted, not written out line by line). */
void pxh_access_log_refusal(struct pxh_server *s, const pxh_client *c,
                            const char *what, const char *why);

/* ---- answers (core/answer.c) ------------------------------------------- */
struct pxh_dhcp_opt {
	uint8_t code;
	uint8_t len_hi; /* options longer than 255 are split (RFC 3396) */
	uint16_t len;
	uint8_t *data;
};

struct pxh_answer {
	char *loader;      /* path relative to TFTP root, or URL */
	char *next_server; /* dotted quad */
	struct pxh_dhcp_opt *opts;
	size_t n_opts;
	char *script; /* iPXE script (iPXE phase) */
	size_t script_len, script_cap;
	char *reason;
	unsigned ttl;
	/* set by the chain */
	struct pxh_server *srv;
	const pxh_client *client; /* for base URLs in the script helpers */
	bool menu_open;
	/* GRUB rendering (core/http/grub_script.c) */
	char *unrendered; /* why this answer cannot run in its boot program */
	bool grub_item;   /* rendering one menu entry's body */
	unsigned grub_items;
};

void pxh_answer_init(struct pxh_answer *a, struct pxh_server *s,
                     const pxh_client *c);
void pxh_answer_clear(struct pxh_answer *a);
/* The answer is for a GRUB client: the script helpers write GRUB. */
bool pxh_answer_is_grub(const struct pxh_answer *a);
/* Marks A as not runnable in its client's boot program (first WHY kept);
 * the server then serves [boot] default_action and says why. */
int pxh_answer_unrenderable(struct pxh_answer *a, const char *why);
/* GRUB renderings behind the pxh_script_* helpers (grub_script.c). */
int pxh_grub_kernel(struct pxh_answer *a, const char *kernel,
                    const char *initrd, const char *cmdline);
int pxh_grub_chain(struct pxh_answer *a, const char *url);
int pxh_grub_exit(struct pxh_answer *a);
int pxh_grub_shell(struct pxh_answer *a);
int pxh_grub_menu_begin(struct pxh_answer *a, const char *title,
                        unsigned timeout_ms, const char *default_id);
int pxh_grub_menu_item(struct pxh_answer *a, const char *id, const char *label,
                       const char *script);
int pxh_grub_menu_end(struct pxh_answer *a);
int pxh_answer_copy(struct pxh_answer *dst, const struct pxh_answer *src);

/* ---- decision chain (core/decide.c) ------------------------------------ */
struct pxh_decision;
/* Called exactly once, on the loop thread, maybe before pxh_decide()
 * returns.  V is never PXH_NEXT or PXH_DEFERRED: when every plugin said
 * next (or time ran out) the [boot] default_action is applied: "menu" gives
 * PXH_BOOT with an empty answer (the caller fills the defaults), "local"
 * PXH_LOCAL, "ignore" PXH_IGNORE.  PLUGIN is the deciding plugin's name or
 * "default"; WHY a readable reason. */
typedef void (*pxh_decide_done_fn)(void *ctx, enum pxh_verdict v,
                                   const struct pxh_answer *a,
                                   const char *plugin, const char *why);
/* PHASE is PXH_PHASE_DHCP (boot decision hooks) or PXH_PHASE_IPXE (boot
 * script hooks).  The client is copied.  Returns 0, or -errno (then DONE is
 * not called).  *HANDLE (may be NULL) lets the caller cancel: DONE is then
 * never called. */
int pxh_decide(struct pxh_server *s, enum pxh_phase phase,
               const pxh_client *c, pxh_decide_done_fn done, void *ctx,
               struct pxh_decision **handle);
void pxh_decide_cancel(struct pxh_decision *d);
/* [boot] decision_timeout (ms). */
long long pxh_decide_deadline_ms(struct pxh_server *s);

/* ---- events and client history (core/events.c, core/clients.c) --------- */
void pxh_event_init(pxh_event *ev, enum pxh_event_kind kind, int severity,
                    const pxh_client *c);
/* Record in the client history, count, log at debug, and queue for the
 * event hooks.  Never blocks. */
void pxh_emit(struct pxh_server *s, const pxh_event *ev);
/* The same, for a claim nobody vouches for (a report without the token):
 * logged, queued and kept as a step of the MAC's history, but it neither
 * moves the MAC to the sender's address (which TFTP and HTTP downloads are
 * attributed by) nor changes the facts recorded for it. */
void pxh_emit_unbound(struct pxh_server *s, const pxh_event *ev);
/* JSON text (malloc'd) of /api/v1/clients (STEPS: each machine's events
 * too); HIDE_FACTS drops serial, asset,
 * uuid for anonymous callers. */
char *pxh_clients_json(struct pxh_server *s, bool hide_facts, bool steps);
/* JSON text of /api/v1/status (uptime, counters, plugins, recent); the
 * config path and reload error are hidden with the facts only once
 * pxh_http_auth_configured (an API token or a client CA exists). */
char *pxh_status_json(struct pxh_server *s, bool hide_facts);
/* The MAC last seen with IP (from the DHCP 4011 request or iPXE), for
 * protocols that only see an address (TFTP).  Returns true when known. */
bool pxh_clients_mac_for_ip(struct pxh_server *s, const char *ip,
                            char mac[18]);
/* All facts known of the machine last seen at IP (MAC, UUID, arch, SMBIOS
 * ...), for TFTP and HTTP requests that only show an address. */
bool pxh_clients_facts_for_ip(struct pxh_server *s, const char *ip,
                              pxh_client *out);
/* The same, only when that MAC came to IP through the DHCP phase (a
 * 4011 request from IP, or the address a PXE client took from the site's
 * DHCP server), not through an iPXE request's claim: for access rules. */
bool pxh_clients_dhcp_facts_for_ip(struct pxh_server *s, const char *ip,
                                   pxh_client *out);
const char *pxh_event_kind_name(enum pxh_event_kind k);
int pxh_events_start(struct pxh_server *s);
void pxh_events_stop(struct pxh_server *s); /* delivers what is queued */
/* Deliver queued events now (tests, shutdown). */
void pxh_events_flush(struct pxh_server *s);
void pxh_clients_free(struct pxh_server *s);
/* One machine's story (facts and every step kept, grouped into boots) as
 * JSON text, or NULL when the MAC is unknown. */
char *pxh_client_story_json(struct pxh_server *s, const char *mac,
                            bool hide_facts);
/* Machines booting now (seen in the last NOW_WINDOW seconds or in a
 * transfer): phase, file, bytes, rate, stuck after STUCK_AFTER seconds
 * without progress. */
char *pxh_now_json(struct pxh_server *s, bool hide_facts, double stuck_after);

/* A file being sent right now, for the console's Now view. */
struct pxh_transfer {
	const char *proto; /* "tftp", "http", "https" */
	char mac[18];      /* "" when unknown */
	char ip[46];
	char file[128];
	uint64_t done, size; /* bytes acknowledged/sent, of SIZE */
	double started;      /* pxh_server_now() at the start */
	double moved;        /* pxh_server_now() when bytes last moved */
};
/* Fill up to MAX transfers of each module; returns how many. */
size_t pxh_tftp_transfers(struct pxh_server *s, struct pxh_transfer *out,
                          size_t max);
size_t pxh_http_transfers(struct pxh_server *s, struct pxh_transfer *out,
                          size_t max);

/* ---- the last hour of counters (core/series.c) ---------------------------- */
int pxh_series_start(struct pxh_server *s);
void pxh_series_stop(struct pxh_server *s);
/* [log] series_interval again (a reload). */
void pxh_series_reload(struct pxh_server *s);
/* Sample now (tests; the timer does it every [log] series_interval). */
void pxh_series_sample(struct pxh_server *s);
/* JSON text: {"interval":..,"times":[..],"series":{"name":[..]}}. */
char *pxh_series_json(struct pxh_server *s);
/* Each counter (not gauges) with its value. */
void pxh_counters_each(struct pxh_server *s,
                       void (*fn)(void *ud, const char *name, uint64_t v),
                       void *ud);

/* Sockets this process listens on or is bound to, from /proc:
 * [{"proto":"tcp","address":"0.0.0.0","port":80}, ...] (core/listening.c). */
struct json_t *pxh_listening_json(void);

/* Live event stream (core/http/http_events.c): hand EV (its machine is
 * MAC) to the /api/v1/events subscribers.  Cheap when there are none. */
void pxh_http_events_publish(struct pxh_server *s, const pxh_event *ev,
                             const char *mac);

/* ---- files (core/files.c): TFTP root, HTTP root, resolver hooks -------- */
#define PXH_FILE_CASEFOLD 0x1  /* match names case-insensitively */
#define PXH_FILE_BACKSLASH 0x2 /* '\' is a separator (Windows loaders) */
#define PXH_FILE_SYMLINKS 0x4  /* follow symlinks that leave the root */

struct pxh_open_file {
	int fd;             /* -1 when served from memory */
	const uint8_t *mem; /* whole content when fd == -1 */
	uint64_t size;
	time_t mtime;
	char path[512]; /* normalised path relative to the root */
	const char *content_type;
	pxh_file vfile; /* resolver-provided content (release calls free_fn) */
};

/* Open PATH below ROOT for reading: resolver hooks first (when C is given),
 * then the file system.  Refuses ".." escapes, absolute paths, NUL, device
 * files, directories and (unless PXH_FILE_SYMLINKS) symlinks leading out of
 * ROOT.  Returns 0, -ENOENT, -EACCES, -EISDIR, -ENAMETOOLONG or -EINVAL. */
int pxh_file_open(struct pxh_server *s, const char *root, const char *path,
                  const pxh_client *c, unsigned flags,
                  struct pxh_open_file *out);
void pxh_file_close(struct pxh_open_file *f);
/* Normalise a request path into OUT ("a/b/c"); same refusals as above. */
int pxh_path_normalise(const char *in, unsigned flags, char *out, size_t len);
const char *pxh_mime_type(const char *path);

/* The boot script for verdict *V and answer A, for C's boot program (GRUB
 * or iPXE): into OUT, or the cached built-in iPXE menu into *TEXT
 * (malloc'd).  An answer the boot program cannot run gives [boot]
 * default_action instead: *V and *PLUGIN change and WHY says why (else
 * WHY is "").  Nothing for ignore.  Returns 0 or -errno (http_boot.c). */
int pxh_boot_render(struct pxh_server *s, const pxh_client *c,
                    enum pxh_verdict *v, const char **plugin,
                    const struct pxh_answer *a, struct pxh_answer *out,
                    char **text, size_t *len, char *why, size_t why_len);

/* ---- GRUB stage 1 (core/http/grub_stage.c) ------------------------------ */
/* NORM is PREFIX/grub.cfg for one of [boot] grub_prefixes. */
bool pxh_grub_cfg_path(const struct pxh_conf *conf, const char *norm);
/* The generated first stage for client C (its server_ip names us);
 * TFTP: fetched over TFTP, so stage 2 comes over TFTP too. */
int pxh_grub_stage1(struct pxh_server *s, const pxh_client *c, bool tftp,
                    char **out, size_t *out_len);
/* TFTP "boot.grub?FACTS": 0 with OUT filled (the rendered answer),
 * -EINPROGRESS while the decision runs (the client's retransmitted
 * request gets it), or -errno. */
int pxh_grub_tftp_stage2(struct pxh_server *s, const pxh_client *c,
                         const char *req, struct pxh_open_file *out);
bool pxh_grub_tftp_request(const char *req);
/* pxh_file_open's hook: stage 1 for a grub.cfg path, else -ENOENT. */
int pxh_grub_stage1_file(struct pxh_server *s, const char *norm,
                         const pxh_client *c, struct pxh_open_file *out);
/* -t: [boot] grub_prefixes well formed (FILE:LINE in ERRS). */
int pxh_grub_conf_check(const struct pxh_conf *conf, struct pxh_conf_errors *errs);

/* ---- plugin host (core/plugin_host.c) ---------------------------------- */
int pxh_plugins_load(struct pxh_server *s, struct pxh_conf *conf,
                     struct pxh_plugins **out, struct pxh_conf_errors *errs);
void pxh_plugins_unload(struct pxh_plugins *p); /* waits for pending work */
/* Check every enabled plugin's config without running it (pxehubd -t). */
int pxh_plugins_check(struct pxh_conf *conf, struct pxh_conf_errors *errs);
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

/* ---- work pool (core/workpool.c) --------------------------------------- */
int pxh_pool_start(struct pxh_server *s, unsigned threads);
void pxh_pool_stop(struct pxh_server *s);
/* HOST may be NULL for core work.  SERIAL runs items of one key in order. */
int pxh_pool_submit(struct pxh_server *s, struct pxh_host *host,
                    void (*work)(void *), void (*done)(void *), void *ud);
size_t pxh_pool_pending(struct pxh_server *s);

/* ---- protocol modules --------------------------------------------------- */
/* open: bind sockets (called as root, before privileges are dropped).
 * start: begin serving on the loop.  reload: apply a new config (sockets
 * stay; return a note when something needs a restart).  stop: close. */
int pxh_dhcp_open(struct pxh_server *s);
int pxh_dhcp_start(struct pxh_server *s);
void pxh_dhcp_reload(struct pxh_server *s, const struct pxh_conf *old);
void pxh_dhcp_stop(struct pxh_server *s);

int pxh_tftp_open(struct pxh_server *s);
int pxh_tftp_start(struct pxh_server *s);
void pxh_tftp_reload(struct pxh_server *s, const struct pxh_conf *old);
/* Stop accepting; running transfers get GRACE seconds (0 = now). */
void pxh_tftp_stop(struct pxh_server *s, double grace);
size_t pxh_tftp_active(struct pxh_server *s);

int pxh_http_open(struct pxh_server *s);
int pxh_http_start(struct pxh_server *s);
/* Before a reload commits: load NC's certificate, key and TLS settings
 * (HTTPS running only); -errno (logged) refuses the reload.  The reload
 * then puts them in service; abort drops them when it is refused later. */
int pxh_http_reload_prepare(struct pxh_server *s, const struct pxh_conf *nc);
void pxh_http_reload_abort(struct pxh_server *s);
void pxh_http_reload(struct pxh_server *s, const struct pxh_conf *old);
void pxh_http_stop(struct pxh_server *s, double grace);
/* An [http] api_token or client_ca is set: a caller can authenticate. */
bool pxh_http_auth_configured(struct pxh_server *s);
size_t pxh_http_active(struct pxh_server *s);

/* Address the server advertises to a client that came in on IFACE (or the
 * [server] server_ip override); writes dotted quad into OUT. */
int pxh_server_ip_for(struct pxh_server *s, const char *iface,
                      char *out, size_t len);

/* The embedded default iPXE menu (no plugin decided) into A. */
int pxh_default_menu(struct pxh_server *s, const pxh_client *c,
                     struct pxh_answer *a);

/* ---- tftp (core/tftp/) ---------------------------------------------------- */

/* ---- per-source-address bounds (addr_limit.c) ------------------------------ */
/* Exact count of what each IPv4 address (network order) holds: TFTP
 * transfers, HTTP connections.  Zero-initialised is empty. */
#define PXH_ADDR_BUCKETS 1024
struct pxh_addr_node;
struct pxh_addr_count {
	struct pxh_addr_node *b[PXH_ADDR_BUCKETS];
};
uint32_t pxh_addr_count_get(const struct pxh_addr_count *c, uint32_t addr);
int pxh_addr_count_add(struct pxh_addr_count *c, uint32_t addr);
void pxh_addr_count_del(struct pxh_addr_count *c, uint32_t addr);
void pxh_addr_count_free(struct pxh_addr_count *c);

/* Token bucket per address: RATE per second, BURST at once; rate 0 =
 * unlimited.  pxh_addr_rate_take: true if ADDR may go on now. */
#define PXH_ADDR_RATE_SLOTS 4096
struct pxh_addr_rate_slot {
	uint32_t addr;
	bool used;
	double tokens, stamp;
};
struct pxh_addr_rate {
	double rate, burst;
	struct pxh_addr_rate_slot slot[PXH_ADDR_RATE_SLOTS];
};
void pxh_addr_rate_set(struct pxh_addr_rate *r, double rate, double burst);
bool pxh_addr_rate_take(struct pxh_addr_rate *r, uint32_t addr, double now);

/* ---- hot-path string helpers (dhcp performance) ---------------------------- */
/* Log lines to stderr are held between these two and written with one
 * write at the release (a receive batch: several lines per packet).
 * Nested holds are counted; syslog lines are not held. */
void pxh_log_hold(void);
void pxh_log_release(void);

/* Append SRC to DST (CAP bytes) at offset OFF, truncating, NUL terminated;
 * returns the new length.  For per-packet text where snprintf costs more
 * than the work it describes. */
static inline size_t pxh_strcat_at(char *dst, size_t cap, size_t off,
                                   const char *src)
{
	if (!cap || off >= cap)
		return off;
	while (src && *src && off < cap - 1)
		dst[off++] = *src++;
	dst[off] = 0;
	return off;
}

#endif /* PXEHUB_CORE_H */
