/* Configuration Manager plugins: what both validation-kit routes share
 * (pxehubctl sccm check, in-process only). */
#include <errno.h>
#include <string.h>

#include "sccm_kit.h"

int sccm_kit_reply(pxh_http_response *rs, int status, json_t *o)
{
	rs->status = status;
	rs->content_type = "application/json";
	rs->body = json_dumps(o, JSON_INDENT(1) | JSON_SORT_KEYS);
	rs->body_len = rs->body ? strlen(rs->body) : 0;
	json_decref(o);
	return rs->body ? 0 : -ENOMEM;
}

void sccm_kit_check(json_t *checks, int *failed, const char *name, const char *level,
                    const char *detail)
{
	if (!strcmp(level, "fail"))
		(*failed)++;
	json_array_append_new(checks, json_pack("{s:s, s:s, s:s}", "name", name, "level", level,
	                                        "detail", detail));
}
