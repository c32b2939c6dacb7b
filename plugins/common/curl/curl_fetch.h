/* One blocking HTTP(S) GET, for plugin work on the pool's threads (never
 * on the loop: it waits for the whole transfer).  Shared by peer and the
 * sccm content cache (a plugin.mk lists curl_fetch.c in NAME_EXTRA_SRC and
 * links libcurl). */
#ifndef PXH_COMMON_CURL_FETCH_H
#define PXH_COMMON_CURL_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

struct curl_fetch {
	/* what to fetch */
	const char *url;
	long timeout_ms, connect_timeout_ms;
	int fd;       /* the body goes to FD, or with -1 into MEM */
	uint64_t max; /* more than MAX bytes: stopped, TOO_BIG set */
	/* every chunk as it arrives (a running hash), or NULL */
	void (*each)(void *ud, const char *p, size_t n);
	/* the caller's own options on the handle (agent, auth, TLS), or NULL */
	void (*setup)(void *ud, CURL *c);
	void *ud;
	/* what came back */
	char *mem; /* NUL terminated, the caller frees it */
	uint64_t len;
	bool too_big, io_error;
	long status;     /* HTTP status, 0 when none came */
	CURLcode result; /* CURLE_OK: a 2xx answer, all of it kept */
	char err[CURL_ERROR_SIZE]; /* libcurl's detail, may be "" */
};

/* Run F: 0, or -ENOENT (404), -EACCES (401, 403), -EFBIG (more than
 * MAX), -ENOMEM, -EIO (anything else; RESULT, STATUS and ERR say what). */
int curl_fetch_get(struct curl_fetch *f);

#endif /* PXH_COMMON_CURL_FETCH_H */
