/* The decision chain (core/decide.c): boot decision and boot script hooks
 * in priority order, then [boot] default_action. */
#ifndef PXEHUB_DECIDE_H
#define PXEHUB_DECIDE_H

#include "pxehub/plugin.h"
#include "answer.h"

struct pxh_server;

struct pxh_decision;
/* What a decision came to.  V is never PXH_NEXT or PXH_DEFERRED: when every
 * plugin said next (or time ran out) the [boot] default_action is applied:
 * "menu" gives PXH_BOOT with an empty answer (the caller fills the
 * defaults), "local" PXH_LOCAL, "ignore" PXH_IGNORE.  PLUGIN is the deciding
 * plugin's name or "default"; WHY a readable reason. */
struct pxh_decided {
	enum pxh_verdict v;
	struct pxh_answer answer;
	char plugin[32];
	char why[256];
};
void pxh_decided_clear(struct pxh_decided *r);
/* A decision that went on the loop ends here: called exactly once, from the
 * loop (the ready queue's drain or the deadline), never from inside a
 * plugin's call nor before pxh_decide_start() returned. */
typedef void (*pxh_decide_done_fn)(void *ctx, enum pxh_verdict v,
                                   const struct pxh_answer *a,
                                   const char *plugin, const char *why);
/* PHASE is PXH_PHASE_DHCP (boot decision hooks) or PXH_PHASE_IPXE (boot
 * script hooks).  The client is copied.  Returns
 *   1  decided at once (no plugin deferred): *NOW holds the verdict (its
 *      answer's client is C; pxh_decided_clear it), DONE is never called;
 *   0  a plugin deferred: DONE comes later from the loop; *HANDLE (may be
 *      NULL) lets the caller cancel, DONE is then never called;
 *   -errno: neither.
 * On the main loop only.  The one async rule, docs/HACKING.md: a
 * completion never runs the next hook or DONE on the plugin's stack.
 * WHO (a static string, e.g. "dhcp") names the caller if the rule breaks:
 * a DONE about to run before this returned (a bug in core/decide.c) stops
 * the daemon with "WHO: a decision's DONE ran before pxh_decide_start()
 * returned" instead of the caller storing or freeing, after a 0, the
 * context DONE freed.  So callers need no guard of their own. */
int pxh_decide_start(struct pxh_server *s, enum pxh_phase phase,
                     const pxh_client *c, pxh_decide_done_fn done, void *ctx,
                     struct pxh_decision **handle, struct pxh_decided *now,
                     const char *who);
/* pxh_decide_start() that hands an answer made at once to DONE before it
 * returns (then 0 and *HANDLE NULL), on the caller's stack: for callers
 * whose DONE only records the verdict (pxh_decide_sync, tests). */
int pxh_decide(struct pxh_server *s, enum pxh_phase phase,
               const pxh_client *c, pxh_decide_done_fn done, void *ctx,
               struct pxh_decision **handle);
void pxh_decide_cancel(struct pxh_decision *d);
/* Server stop: completions still queued are dropped. */
void pxh_decide_stop(struct pxh_server *s);
/* [boot] decision_timeout (ms). */
long long pxh_decide_deadline_ms(struct pxh_server *s);

#endif /* PXEHUB_DECIDE_H */
