/* Shared helpers for the core's unit tests: a server on an event loop with
 * no sockets, built from INI text. */
#ifndef PXH_CORE_FIXTURE_H
#define PXH_CORE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "server.h"
#include "conf.h"

/* Build directory of the test plugins (tests/plugins). */
static inline const char *fx_plugin_dir(void)
{
	const char *b = getenv("B");
	static char dir[512];

	snprintf(dir, sizeof(dir), "%s/tests/plugins", b && *b ? b : "build");
	return dir;
}

static inline char *fx_mkdtemp(void)
{
	char *d = strdup("/tmp/pxh-unit.XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static inline void fx_write(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static inline void fx_rmrf(const char *dir)
{
	char cmd[1100];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

/* True when some error message contains NEEDLE. */
static inline bool fx_has_error(const struct pxh_conf_errors *e, const char *needle)
{
	for (size_t i = 0; i < e->n; i++)
		if (strstr(e->msg[i], needle))
			return true;
	return false;
}

static inline void fx_print_errors(const struct pxh_conf_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		fprintf(stderr, "  conf: %s\n", e->msg[i]);
}

/* Run the default loop until *FLAG is set or SECONDS pass. */
static inline void fx_run_until(struct ev_loop *loop, const bool *flag, double seconds)
{
	double end = ev_time() + seconds;

	while (!*flag && ev_time() < end)
		ev_run(loop, EVRUN_ONCE | EVRUN_NOWAIT), usleep(1000);
}

#endif
