/* sccm_sql: boot image content cache (DP over HTTP(S) or a local copy). */
#ifndef SS_CONTENT_H
#define SS_CONTENT_H

#include "sccm_sql.h"

struct ss_content_conf {
	const char *dir;       /* cache directory, created */
	unsigned long long max_bytes;
	const char *dp_url;    /* base URL of the DP's package share, or "" */
	const char *local_dir; /* a local synced copy instead, or "" */
	const char *user;      /* network access account ("DOMAIN\\user") */
	const char *password;
	const char *auth;      /* "ntlm", "negotiate", "basic", "any" */
	const char *ca_file;   /* "" = system store */
	int verify_tls;
	int timeout_s;         /* whole transfer */
	double retry_s;        /* a failed file is not fetched again before */
};

struct ss_content;

struct ss_content *ss_content_new(const struct ss_content_conf *conf, pxh_host *h,
                                  char *why, size_t why_len);
void ss_content_free(struct ss_content *ct);

/* Loop thread.  NAME is the served name below /files/sccm/ ("PS100004/
 * boot.wim"), SRC its DP-relative path, HASH its SHA-256 hex or "".
 * Returns 1 when cached, 0 when a fetch runs (started now or before),
 * -errno when it failed lately (retried after retry_s). */
int ss_content_want(struct ss_content *ct, const char *name, const char *src,
                    const char *hash);
/* Loop thread: serve NAME from the cache (mmap), -ENOENT when not cached. */
int ss_content_open(struct ss_content *ct, const char *name, pxh_file *out);

void ss_content_stats(struct ss_content *ct, unsigned long long *bytes,
                      unsigned *files, unsigned long long *fetched,
                      unsigned long long *failed, unsigned long long *hits);

#endif
