/* libFuzzer: the POST /api/v1/report body (pxh_http_report_parse) and the
 * escaping every event text passes where it leaves the process
 * (pxh_log_escape).  A body is answered 0, 400 or 422; an accepted one
 * names a well-formed MAC or UUID and a status, progress 0..100, every
 * text NUL terminated in its field; escaped, no text keeps a control
 * character and an escape is never cut in half. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_mac(const char *m)
{
	if (!m[0])
		return;
	if (strlen(m) != 17)
		__builtin_trap();
	for (int i = 0; i < 17; i++) {
		char ch = m[i];

		if (i % 3 == 2 ? ch != ':'
		               : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			__builtin_trap();
	}
}

static void check_uuid(const char *u)
{
	if (!u[0])
		return;
	if (strlen(u) != 36)
		__builtin_trap();
	for (int i = 0; i < 36; i++) {
		char ch = u[i];

		if (i == 8 || i == 13 || i == 18 || i == 23 ? ch != '-'
		    : !((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F')))
			__builtin_trap();
	}
}

/* Escaped text: no control character, and read back ("\xNN" -> byte) it
 * is a prefix of the original. */
static void check_escape(const char *src, size_t cap)
{
	char out[300];
	size_t n, i, j = 0;

	if (cap > sizeof(out))
		cap = sizeof(out);
	n = pxh_log_escape(out, cap, src);
	if (n != strlen(out) || n >= cap)
		__builtin_trap();
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)out[i];

		if (ch < 0x20 || ch == 0x7f)
			__builtin_trap();
		if ((unsigned char)src[j] < 0x20 || src[j] == 0x7f) {
			unsigned v;

			if (ch != '\\' || i + 3 >= n || out[i + 1] != 'x')
				__builtin_trap();
			v = (unsigned)strtoul((char[]){out[i + 2], out[i + 3], 0}, NULL, 16);
			if (v != (unsigned char)src[j])
				__builtin_trap();
			i += 3;
		} else if (ch != (unsigned char)src[j]) {
			__builtin_trap();
		}
		j++;
	}
	if (pxh_log_needs_escape(out))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pxh_event ev;
	pxh_client who;
	char why[256], *body;
	int st;

	if (size > 65536)
		return 0;
	/* an exact-size copy, not NUL terminated, so ASan sees overreads */
	body = malloc(size ? size : 1);
	if (!body)
		return 0;
	memcpy(body, data, size);
	memset(why, 'x', sizeof(why));
	st = pxh_http_report_parse(body, size, &ev, &who, why, sizeof(why));
	free(body);
	if (st) {
		if ((st != 400 && st != 422) || !memchr(why, 0, sizeof(why)))
			__builtin_trap();
		return 0;
	}
	if (ev.kind != PXH_EV_REPORT || !ev.action[0] ||
	    (!ev.client->mac[0] && !ev.client->uuid[0]) || ev.bytes > 100)
		__builtin_trap();
	if (!memchr(ev.action, 0, sizeof(ev.action)) ||
	    !memchr(ev.file, 0, sizeof(ev.file)) ||
	    !memchr(ev.message, 0, sizeof(ev.message)))
		__builtin_trap();
	check_mac(ev.client->mac);
	check_uuid(ev.client->uuid);
	check_escape(ev.action, sizeof(ev.action));
	check_escape(ev.file, sizeof(ev.file));
	check_escape(ev.message, 300);
	return 0;
}
