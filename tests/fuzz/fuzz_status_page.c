/* libFuzzer target: the status page (the console's server-rendered HTML,
 * core/http/http_console.c): the machines table and the health section
 * rendered from JSON shaped like /api/v1/clients and /api/v1/status.  No
 * value may reach the page unescaped: the seeds carry "<x" in values, and
 * the page's own markup never has it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* the console's file, its public functions renamed and its assets left to
 * the core library's copy (the target links that too); its headers first,
 * so the empty __asm__ touches only the asset lines */
#include <errno.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "http/http.h"
#define pxh_http_cookie_ok fz_cookie_ok
#define pxh_http_handle_console fz_handle_console
#define __asm__(...)
#include "../../core/http/http_console.c"
#undef __asm__

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf b = {0};
	json_error_t err;
	json_t *j;

	if (size < 1)
		return 0;
	j = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, &err);
	if (!j)
		return 0;
	if (data[0] & 1)
		section_health(&b, j, data[0] & 2);
	else
		section_machines(&b, json_is_array(j) ? j : json_object_get(j, "clients"));
	if (b.p && strstr(b.p, "<x"))
		__builtin_trap();
	for (size_t i = 0; b.p && i < b.len; i++)
		if ((unsigned char)b.p[i] < 0x20 && b.p[i] != '\n')
			__builtin_trap(); /* control bytes become entities */
	free(b.p);
	json_decref(j);
	return 0;
}
