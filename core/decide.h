/* The decision chain (core/decide.c): boot decision and boot script hooks
 * in priority order, then [boot] default_action. */
#ifndef PXEHUB_DECIDE_H
#define PXEHUB_DECIDE_H

#include "pxehub/plugin.h"
#include "answer.h"

struct pxh_server;

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

#endif /* PXEHUB_DECIDE_H */
