/* Logging (core/log.c): levels, escaping of client text, held batches. */
#ifndef PXEHUB_LOG_H
#define PXEHUB_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "pxehub/plugin.h"

/* Lines look like: "info dhcp: mac=.. arch=bios action=boot file=.." */
void pxh_log_setup(int max_level, bool use_syslog);
int pxh_log_level(void);
void pxh_logf(int level, const pxh_client *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pxh_vlogf(int level, const pxh_client *c, const char *fmt, va_list ap);
void pxh_log_force(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Client-supplied text is escaped where it leaves the process: every log
 * line (stderr and syslog) and every event (pxh_emit) has its control
 * characters and DEL written as "\xNN", so nothing a client sends starts a
 * line of its own.  ESCAPE copies SRC into DST (CAP bytes, NUL terminated,
 * never half an escape) and returns the length. */
bool pxh_log_needs_escape(const char *s);
size_t pxh_log_escape(char *dst, size_t cap, const char *src);
#define pxh_err(...) pxh_logf(PXH_LOG_ERR, NULL, __VA_ARGS__)
#define pxh_warn(...) pxh_logf(PXH_LOG_WARNING, NULL, __VA_ARGS__)
#define pxh_notice(...) pxh_logf(PXH_LOG_NOTICE, NULL, __VA_ARGS__)
#define pxh_info(...) pxh_logf(PXH_LOG_INFO, NULL, __VA_ARGS__)
#define pxh_debug(...)                                                         \
	do {                                                                   \
		if (pxh_log_level() >= PXH_LOG_DEBUG)                          \
			pxh_logf(PXH_LOG_DEBUG, NULL, __VA_ARGS__);            \
	} while (0)

/* Log lines to stderr are held between these two and written with one
 * write at the release (a receive batch: several lines per packet).
 * Nested holds are counted; syslog lines are not held, nor errors (they
 * go out at once, after what was held: the line before an abort). */
void pxh_log_hold(void);
void pxh_log_release(void);

#endif /* PXEHUB_LOG_H */
