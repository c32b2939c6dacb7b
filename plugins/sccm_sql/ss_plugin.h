/* sccm_sql: the plugin's state, shared by the lookups (sccm_sql.c) and
 * the validation kit's check (ss_check.c). */
#ifndef SS_PLUGIN_H
#define SS_PLUGIN_H

#include <pthread.h>

#include "sccm_sql.h"
#include "../common/sccm/sccm_front.h"

/* [sccm_sql], filled by the core from the key table (sccm_sql.c) */
enum { SS_ARCH_X86, SS_ARCH_X64 };          /* bios_arch, unknown_bios_arch */
enum { SS_ENCRYPT_REQUEST, SS_ENCRYPT_REQUIRE }; /* encryption */
struct ss_conf {
	struct sccm_conf sccm; /* first: the shared keys (sccm_conf.h) */
	pxh_conf_list servers;
	const char *database, *user, *password, *password_file;
	int encryption;
	long long login_timeout_ms, query_timeout_ms;
	unsigned pool_size;
	const char *dp_name;
	const char *lookup_sql, *unknown_sql, *boot_action_sql, *boot_images_sql;
	const char *site_code;
	pxh_conf_list duplicate_ids;
	int bios_arch, unknown_bios_arch;
	bool unknown_computers;
};

struct ss_plugin {
	pxh_host *h;
	const struct ss_conf *cf;
	struct ss_db *db;
	struct sccm_content *ct;
	struct sccm_front *front;
	char *sql_lookup, *sql_unknown, *sql_action, *sql_images;
	char **servers;
	size_t nservers;
	char *password;
	char dp[256], site[8];
	int unknown, unknown_bios_x64, bios_x64;
	/* unknown-computer objects, read once per unknown_refresh */
	pthread_mutex_t mu;
	long long unk_x86, unk_x64;
	double unk_read; /* monotonic seconds, 0 = never */
};

struct ss_job {
	struct ss_plugin *p;
	struct sccm_lookup *lk;
	char mac[18], guid[37];
	uint16_t arch;
	struct sccm_result res;
};

/* One lookup, start to end, on the calling thread (the work pool's
 * function; the check calls it directly). */
void ss_lookup_work(void *ud);
const char *ss_unknown_arch(const struct ss_plugin *p, uint16_t arch);

/* Every statement a lookup runs, when the calling thread has a trace
 * (the check's; pool threads have none). */
#define SS_TRACE_MAX 16
struct ss_trace {
	size_t n;
	struct ss_traced {
		char label[16]; /* lookup, unknown, boot_action, boot_images, helptext */
		char *sql;
		int rc;
		char why[200];
		struct ss_table t;
	} q[SS_TRACE_MAX];
};
extern __thread struct ss_trace *ss_cur_trace;
void ss_trace_add(struct ss_trace *tr, const char *label, const char *sql, int rc,
                  const char *why, const struct ss_table *t);
void ss_trace_free(struct ss_trace *tr);

/* The validation kit's HTTP route (pxehubctl sccm check): in-process only. */
int ss_check_http(void *ud, const pxh_http_request *rq, pxh_http_response *rs);

#endif
