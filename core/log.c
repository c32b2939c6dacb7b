/* Logging: one line per event to stderr (journald friendly) or syslog. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "pxehub/plugin.h"
#include "log.h"

static int max_level = PXH_LOG_INFO;
static bool to_syslog;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* Lines held while a batch of packets is handled (pxh_log_hold), written
 * with one write at the end of the batch instead of one per line. */
#define HOLD_CAP 65536
static char hold_buf[HOLD_CAP];
static size_t hold_len;
static int hold_depth;

static void hold_flush_locked(void)
{
	if (hold_len) {
		fwrite(hold_buf, 1, hold_len, stderr);
		fflush(stderr);
		hold_len = 0;
	}
}

static const char *const level_names[] = {
	[0] = "emerg", [1] = "alert", [2] = "crit",   [3] = "err",
	[4] = "warn",  [5] = "notice", [6] = "info", [7] = "debug",
};

void pxh_log_setup(int level, bool use_syslog)
{
	if (level < PXH_LOG_ERR)
		level = PXH_LOG_ERR;
	if (level > PXH_LOG_DEBUG)
		level = PXH_LOG_DEBUG;
	max_level = level;
	if (use_syslog && !to_syslog)
		openlog("pxehubd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	to_syslog = use_syslog;
}

int pxh_log_level(void)
{
	return max_level;
}

static void vlog_line(int level, const pxh_client *c, const char *fmt, va_list ap);

void pxh_vlogf(int level, const pxh_client *c, const char *fmt, va_list ap)
{
	if (level > max_level)
		return;
	vlog_line(level, c, fmt, ap);
}

/* Whatever [log] level says: lines tools wait for ("server: ready"). */
void pxh_log_force(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(level, NULL, fmt, ap);
	va_end(ap);
}

bool pxh_log_needs_escape(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

size_t pxh_log_escape(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	if (!cap)
		return 0;
	for (; *src; src++) {
		unsigned char ch = (unsigned char)*src;

		if (ch >= 0x20 && ch != 0x7f) {
			if (o + 1 >= cap)
				break;
			dst[o++] = (char)ch;
			continue;
		}
		/* "\x0a": a whole escape or nothing, never half of one */
		if (o + 4 >= cap)
			break;
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = "0123456789abcdef"[ch >> 4];
		dst[o++] = "0123456789abcdef"[ch & 15];
	}
	dst[o] = 0;
	return o;
}

static void vlog_line(int level, const pxh_client *c, const char *fmt, va_list ap)
{
	char msg[1024], esc[1024];
	size_t off = 0;

	if (level < 0)
		level = 0;
	if (level > 7)
		level = 7;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	off = strlen(msg);
	/* The client's MAC goes on every line about it, so one grep tells a
	 * machine's story. */
	if (c && c->mac[0] && !strstr(msg, "mac="))
		snprintf(msg + off, sizeof(msg) - off, " mac=%s", c->mac);
	/* The edge every line passes: whatever a client put in a file name,
	 * path, report or DHCP string, it cannot start a line of its own
	 * (journald would read "<0>" there as a priority). */
	if (pxh_log_needs_escape(msg)) {
		pxh_log_escape(esc, sizeof(esc), msg);
		memcpy(msg, esc, sizeof(msg));
	}
	if (to_syslog) {
		syslog(level, "%s", msg);
		return;
	}
	pthread_mutex_lock(&log_lock);
	/* journald adds the time; the level prefix "<N>" lets it set the
	 * priority when stderr is the journal stream. */
	if (hold_depth && level > PXH_LOG_ERR) {
		size_t room = HOLD_CAP - hold_len;
		int n = snprintf(hold_buf + hold_len, room, "<%d>%s %s\n", level,
		                 level_names[level], msg);
		if (n > 0 && (size_t)n < room) {
			hold_len += (size_t)n;
			pthread_mutex_unlock(&log_lock);
			return;
		}
	}
	/* held lines first, then this one: when the buffer is full, and for
	 * an error, which goes out at once (the line before an abort,
	 * core/decide.c, must not die in the buffer) */
	hold_flush_locked();
	fprintf(stderr, "<%d>%s %s\n", level, level_names[level], msg);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

void pxh_log_hold(void)
{
	pthread_mutex_lock(&log_lock);
	hold_depth++;
	pthread_mutex_unlock(&log_lock);
}

void pxh_log_release(void)
{
	pthread_mutex_lock(&log_lock);
	if (hold_depth > 0 && --hold_depth == 0)
		hold_flush_locked();
	pthread_mutex_unlock(&log_lock);
}

void pxh_logf(int level, const pxh_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pxh_vlogf(level, c, fmt, ap);
	va_end(ap);
}
