/* One blocking HTTP(S) GET for a pool thread (curl_fetch.h): the body to a
 * file or to memory, bounded, each chunk shown to the caller. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "curl_fetch.h"

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct curl_fetch *f = ud;
	size_t add = size * n;

	if (add > f->max - f->len) {
		f->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (f->fd >= 0) {
		for (size_t off = 0; off < add;) {
			ssize_t w = write(f->fd, p + off, add - off);

			if (w <= 0) {
				f->io_error = true;
				return 0;
			}
			off += (size_t)w;
		}
	} else {
		char *nb = realloc(f->mem, f->len + add + 1);

		if (!nb) {
			f->io_error = true;
			return 0;
		}
		f->mem = nb;
		memcpy(f->mem + f->len, p, add);
		f->mem[f->len + add] = 0;
	}
	if (f->each)
		f->each(f->ud, p, add);
	f->len += add;
	return add;
}

int curl_fetch_get(struct curl_fetch *f)
{
	CURL *c = curl_easy_init();

	f->mem = NULL;
	f->len = 0;
	f->too_big = f->io_error = false;
	f->status = 0;
	f->err[0] = 0;
	if (!c) {
		f->result = CURLE_OUT_OF_MEMORY;
		return -ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, f->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, f->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, f->timeout_ms);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, f->err);
	if (f->setup)
		f->setup(f->ud, c);
	f->result = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->status);
	curl_easy_cleanup(c);
	if (f->result == CURLE_OK)
		return 0;
	if (f->too_big || f->result == CURLE_FILESIZE_EXCEEDED)
		return -EFBIG;
	if (f->status == 404)
		return -ENOENT;
	if (f->status == 401 || f->status == 403)
		return -EACCES;
	if (f->io_error && f->fd < 0)
		return -ENOMEM;
	return -EIO;
}
