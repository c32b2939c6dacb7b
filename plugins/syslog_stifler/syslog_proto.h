/* Syslog protocol constants (RFC 5424 message, RFC 5425/5426/6587 transports). */
#ifndef SYSLOG_PROTO_H
#define SYSLOG_PROTO_H

/* RFC 5424 6.2.2: VERSION of the message format. */
#define SYSLOG_VERSION 1
/* RFC 5424 6.2: NILVALUE, a field with no value. */
#define SYSLOG_NILVALUE "-"
/* RFC 5424 6.2.5: APP-NAME, 1*48 PRINTUSASCII. */
#define SYSLOG_APP_NAME "pxehub"
/* RFC 5424 6.3.2 + 7.2.2: SD-ID "name@<private enterprise number>"; 32473
 * is the PEN reserved for documentation (RFC 5612). */
#define SYSLOG_SD_ID "pxehub@32473"
/* RFC 5424 6.2.4: HOSTNAME, at most 255 PRINTUSASCII octets. */
#define SYSLOG_HOSTNAME_MAX 255
/* RFC 5424 6.2.7: MSGID, at most 32 PRINTUSASCII octets. */
#define SYSLOG_MSGID_MAX 32
/* RFC 5424 6.2.1: PRI = facility * 8 + severity; facilities 0..23. */
#define SYSLOG_FACILITY_MAX 23
/* RFC 5424 6.2.1: facility local0 (16), the default for an application. */
#define SYSLOG_FACILITY_LOCAL0 16
/* RFC 5424 6.1: receivers SHOULD accept 2048 octets; RFC 5426 3.2 says
 * the same for UDP, RFC 5425 4.3.1 MUST accept 2048 over TLS. */
#define SYSLOG_SAFE_SIZE 2048
/* RFC 5426 3.2: IPv4 UDP payload limit (65535 - 8 - 20). */
#define SYSLOG_UDP_MAX 65507
/* RFC 5426 3.3: UDP port. */
#define SYSLOG_PORT_UDP 514
/* RFC 6587 has no assigned port; 514/tcp is what rsyslog, syslog-ng and
 * Graylog listen on for plain TCP syslog by convention. */
#define SYSLOG_PORT_TCP 514
/* RFC 5425 4.1: syslog over TLS port. */
#define SYSLOG_PORT_TLS 6514

#endif /* SYSLOG_PROTO_H */
