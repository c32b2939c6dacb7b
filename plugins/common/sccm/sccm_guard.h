/* Configuration Manager plugins: the reimaging guard (sccm_guard.c). */
#ifndef PXH_SCCM_GUARD_H
#define PXH_SCCM_GUARD_H

#include "sccm.h"

struct sccm_guard;

/* Loop thread.  WINDOW_S 0 = off.  Reads <state_dir>/reimage_guard. */
struct sccm_guard *sccm_guard_new(pxh_host *h, double window_s);
void sccm_guard_free(struct sccm_guard *g);
/* Loop thread: 1 when required deployment OFFER was started automatically
 * for machine KEY less than the window before NOW (*SINCE = then: do not
 * start it automatically); otherwise 0, and the start is recorded now. */
int sccm_guard_check(struct sccm_guard *g, const char *key, const char *offer,
                     double now, double *since);

#endif
