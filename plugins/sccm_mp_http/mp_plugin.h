/* sccm_mp_http: the plugin's state, shared by its loop-side files. */
#ifndef MP_PLUGIN_H
#define MP_PLUGIN_H

#include <jansson.h>

#include "sccm_mp_http.h"
#include "../common/sccm/sccm_front.h"

#define MP_MAX_POINTS 16

/* One [sccm_mp_http.NAME] section. */
struct mp_point {
	char name[64];
	char url[256]; /* no trailing '/' */
	char ca_file[256], client_cert[256], client_key[256];
	struct mp_tls tls;
	long timeout_ms, connect_timeout_ms;
	double down_until; /* skipped until then (unless all are down) */
	unsigned long long answers, failures;
};

struct mp_send;
typedef void (*mp_send_done)(void *ud, int rc, const struct mp_http_res *r,
                             const char *why);

struct mp_send {
	struct mp_plugin *p;
	char method[16], path[128];
	uint8_t *body;
	size_t len;
	const char *ctype;
	unsigned round;
	unsigned long long tried; /* bit per MP, this round */
	size_t idx;
	int in_flight;
	pxh_timer *timer;
	char why[400];
	mp_send_done done;
	void *ud;
	struct mp_send *next;
};

struct mp_job;

/* [sccm_mp_http] and each [sccm_mp_http.NAME], filled by the core from the
 * key tables (sccm_mp_http.c) */
enum { MP_COMPRESS_ZLIB, MP_COMPRESS_NONE }; /* compression */
enum { MP_ARCH_X86, MP_ARCH_X64 };           /* unknown_bios_arch */
struct mp_conf {
	struct sccm_conf sccm; /* first: the shared keys (sccm_conf.h) */
	const char *site_code;
	double site_refresh_s;
	const char *header_template, *lookup_template, *boot_action_template;
	const char *lookup_endpoint, *boot_action_endpoint;
	int compression;
	const char *signing_key, *auth_client_id;
	unsigned retries;
	double retry_backoff_s, down_time_s;
	bool unknown_computers;
	int unknown_bios_arch;
	const char *boot_wim_path;
};
struct mp_point_conf {
	const char *url, *ca_file, *client_cert, *client_key;
	bool verify_tls;
	long timeout_ms, connect_timeout_ms;
};

struct mp_plugin {
	pxh_host *h;
	const struct mp_conf *cf;
	struct mp_http *http;
	struct sccm_content *ct;
	struct sccm_front *front;
	struct mp_point points[MP_MAX_POINTS];
	size_t npoints;
	unsigned retries;
	double backoff, down_time;
	/* request templates */
	char *tmpl_header, *tmpl_lookup, *tmpl_action;
	int compress;
	struct mp_signer *signer; /* NULL: requests go unsigned */
	char auth_client_id[48];  /* "GUID:..." */
	/* site facts */
	struct mp_site site;
	int site_ok, site_fetching;
	double site_at, site_refresh;
	char site_code_conf[8];
	pxh_timer *site_timer;
	struct mp_job *site_waiters;
	int unknown, unknown_bios_x64;
	struct mp_send *sends;
	struct mp_job *jobs;
	unsigned long long requests, failovers, retries_done, site_fetches,
		site_failures, bad_replies;
	json_t *trace; /* the validation kit's record, NULL when off */
};

int mp_send(struct mp_plugin *p, const char *method, const char *path, uint8_t *body,
            size_t len, const char *ctype, mp_send_done done, void *ud);
void mp_send_free(struct mp_send *s);

/* The validation kit's record (mp_trace.c): no-ops while it is off. */
void mp_trace_request(struct mp_plugin *p, const char *kind, const char *endpoint,
                      const char *header, const uint8_t *payload16, size_t len);
void mp_trace_reply(struct mp_plugin *p, long status, const char *error, const uint8_t *xml,
                    size_t len, const char *parse_error);
/* Route /trace (in-process only): ?on=1 starts recording; without, the
 * record with a verdict per exchange (and recording stops). */
int mp_trace_http(void *ud, const pxh_http_request *rq, pxh_http_response *rs);

#endif
