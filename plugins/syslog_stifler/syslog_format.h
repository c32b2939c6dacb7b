/* RFC 5424 rendering of a pxehub event (header, structured data, MSG). */
#ifndef SYSLOG_FORMAT_H
#define SYSLOG_FORMAT_H

#include <stddef.h>

#include <pxehub/plugin.h>

/* What the header needs besides the event. */
struct sl_header {
	int facility;         /* 0..23 */
	const char *hostname; /* sanitised to PRINTUSASCII, "-" when empty */
	long procid;          /* <= 0: NILVALUE */
};

/* The smallest buffer sl_format() accepts: header and structured data of
 * any event always fit in it; only MSG is ever shortened. */
#define SL_FORMAT_MIN 2048

/* MSGID of an event kind ("dhcp_request", ...; "unknown" otherwise). */
const char *sl_msgid(int kind);
/* Kind from a MSGID / filter word; 0 when unknown. */
int sl_kind_from_name(const char *name);
/* Facility number from its name ("local0", "daemon", ...) or -1. */
int sl_facility_from_name(const char *name);
/* Syslog severity (0..7) from a name ("err", "warning", "info", ...) or -1. */
int sl_severity_from_name(const char *name);

/* Escape IN as an RFC 5424 PARAM-VALUE ('"', '\' and ']' get a backslash;
 * invalid UTF-8 and control characters become '?') into OUT, always NUL
 * terminated, never splitting an escape or a UTF-8 sequence.  Returns the
 * length written. */
size_t sl_sd_escape(char *out, size_t cap, const char *in);

/* Render EV as one RFC 5424 message (no transport framing) into BUF of CAP
 * (>= SL_FORMAT_MIN) bytes, NUL terminated.  Returns its length, or 0 when
 * CAP is too small. */
size_t sl_format(char *buf, size_t cap, const pxh_event *ev,
                 const struct sl_header *hd);

#endif /* SYSLOG_FORMAT_H */
