/* libFuzzer target: pxehubctl watch's Server-Sent Events reader (the
 * line parser of core/pxehubctl/ctl_http.c).  Whatever a server sends,
 * each message handed on has a NUL-terminated event name without line
 * breaks and data that came from data: lines only. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/pxehubctl/ctl_http.c"

static int on_msg(void *ud, const char *event, const char *data)
{
	size_t *n = ud;

	if (!*event || strpbrk(event, "\r\n") || strlen(event) >= 64)
		abort();
	if (strlen(data) > 1 << 20)
		abort();
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sse m = {0};
	char *buf = malloc(size + 1), *line, *nl;
	size_t msgs = 0, lines = 0;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	/* lines as ctl_http_stream cuts them: at '\n', a '\r' before it dropped */
	for (line = buf; line && lines < 100000; line = nl, lines++) {
		nl = strchr(line, '\n');
		if (nl) {
			*nl = 0;
			if (nl > line && nl[-1] == '\r')
				nl[-1] = 0;
			nl++;
		}
		if (sse_line(&m, line, on_msg, &msgs) < 0)
			break;
	}
	{
		char end[1] = "";

		sse_line(&m, end, on_msg, &msgs); /* the end of a message */
	}
	free(m.data);
	free(buf);
	return 0;
}
