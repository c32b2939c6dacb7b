/* Configuration Manager plugins: the part facing clients.  One lookup per
 * machine shared by both phases (retransmits and the iPXE phase join it or
 * read its cached result), a deadline per waiting request, the fail
 * policy, events, counters, and the iPXE menu that boots a deployment's
 * boot image with wimboot.  The back end (site database, management point)
 * only runs lookups: it is handed a key and reports a struct sccm_result. */
#ifndef PXH_SCCM_FRONT_H
#define PXH_SCCM_FRONT_H

#include "sccm.h"
#include "sccm_content.h"
#include "sccm_media.h"

/* What a lookup is for. */
struct sccm_key {
	char mac[18];  /* "AA:BB:CC:DD:EE:FF" */
	char guid[37]; /* upper case, or "" */
	uint16_t arch; /* enum pxh_arch */
};

struct sccm_front;
struct sccm_lookup; /* one lookup in flight, handed back to sccm_front_done */

/* Start a lookup for K (loop thread); finish it later, on the loop thread,
 * with sccm_front_done(LK, ...).  Return 0, or -errno when it did not start
 * (then sccm_front_done must not be called). */
typedef int (*sccm_start_fn)(void *ud, const struct sccm_key *k,
                             struct sccm_lookup *lk);

/* The [NAME] keys the front reads: put SCCM_FRONT_KEYS in the key table. */
#define SCCM_FRONT_KEYS                                                          \
	{.name = "deadline", .type = PXH_CONF_DURATION, .def = "1500ms", .min = 50, \
	 .max = 30000, .help = "a request waits this long for the back end, then fail_policy", SCCM_BIND(deadline_s)}, \
	{.name = "fail_policy", .type = PXH_CONF_ENUM, .def = "menu",              \
	 .choices = "ignore|menu|local",                                           \
	 .help = "back end down or slow: ignore, menu (next plugin / default menu), local", SCCM_BIND(fail_policy)}, \
	{.name = "no_deployment", .type = PXH_CONF_ENUM, .def = "ignore",          \
	 .choices = "next|local|ignore", .help = "unknown machine or nothing deployed to it", SCCM_BIND(no_deployment)}, \
	{.name = "cache_ttl", .type = PXH_CONF_DURATION, .def = "60s", .min = 0,   \
	 .max = 3600000, .help = "how long a found machine's answer is reused", SCCM_BIND(cache_ttl_s)},   \
	{.name = "negative_ttl", .type = PXH_CONF_DURATION, .def = "10s", .min = 0, \
	 .max = 600000, .help = "how long 'not found' or 'nothing deployed' is reused", SCCM_BIND(negative_ttl_s)}, \
	{.name = "menu_timeout", .type = PXH_CONF_DURATION, .def = "10s", .min = 0, \
	 .max = 600000, .help = "countdown before the required deployment boots", SCCM_BIND(menu_timeout_ms)}, \
	{.name = "prompt_timeout", .type = PXH_CONF_DURATION, .def = "5s", .min = 0, \
	 .max = 600000,                                                            \
	 .help = "only available deployments: wait this long for a key, else local (0 = no prompt)", SCCM_BIND(prompt_timeout_ms)}, \
	{.name = "reimage_guard", .type = PXH_CONF_DURATION, .def = "12h", .min = 0, \
	 .max = 2592000000LL,                                                      \
	 .help = "a required deployment started automatically is not started automatically again for the machine within this (0 = off)", SCCM_BIND(reimage_guard_s)}, \
	{.name = "wimboot", .type = PXH_CONF_STRING, .def = "/files/wimboot",      \
	 .help = "URL of wimboot", SCCM_BIND(wimboot)},                                                \
	{.name = "inject", .type = PXH_CONF_LIST, .def = "",                       \
	 .help = "extra files for WinPE via wimboot (\"URL name\"), e.g. the media variables", SCCM_BIND(inject)}, \
	{.name = "media_bootstrap_ini", .type = PXH_CONF_PATH, .def = "",          \
	 .flags = PXH_CONF_MUST_EXIST,                                             \
	 .help = "boot media hand-over: a boot media's TsmBootstrap.ini, injected into WinPE by wimboot (with media_variables; empty = off)", SCCM_BIND(media_bootstrap_ini)}, \
	{.name = "media_variables", .type = PXH_CONF_PATH, .def = "",              \
	 .flags = PXH_CONF_MUST_EXIST,                                             \
	 .help = "boot media hand-over: the same media's Variables.dat", SCCM_BIND(media_variables)},          \
	{.name = "media_helper_dir", .type = PXH_CONF_PATH, .def = "",             \
	 .flags = PXH_CONF_MUST_EXIST,                                             \
	 .help = "folder with winpeshl.ini and pxehub-media.js (shipped in sccm_media/), injected too: they copy the media files to X:\\sms\\data and start the boot shell", SCCM_BIND(media_helper_dir)}

/* Loop thread.  BACKEND names what is asked in messages ("site database",
 * "management point"); ERRORS_NAME is the metric counting its failures
 * ("db_errors").  CT is the plugin's content cache (not owned).  NULL when
 * out of memory. */
struct sccm_front *sccm_front_new(pxh_host *h, const char *backend,
                                  const char *errors_name, struct sccm_content *ct,
                                  sccm_start_fn start, void *ud);
/* The usual set-up in a plugin's init: the content cache from the
 * SCCM_CONTENT_KEYS, the front, and the hooks (both decisions, the file
 * resolver, REPORT with UD as its user data).  0 or -errno with WHY; what
 * was made is in *CT / *FRONT either way (free them in fini). */
int sccm_front_setup(pxh_host *h, const char *backend, const char *errors_name,
                     sccm_start_fn start, void *ud, pxh_report_fn report,
                     struct sccm_content **ct, struct sccm_front **front, char *why,
                     size_t why_len);
/* Loop thread, once no lookup is in flight. */
void sccm_front_free(struct sccm_front *f);

/* The decision hook for both phases (register it with F as user data). */
enum pxh_verdict sccm_front_decide(void *f, const pxh_client *c, pxh_answer *a,
                                   pxh_request *req);
/* The file resolver for /files/sccm/ (user data F). */
int sccm_front_resolve(void *f, const pxh_client *c, const char *path,
                       pxh_file *out);
/* Loop thread: lookup LK ended with RES; waiting requests are answered. */
void sccm_front_done(struct sccm_lookup *lk, const struct sccm_result *res);
/* The front's and the content cache's figures. */
void sccm_front_report(struct sccm_front *f, pxh_report *r);
/* "menu", "local" or "ignore": the fail policy, for the plugin's log. */
const char *sccm_front_fail_policy(const struct sccm_front *f);
double sccm_front_deadline(const struct sccm_front *f);

/* ---- the boot script (sccm_menu.c) --------------------------------------- */
/* Start (or check) the content one deployment boots: 1 ready, 0 being
 * fetched, -errno failed, -ENOENT no source configured (the admin serves
 * /files/sccm/ from [http] root). */
int sccm_want_content(pxh_host *h, struct sccm_content *ct,
                      const struct sccm_deploy *d, uint16_t arch);
/* The iPXE script for R's deployments (R->n >= 1): a menu with the
 * required one as default after MENU_TIMEOUT_MS, or a key prompt of
 * PROMPT_TIMEOUT_MS first when all are available; each entry boots
 * wimboot with the `inject` files and MEDIA's (media_dir).  0 or -ENOSPC
 * (script too long). */
int sccm_menu_script(pxh_host *h, struct sccm_content *ct, const struct sccm_media *media,
                     pxh_answer *a,
                     const pxh_client *c, const struct sccm_result *r,
                     unsigned menu_timeout_ms, unsigned prompt_timeout_ms);

#endif /* PXH_SCCM_FRONT_H */
