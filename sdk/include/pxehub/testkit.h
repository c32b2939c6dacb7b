/*
 * pxehub plugin test kit: run a plugin's hooks in a unit test, without the
 * daemon and without sockets.
 *
 * The kit is the pxehub core itself (config loader, plugin host, decision
 * chain, event queue, counters, work pool, one libev loop) with no DHCP,
 * TFTP or HTTP server started.  A plugin is loaded exactly as pxehubd loads
 * it: its config is checked against its key table, then init runs.
 *
 *   #include <pxehub/testkit.h>
 *
 *   pxh_tk *tk = pxh_tk_new("[boot]\ndecision_timeout = 500ms\n"
 *                           "[hello]\nmacs = 52:54:00:12:34:56\n");
 *   if (pxh_tk_load(tk, "./hello.so"))
 *           fail(pxh_tk_error(tk));
 *   pxh_client c;
 *   pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:12:34:56", "efi-x64");
 *   pxh_tk_decision d;
 *   pxh_tk_decide(tk, &c, &d);       // d.verdict == PXH_BOOT, d.plugin "hello"
 *   pxh_tk_free(tk);
 *
 * Link: cc test.c $(pkg-config --variable=testkit_libs pxehub-plugin).
 * Every function runs on the caller's thread, which is the loop thread.
 */
#ifndef PXEHUB_TESTKIT_H
#define PXEHUB_TESTKIT_H

#include <pxehub/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pxh_tk pxh_tk;

/*
 * A new kit.  INI is config text (may be NULL): the core's sections
 * ([boot], [access], [log], ...) go to the main file, every other section
 * ([NAME], [NAME.SUB]) to plugins.d/NAME.conf, exactly as an admin would
 * write them.  The kit adds what a test needs (a temporary state dir,
 * "[access] allow = all", "[log] level = warning" unless given).  Returns
 * NULL when out of memory or when a temporary directory cannot be made.
 */
pxh_tk *pxh_tk_new(const char *ini);

/*
 * Load the plugin at SO_PATH (its file name minus ".so" is its name), plus
 * the ones loaded before, as pxehubd would after a reload: [NAME] enabled =
 * yes is implied.  Returns 0, or -errno with the problems (FILE:LINE:
 * message lines, as pxehubd -t prints them) in pxh_tk_error().
 */
int pxh_tk_load(pxh_tk *tk, const char *so_path);
const char *pxh_tk_error(const pxh_tk *tk); /* "" when none */

/* Fill C as the core would for a client with this MAC and architecture
 * name ("bios", "efi-x64", "efi-ia32", "efi-arm64", ...).  PXH_PHASE_IPXE
 * also sets user class "iPXE" and is_ipxe.  Change fields afterwards as
 * needed.  Returns 0 or -EINVAL (bad MAC or arch name). */
int pxh_tk_client(pxh_client *c, enum pxh_phase phase, const char *mac,
                  const char *arch);

/* Make C (filled by pxh_tk_client) a client of BOOT_PROGRAM
 * (PXH_BOOT_PROGRAM_GRUB or _IPXE) in the script phase, as the core does:
 * GRUB gets user class "GRUB", is_ipxe 0 and is_http_boot = HAS_HTTP
 * (0: Debian's signed GRUB over TFTP, 1: GRUB with HTTP).  0 or -EINVAL. */
int pxh_tk_client_boot_program(pxh_client *c, int boot_program, int has_http);

/* What a decision came to.  Strings are never NULL ("" when unset) and
 * stay valid until the next pxh_tk_decide() or pxh_tk_free(). */
typedef struct pxh_tk_decision {
	enum pxh_verdict verdict; /* PXH_BOOT, PXH_LOCAL or PXH_IGNORE */
	const char *plugin;       /* the deciding plugin, or "default" */
	const char *reason;
	const char *loader;
	const char *next_server;
	const char *script; /* script phase; for local, the script pxehubd
	                       serves ("#!ipxe" + exit; valid until the next
	                       pxh_tk_served_script() call) */
	size_t n_options;   /* extra DHCP options, see pxh_tk_option() */
	double seconds;     /* how long the decision took */
} pxh_tk_decision;

/*
 * Run the decision chain for C in C->phase (PXH_PHASE_DHCP: boot decision
 * hooks; PXH_PHASE_IPXE: boot script hooks), turning the loop until it is
 * done: deferred answers, timers and work items run as in the daemon, and
 * [boot] decision_timeout applies.  When every plugin says next, OUT shows
 * the default (plugin "default").  Returns 0 or -errno.
 */
int pxh_tk_decide(pxh_tk *tk, const pxh_client *c, pxh_tk_decision *out);
/* The script pxehubd would serve for the last decision (script phase):
 * the answer rendered for the client's boot program, or [boot]
 * default_action when that boot program cannot run it (*WHY, when WHY is
 * not NULL, then says why; "" otherwise).  NULL when nothing is served
 * (ignore).  Valid until the next call. */
const char *pxh_tk_served_script(pxh_tk *tk, const char **why);

/* Extra DHCP option CODE of the last decision (bytes, *LEN), or NULL. */
const uint8_t *pxh_tk_option(pxh_tk *tk, uint8_t code, size_t *len);

/* Turn the loop for SECONDS (timers, work "done" callbacks, event hooks). */
void pxh_tk_run(pxh_tk *tk, double seconds);

/*
 * Events.  Every event the core or a plugin emits is also captured by the
 * kit (up to 1024, oldest dropped).  pxh_tk_emit() hands EV to the event
 * hooks as the core would (queued, then delivered when the loop turns: it
 * turns the loop briefly itself).
 */
void pxh_tk_emit(pxh_tk *tk, const pxh_event *ev);
size_t pxh_tk_event_count(const pxh_tk *tk);
const pxh_event *pxh_tk_event(const pxh_tk *tk, size_t i); /* oldest first */
/* The newest captured event of KIND, or NULL. */
const pxh_event *pxh_tk_last_event(const pxh_tk *tk, enum pxh_event_kind kind);
void pxh_tk_events_clear(pxh_tk *tk);

/* Prometheus text of /metrics, report hooks included (free() it). */
char *pxh_tk_metrics(pxh_tk *tk);
/* The value of metric NAME (exact text before the value, labels included,
 * e.g. "pxehub_plugin_hello_booted"), or -1 when absent. */
double pxh_tk_metric(pxh_tk *tk, const char *name);

/*
 * Call plugin NAME's HTTP route as GET/POST /plugins/NAME/PATH would.
 * PATH starts with '/' and may carry "?query"; BODY may be NULL.  The
 * request has no headers (pxh_http_header() returns NULL) and counts as
 * authenticated.  Returns the HTTP status (404 when NAME has no route, or
 * -errno) and, when BODY_OUT is not NULL, the body (free() it).
 */
int pxh_tk_http(pxh_tk *tk, const char *name, const char *method,
                const char *path, const char *body, char **body_out);

/* Unload the plugins (waiting, bounded, for their pending work), free the
 * kit and remove its temporary files. */
void pxh_tk_free(pxh_tk *tk);

#ifdef __cplusplus
}
#endif
#endif /* PXEHUB_TESTKIT_H */
