/* The core without sockets: config, events, work pool, plugins and the
 * decision chain on one loop.  Used by pxehubctl decide and by the SDK's
 * test kit (sdk/testkit/tk_headless.c builds this same file). */
#ifndef PXEHUB_HEADLESS_H
#define PXEHUB_HEADLESS_H

#include <stdbool.h>

#include "pxehub/plugin.h"
#include "answer.h"
#include "conf.h"
#include "server.h"

struct ev_loop;

/* Set S up on LOOP with CONF (S takes CONF over), start the work pool and
 * load the enabled plugins as pxehubd does; LOG_LEVEL < 0 keeps [log]
 * level.  DROP: switch to [server] user first, as the daemon does before
 * loading plugins.  Returns 0, or -errno with the problems in ERRS. */
int pxh_headless_start(struct pxh_server *s, struct ev_loop *loop,
                       struct pxh_conf *conf, int log_level, bool drop,
                       struct pxh_conf_errors *errs);
/* Turn the loop until no deferred request or work item is pending (at most
 * MAX_WAIT seconds), then free everything S holds. */
void pxh_headless_stop(struct pxh_server *s, double max_wait);
/* Deferred requests and work items pending in S's plugins. */
size_t pxh_headless_pending(struct pxh_server *s);

/* Fill C as the DHCP and HTTP code would for this MAC ("aa:bb:..", '-'
 * separators and upper case accepted) and ARCH (a name as pxh_arch_name()
 * gives, or the option 93 number).  PXH_PHASE_IPXE sets user class iPXE.
 * Returns 0 or -EINVAL. */
int pxh_client_synth(pxh_client *c, enum pxh_phase phase, const char *mac,
                     const char *arch);

/* One decision run to its end on S's loop. */
struct pxh_sync_decision {
	enum pxh_verdict verdict;
	struct pxh_answer answer; /* a copy; pxh_sync_decision_clear() */
	char plugin[32];
	char why[256];
	double seconds;
	bool done;
};
int pxh_decide_sync(struct pxh_server *s, const pxh_client *c,
                    struct pxh_sync_decision *out);
void pxh_sync_decision_clear(struct pxh_sync_decision *d);

#endif
