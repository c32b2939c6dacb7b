/* libcurl's multi interface on pxehub's loop, for plugins: the SDK's fd
 * watches and one timer drive it, so no call blocks the loop.  Shared by
 * referral and sccm_mp_http (a plugin.mk lists curl_loop.c in
 * NAME_EXTRA_SRC and links libcurl). */
#ifndef PXH_COMMON_CURL_LOOP_H
#define PXH_COMMON_CURL_LOOP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <pxehub/plugin.h>

struct curl_loop;

/* Called on the loop for each transfer that ended (RES its result), never
 * from inside curl_multi_add_handle: the caller's easy handle is still in
 * the multi handle; removing and freeing it is the callback's business. */
typedef void (*curl_loop_done_fn)(void *ud, CURL *easy, CURLcode res);
/* Called after each round of finished transfers (AFTER may be NULL): room
 * to start queued work. */
typedef void (*curl_loop_after_fn)(void *ud);

struct curl_loop *curl_loop_new(pxh_host *h, curl_loop_done_fn done,
                                curl_loop_after_fn after, void *ud);
CURLM *curl_loop_multi(const struct curl_loop *l);
/* Remove every easy handle first: cleanup may still call back to drop
 * its sockets' watches. */
void curl_loop_free(struct curl_loop *l);

/* A response body kept in memory, at most MAX bytes (NUL terminated):
 * CURLOPT_WRITEFUNCTION curl_body_write with CURLOPT_WRITEDATA the body.
 * More than MAX sets TOO_BIG and aborts the transfer. */
struct curl_body {
	char *p;
	size_t len, cap, max;
	bool too_big;
};
size_t curl_body_write(char *p, size_t size, size_t n, void *ud);

#endif /* PXH_COMMON_CURL_LOOP_H */
