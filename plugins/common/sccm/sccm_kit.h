/* Configuration Manager plugins: the validation kit's shared bits. */
#ifndef PXH_SCCM_KIT_H
#define PXH_SCCM_KIT_H

#include <stddef.h>

#include <jansson.h>

#include <pxehub/plugin.h>

/* What a fixture shows instead of the site's values. */
#define SCCM_FIX_MAC "02:00:5E:00:00:01"
#define SCCM_FIX_GUID "00000000-0000-4000-8000-000000000001"
#define SCCM_FIX_DP "dp.example.invalid"
#define SCCM_FIX_NAME "HOST"

/* Answer the route with O as JSON (O is consumed); 0 or -ENOMEM. */
int sccm_kit_reply(pxh_http_response *rs, int status, json_t *o);
/* One verdict: LEVEL "pass", "warn" or "fail" (counted in *FAILED). */
void sccm_kit_check(json_t *checks, int *failed, const char *name, const char *level,
                    const char *detail);
/* Value of NAME in query Q, %-decoded, into OUT; "" when absent. */
void sccm_kit_qparam(const char *q, const char *name, char *out, size_t len);

/* ---- sanitizing a fixture --------------------------------------------------
 * A list of replacements applied to every string of a fixture, so that one
 * site value always becomes the same stand-in value (a lookup's GUID in the
 * reply is the GUID the boot action request names).  The client's MAC
 * (colon and dash forms), SMBIOS GUID and the DP's name come first. */
#define SCCM_SANIT_MAX 64

struct sccm_sanit {
	size_t n;
	struct {
		char *from, *to;
	} map[SCCM_SANIT_MAX];
	unsigned guids, macs, hosts, names; /* stand-ins handed out so far */
};

/* MAC/GUID/DP may be "" (not replaced). */
void sccm_sanit_init(struct sccm_sanit *z, const char *mac, const char *guid, const char *dp);
void sccm_sanit_free(struct sccm_sanit *z);
/* V with every mapped value replaced (case-insensitively) and the host of a
 * URL or UNC path that V is replaced by SCCM_FIX_DP; malloc'd, NULL when
 * out of memory. */
char *sccm_sanitize(const struct sccm_sanit *z, const char *v);
/* Map every GUID, MAC address, URL/UNC host, the text of each element
 * named in NAME_TAGS and the value of each attribute in NAME_ATTRS (NULL
 * terminated; machine, site and server names) found in TEXT to a stand-in
 * not mapped yet: GUIDs 00000000-0000-4000-8000-0000000000NN, MACs
 * 02:00:5E:00:00:NN, hosts dpN.example.invalid, names HOSTN. */
void sccm_sanit_scan(struct sccm_sanit *z, const char *text, const char *const *name_tags,
                     const char *const *name_attrs);

#endif
