/* RFC 5424 rendering of a pxehub event (header, structured data, MSG). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "syslog_format.h"
#include "syslog_proto.h"

/* The MSGID of an event is the core's name of its kind (RFC 5424 6.2.7:
 * at most 32 PRINTUSASCII; every kind name fits). */
const char *sl_msgid(int kind)
{
	if (kind > 0 && kind < PXH_EV__MAX)
		return pxh_event_kind_name((enum pxh_event_kind)kind);
	return "unknown";
}

int sl_kind_from_name(const char *name)
{
	for (int k = 1; k < PXH_EV__MAX; k++)
		if (!strcasecmp(pxh_event_kind_name((enum pxh_event_kind)k), name))
			return k;
	return 0;
}

/* RFC 5424 6.2.1 table 1 (names as syslog.conf spells them). */
static const char *const facilities[SYSLOG_FACILITY_MAX + 1] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "audit", "alert", "clock",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6",
	"local7",
};

int sl_facility_from_name(const char *name)
{
	for (int i = 0; i <= SYSLOG_FACILITY_MAX; i++)
		if (!strcasecmp(facilities[i], name))
			return i;
	return -1;
}

/* RFC 5424 6.2.1 table 2. */
static const char *const severities[8] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

int sl_severity_from_name(const char *name)
{
	for (int i = 0; i < 8; i++)
		if (!strcasecmp(severities[i], name))
			return i;
	if (!strcasecmp(name, "error"))
		return 3;
	return -1;
}

/* Length of the valid UTF-8 sequence at P (at most N bytes), 0 if invalid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/*
 * Copy IN to OUT as valid UTF-8 without control characters (they become
 * CTRL), with a backslash before each byte of ESCAPE.  Stops before a
 * sequence that would not fit whole.  Returns the length written.
 */
static size_t clean_copy(char *out, size_t cap, const char *in,
                         const char *escape, char ctrl)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n = strlen(in), o = 0, i = 0;

	if (!cap)
		return 0;
	while (i < n) {
		size_t l = utf8_len(p + i, n - i);
		char c = (char)p[i];

		if (l == 0 || (l == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			c = l == 0 ? '?' : ctrl; /* one replacement byte */
			l = 1;
			if (o + 1 >= cap)
				break;
			out[o++] = c;
			i++;
			continue;
		}
		if (l == 1 && escape && strchr(escape, c)) {
			if (o + 2 >= cap)
				break;
			out[o++] = '\\';
			out[o++] = c;
			i++;
			continue;
		}
		if (o + l >= cap)
			break;
		memcpy(out + o, p + i, l);
		o += l;
		i += l;
	}
	out[o] = '\0';
	return o;
}

size_t sl_sd_escape(char *out, size_t cap, const char *in)
{
	/* RFC 5424 6.3.3: '"', '\' and ']' MUST be escaped in PARAM-VALUE. */
	return clean_copy(out, cap, in, "\"\\]", '?');
}

/* A growing string in a fixed buffer; overflow only sets the flag. */
struct out {
	char *p;
	size_t cap, len;
	int full;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->full = 1;
		o->p[o->len] = '\0';
		return;
	}
	o->len += (size_t)n;
}

static void put_param(struct out *o, const char *name, const char *value)
{
	char esc[2 * sizeof(((pxh_event *)0)->file) + 1];

	if (!value || !*value)
		return;
	sl_sd_escape(esc, sizeof(esc), value);
	put(o, " %s=\"%s\"", name, esc);
}

static void put_timestamp(struct out *o, uint64_t us)
{
	time_t secs = (time_t)(us / 1000000u);
	struct tm tm;

	/* RFC 5424 6.2.3: RFC 3339 time, UTC, at most microseconds. */
	if (!us || !gmtime_r(&secs, &tm)) {
		put(o, " " SYSLOG_NILVALUE);
		return;
	}
	put(o, " %04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (unsigned)(us % 1000000u));
}

static void put_hostname(struct out *o, const char *h)
{
	char name[SYSLOG_HOSTNAME_MAX + 1];
	size_t n = 0;

	/* RFC 5424 6.2.4: 1*255 PRINTUSASCII. */
	for (; h && *h && n < SYSLOG_HOSTNAME_MAX; h++)
		if (*h > 32 && *h < 127)
			name[n++] = *h;
	name[n] = '\0';
	put(o, " %s", n ? name : SYSLOG_NILVALUE);
}

static void put_sd(struct out *o, const pxh_event *ev)
{
	const pxh_client *c = ev->client;
	char num[32];
	int k = ev->kind;

	put(o, " [" SYSLOG_SD_ID);
	put_param(o, "mac", c->mac);
	put_param(o, "uuid", c->uuid);
	put_param(o, "ip", c->ip);
	put_param(o, "arch", c->arch_name);
	put_param(o, "action", ev->action);
	put_param(o, "file", ev->file);
	if (k == PXH_EV_REPORT) {
		/* a report's "bytes" is the client's progress in percent */
		if (ev->bytes)
			put(o, " progress=\"%" PRIu64 "\"", ev->bytes);
	} else if (ev->bytes || k == PXH_EV_TFTP_END || k == PXH_EV_DOWNLOAD_END) {
		put(o, " bytes=\"%" PRIu64 "\"", ev->bytes);
	}
	if (ev->duration_us || k == PXH_EV_TFTP_END || k == PXH_EV_DOWNLOAD_END) {
		/* milliseconds with microsecond precision */
		snprintf(num, sizeof(num), "%" PRIu64 ".%03u",
		         ev->duration_us / 1000u, (unsigned)(ev->duration_us % 1000u));
		put(o, " duration=\"%s\"", num);
	}
	put_param(o, "plugin", ev->plugin);
	put(o, "]");
}

/* Who the event is about, for the readable text. */
static const char *who(const pxh_event *ev)
{
	if (ev->client->mac[0])
		return ev->client->mac;
	if (ev->client->uuid[0])
		return ev->client->uuid;
	if (ev->client->ip[0])
		return ev->client->ip;
	return "unknown client";
}

/* The readable MSG, before cleaning. */
static void readable(char *t, size_t cap, const pxh_event *ev)
{
	struct out o = {.p = t, .cap = cap};
	const char *m = ev->message;
	double ms = (double)ev->duration_us / 1000.0;
	unsigned long long b = (unsigned long long)ev->bytes;

	t[0] = '\0';
	switch (ev->kind) {
	case PXH_EV_DHCP_REQUEST:
		put(&o, "DHCP %s from %s", ev->action[0] ? ev->action : "request",
		    who(ev));
		if (ev->client->arch_name[0])
			put(&o, " (%s)", ev->client->arch_name);
		break;
	case PXH_EV_DHCP_DECISION:
		put(&o, "DHCP answer to %s: %s", who(ev), ev->action);
		if (ev->file[0])
			put(&o, " %s", ev->file);
		if (ev->plugin[0])
			put(&o, " by %s", ev->plugin);
		break;
	case PXH_EV_TFTP_START:
		put(&o, "TFTP start %s to %s (%llu bytes)", ev->file, who(ev), b);
		break;
	case PXH_EV_TFTP_END:
		put(&o, "TFTP %s %s to %s: %llu bytes in %.1f ms", ev->action,
		    ev->file, who(ev), b, ms);
		break;
	case PXH_EV_SCRIPT_SERVED:
		put(&o, "iPXE script for %s: %s", who(ev), ev->action);
		if (ev->plugin[0])
			put(&o, " by %s", ev->plugin);
		break;
	case PXH_EV_DOWNLOAD_START:
		put(&o, "HTTP download start %s by %s (%llu bytes)", ev->file,
		    who(ev), b);
		break;
	case PXH_EV_DOWNLOAD_END:
		put(&o, "HTTP download %s %s by %s: %llu bytes in %.1f ms",
		    ev->action, ev->file, who(ev), b, ms);
		break;
	case PXH_EV_REPORT:
		put(&o, "report from %s: %s", who(ev), ev->action);
		if (ev->file[0])
			put(&o, " step %s", ev->file);
		if (ev->bytes)
			put(&o, " (%llu%%)", b);
		break;
	case PXH_EV_DECISION:
		/* the core's text says phase, verdict, plugin and reason */
		put(&o, "decision for %s", who(ev));
		if (!m[0])
			put(&o, ": %s", ev->action);
		break;
	case PXH_EV_SERVER:
		put(&o, "server");
		if (ev->action[0])
			put(&o, " %s", ev->action);
		break;
	default:
		put(&o, "%s", ev->plugin[0] ? ev->plugin : sl_msgid(ev->kind));
		if (ev->action[0])
			put(&o, " %s", ev->action);
		if (ev->client->mac[0] || ev->client->ip[0])
			put(&o, " %s", who(ev));
		break;
	}
	if (m[0])
		put(&o, ": %s", m);
}

size_t sl_format(char *buf, size_t cap, const pxh_event *ev,
                 const struct sl_header *hd)
{
	struct out o = {.p = buf, .cap = cap};
	char text[1024];
	int sev = ev->severity >= 0 && ev->severity <= 7 ? ev->severity
	                                                  : PXH_LOG_INFO;
	int fac = hd->facility >= 0 && hd->facility <= SYSLOG_FACILITY_MAX
	                  ? hd->facility : SYSLOG_FACILITY_LOCAL0;

	if (cap < SL_FORMAT_MIN)
		return 0;
	/* RFC 5424 6: HEADER SP STRUCTURED-DATA [SP MSG] */
	put(&o, "<%d>%d", fac * 8 + sev, SYSLOG_VERSION);
	put_timestamp(&o, ev->time_us);
	put_hostname(&o, hd->hostname);
	put(&o, " " SYSLOG_APP_NAME);
	if (hd->procid > 0)
		put(&o, " %ld", hd->procid);
	else
		put(&o, " " SYSLOG_NILVALUE);
	put(&o, " %s", sl_msgid(ev->kind));
	put_sd(&o, ev);
	if (o.full) /* cannot happen with cap >= SL_FORMAT_MIN */
		return 0;
	readable(text, sizeof(text), ev);
	if (text[0] && o.len + 2 < cap) {
		/* MSG-ANY (no BOM): collectors treat it as text either way, and a
		 * BOM would show up in most of them. */
		buf[o.len++] = ' ';
		o.len += clean_copy(buf + o.len, cap - o.len, text, NULL, ' ');
	}
	buf[o.len] = '\0';
	return o.len;
}
