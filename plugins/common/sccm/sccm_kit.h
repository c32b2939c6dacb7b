/* Configuration Manager plugins: the validation kit's shared bits. */
#ifndef PXH_SCCM_KIT_H
#define PXH_SCCM_KIT_H

#include <jansson.h>

#include <pxehub/plugin.h>

/* Answer the route with O as JSON (O is consumed); 0 or -ENOMEM. */
int sccm_kit_reply(pxh_http_response *rs, int status, json_t *o);
/* One verdict: LEVEL "pass", "warn" or "fail" (counted in *FAILED). */
void sccm_kit_check(json_t *checks, int *failed, const char *name, const char *level,
                    const char *detail);

#endif
