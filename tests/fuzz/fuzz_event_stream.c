/* libFuzzer target: an event as the live stream sends it (http_events.c).
 * Whatever bytes a client put in the texts, the data line is one valid
 * JSON object whose strings decode back to those bytes (bytes past ASCII
 * as U+0080..U+00FF), ending in a blank line; the UUID only unhidden. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/http.h"

/* Take the next text of at most CAP - 1 bytes (up to a 0 byte) from the input. */
static void take(const uint8_t **p, const uint8_t *end, char *dst, size_t cap)
{
	size_t n = 0;

	while (*p < end && **p && n + 1 < cap)
		dst[n++] = (char)*(*p)++;
	if (*p < end)
		(*p)++;
	dst[n] = 0;
}

/* Does the decoded JSON string V stand for the bytes S? */
static int same(json_t *v, const char *s)
{
	const unsigned char *u = (const unsigned char *)json_string_value(v);
	const unsigned char *b = (const unsigned char *)s;

	if (!u)
		return 0;
	while (*b) {
		if (*b < 0x80) {
			if (*u++ != *b++)
				return 0;
		} else { /* U+00XX in UTF-8 */
			if (u[0] != (0xc0 | (*b >> 6)) || u[1] != (0x80 | (*b & 0x3f)))
				return 0;
			u += 2;
			b++;
		}
	}
	return *u == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[8192];
	const uint8_t *p = data, *end = data + size;
	char mac[18];
	pxh_event ev;
	pxh_client cl;
	json_t *j;
	const char *d;
	size_t n;
	bool hide = size && (data[0] & 1);

	memset(&ev, 0, sizeof(ev));
	memset(&cl, 0, sizeof(cl));
	ev.client = &cl;
	ev.kind = size ? (enum pxh_event_kind)(data[0] >> 1) % (PXH_EV__MAX + 2) : 0;
	ev.severity = size > 1 ? data[1] % 9 : 0;
	ev.bytes = size > 2 ? data[2] * 1000003ull : 0;
	ev.duration_us = size > 3 ? data[3] * 997ull : 0;
	if (size > 4)
		p += 4;
	take(&p, end, mac, sizeof(mac));
	take(&p, end, cl.ip, sizeof(cl.ip));
	take(&p, end, cl.uuid, sizeof(cl.uuid));
	take(&p, end, cl.arch_name, sizeof(cl.arch_name));
	take(&p, end, ev.action, sizeof(ev.action));
	take(&p, end, ev.plugin, sizeof(ev.plugin));
	take(&p, end, ev.file, sizeof(ev.file));
	take(&p, end, ev.message, sizeof(ev.message));
	n = pxh_http_event_text(&ev, mac, 42, hide, buf, sizeof(buf));
	if (n != strlen(buf) || n < 4 || strcmp(buf + n - 3, "}\n\n") != 0)
		abort();
	d = strstr(buf, "\ndata: ");
	if (!d || strchr(d + 7, '\n') != buf + n - 2)
		abort(); /* one data line, then the blank line */
	j = json_loadb(d + 7, (size_t)(buf + n - 2 - (d + 7)), 0, NULL);
	if (!json_is_object(j) || json_integer_value(json_object_get(j, "seq")) != 42)
		abort();
	if ((mac[0] && !same(json_object_get(j, "mac"), mac)) ||
	    (ev.file[0] && !same(json_object_get(j, "file"), ev.file)) ||
	    (ev.message[0] && !same(json_object_get(j, "msg"), ev.message)) ||
	    (ev.plugin[0] && !same(json_object_get(j, "plugin"), ev.plugin)))
		abort();
	if (hide ? json_object_get(j, "uuid") != NULL
	         : cl.uuid[0] && !same(json_object_get(j, "uuid"), cl.uuid))
		abort();
	if (strpbrk(buf, "<>&"))
		abort(); /* the stream never carries markup characters raw */
	json_decref(j);
	return 0;
}
