/* syslog_stifler: RFC 5424 rendering and escaping, the bounded queue, and
 * the plugin loaded by the test kit sending to UDP and TCP sockets of this
 * test (filters, severities, octet counting, reconnect, counters, config
 * errors). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "pxehub/testkit.h"

/* the pure parts are tested directly */
#include "../../plugins/syslog_stifler/syslog_format.c"
#include "../../plugins/syslog_stifler/syslog_queue.c"

/* ---- escaping ------------------------------------------------------------------ */
static void test_escape(void **state)
{
	char out[64];

	/* RFC 5424 6.3.3: '"', '\' and ']' get a backslash, nothing else */
	assert_int_equal(sl_sd_escape(out, sizeof(out), "a\"b\\c]d[e="), 13);
	assert_string_equal(out, "a\\\"b\\\\c\\]d[e=");
	/* UTF-8 kept, invalid bytes and controls replaced */
	sl_sd_escape(out, sizeof(out), "caf\xc3\xa9 \xff\xc0\xaf x\ty\n");
	assert_string_equal(out, "caf\xc3\xa9 ??? x?y?");
	/* overlong, surrogate, above U+10FFFF */
	sl_sd_escape(out, sizeof(out), "\xe0\x80\xaf|\xed\xa0\x80|\xf4\x90\x80\x80");
	assert_string_equal(out, "???|???|????");
	/* truncation never splits an escape or a sequence */
	assert_int_equal(sl_sd_escape(out, 4, "ab\"c"), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(sl_sd_escape(out, 4, "a\xc3\xa9\xc3\xa9"), 3);
	assert_string_equal(out, "a\xc3\xa9");
	assert_int_equal(sl_sd_escape(out, 1, "abc"), 0);
	assert_string_equal(out, "");
}

/* ---- whole messages ---------------------------------------------------------------- */
/* the client of the event fill_event makes (one at a time) */
static pxh_client ev_client;

static void fill_event(pxh_event *ev, int kind)
{
	memset(ev, 0, sizeof(*ev));
	memset(&ev_client, 0, sizeof(ev_client));
	ev_client.struct_size = sizeof(ev_client);
	ev->client = &ev_client;
	ev->struct_size = sizeof(*ev);
	ev->kind = kind;
	ev->severity = PXH_LOG_INFO;
	ev->time_us = 1795395728123456ull; /* 2026-11-23T01:02:08.123456Z */
	snprintf(ev_client.mac, sizeof(ev_client.mac), "52:54:00:12:34:56");
	snprintf(ev_client.uuid, sizeof(ev_client.uuid),
	         "01234567-89AB-CDEF-0123-456789ABCDEF");
	snprintf(ev_client.ip, sizeof(ev_client.ip), "10.0.0.7");
	snprintf(ev_client.arch_name, sizeof(ev_client.arch_name), "efi-x64");
}

static void test_format_tftp_end(void **state)
{
	struct sl_header hd = {.facility = 16, .hostname = "pxe1.example.org",
	                       .procid = 4242};
	char buf[SL_FORMAT_MIN];
	pxh_event ev;
	size_t n;

	fill_event(&ev, PXH_EV_TFTP_END);
	snprintf(ev.action, sizeof(ev.action), "end");
	snprintf(ev.file, sizeof(ev.file), "boot/x64/snp]\"only\\.efi");
	ev.bytes = 1048576;
	ev.duration_us = 1234567;
	n = sl_format(buf, sizeof(buf), &ev, &hd);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf,
		"<134>1 2026-11-23T01:02:08.123456Z pxe1.example.org pxehub 4242 "
		"tftp_end [pxehub@32473 mac=\"52:54:00:12:34:56\" "
		"uuid=\"01234567-89AB-CDEF-0123-456789ABCDEF\" ip=\"10.0.0.7\" "
		"arch=\"efi-x64\" action=\"end\" "
		"file=\"boot/x64/snp\\]\\\"only\\\\.efi\" bytes=\"1048576\" "
		"duration=\"1234.567\"] TFTP end boot/x64/snp]\"only\\.efi to "
		"52:54:00:12:34:56: 1048576 bytes in 1234.6 ms");
}

static void test_format_header_nil_and_pri(void **state)
{
	struct sl_header hd = {.facility = 3, .hostname = " b\xc3\xa9 d ", .procid = 0};
	char buf[SL_FORMAT_MIN];
	pxh_event ev;
	static const pxh_client none = {.struct_size = sizeof(pxh_client)};

	memset(&ev, 0, sizeof(ev));
	ev.client = &none; /* the core's events always name one */
	ev.kind = PXH_EV_SERVER;
	ev.severity = PXH_LOG_ERR;
	snprintf(ev.message, sizeof(ev.message), "line1\nline2");
	sl_format(buf, sizeof(buf), &ev, &hd);
	/* daemon.err = 3*8+3; no time, no PID: NILVALUE; hostname only
	 * PRINTUSASCII; empty SD element still names the SD-ID */
	assert_string_equal(buf, "<27>1 - bd pxehub - server [pxehub@32473] "
	                         "server: line1 line2");
	hd.hostname = "";
	sl_format(buf, sizeof(buf), &ev, &hd);
	assert_non_null(strstr(buf, "<27>1 - - pxehub - server "));
	assert_int_equal(sl_format(buf, SL_FORMAT_MIN - 1, &ev, &hd), 0);
}

static void test_format_report_and_decision(void **state)
{
	struct sl_header hd = {.facility = 16, .hostname = "h", .procid = 1};
	char buf[SL_FORMAT_MIN];
	pxh_event ev;

	fill_event(&ev, PXH_EV_REPORT);
	snprintf(ev.action, sizeof(ev.action), "installing");
	snprintf(ev.file, sizeof(ev.file), "apply image");
	snprintf(ev.message, sizeof(ev.message), "50 of 100 GB");
	ev.bytes = 50; /* progress percent */
	sl_format(buf, sizeof(buf), &ev, &hd);
	assert_non_null(strstr(buf, " report [pxehub@32473 "));
	assert_non_null(strstr(buf, " progress=\"50\"]"));
	assert_null(strstr(buf, "bytes="));
	assert_non_null(strstr(buf, "] report from 52:54:00:12:34:56: installing "
	                            "step apply image (50%): 50 of 100 GB"));

	fill_event(&ev, PXH_EV_DECISION);
	snprintf(ev.action, sizeof(ev.action), "ignore");
	snprintf(ev.plugin, sizeof(ev.plugin), "sccm_sql");
	sl_format(buf, sizeof(buf), &ev, &hd);
	assert_non_null(strstr(buf, " action=\"ignore\" plugin=\"sccm_sql\"] "
	                            "decision for 52:54:00:12:34:56: ignore"));
}

/* The largest event there can be still has its header and structured data
 * whole in SL_FORMAT_MIN bytes; only MSG is cut. */
static void test_format_worst_case(void **state)
{
	char host[300], buf[SL_FORMAT_MIN];
	struct sl_header hd = {.facility = 23, .hostname = host, .procid = 2147483647};
	pxh_event ev;
	size_t n;
	char *sd_end, *hn;

	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	fill_event(&ev, PXH_EV_DOWNLOAD_END);
	memset(ev_client.ip, ']', sizeof(ev_client.ip) - 1);
	memset(ev_client.arch_name, '"', sizeof(ev_client.arch_name) - 1);
	memset(ev.action, '\\', sizeof(ev.action) - 1);
	memset(ev.file, ']', sizeof(ev.file) - 1);
	memset(ev.plugin, '"', sizeof(ev.plugin) - 1);
	memset(ev.message, 'm', sizeof(ev.message) - 1);
	ev.bytes = UINT64_MAX;
	ev.duration_us = UINT64_MAX;
	n = sl_format(buf, sizeof(buf), &ev, &hd);
	assert_true(n > 0 && n < sizeof(buf));
	assert_int_equal(strlen(buf), n);
	/* hostname cut to 255 */
	assert_non_null(strstr(buf, " pxehub 2147483647 download_end "));
	hn = strstr(buf, "Z ") + 2;
	assert_int_equal(strchr(hn, ' ') - hn, 255);
	sd_end = strstr(buf, " plugin=\"");
	assert_non_null(sd_end);
	assert_non_null(strstr(sd_end, "\"] HTTP download"));
}

static void test_names(void **state)
{
	assert_string_equal(sl_msgid(PXH_EV_DHCP_REQUEST), "dhcp_request");
	assert_string_equal(sl_msgid(PXH_EV_PLUGIN), "plugin");
	assert_string_equal(sl_msgid(0), "unknown");
	assert_string_equal(sl_msgid(99), "unknown");
	assert_int_equal(sl_kind_from_name("tftp_end"), PXH_EV_TFTP_END);
	assert_int_equal(sl_kind_from_name("TFTP_END"), PXH_EV_TFTP_END);
	assert_int_equal(sl_kind_from_name("nope"), 0);
	assert_int_equal(sl_facility_from_name("local0"), 16);
	assert_int_equal(sl_facility_from_name("daemon"), 3);
	assert_int_equal(sl_facility_from_name("local8"), -1);
	assert_int_equal(sl_severity_from_name("warning"), 4);
	assert_int_equal(sl_severity_from_name("debug"), 7);
}

/* ---- queue --------------------------------------------------------------------- */
static struct sl_msg *msg(char c)
{
	struct sl_msg *m = malloc(sizeof(*m) + 1);

	m->len = 1;
	m->data[0] = c;
	return m;
}

static void drain_into(struct sl_queue *q, char *out)
{
	size_t o = 0;

	while (sl_queue_head(q)) {
		out[o++] = sl_queue_head(q)->data[0];
		sl_queue_pop(q);
	}
	out[o] = '\0';
}

static void test_queue(void **state)
{
	struct sl_queue q;
	char got[16];

	assert_int_equal(sl_queue_init(&q, 3, true), 0);
	assert_int_equal(sl_queue_push(&q, msg('a'), false), 0);
	assert_int_equal(sl_queue_push(&q, msg('b'), false), 0);
	assert_int_equal(sl_queue_push(&q, msg('c'), false), 0);
	assert_int_equal(sl_queue_push(&q, msg('d'), false), 1); /* a goes */
	drain_into(&q, got);
	assert_string_equal(got, "bcd");
	/* the head is being written: the next one goes instead */
	sl_queue_push(&q, msg('a'), false);
	sl_queue_push(&q, msg('b'), false);
	sl_queue_push(&q, msg('c'), false);
	assert_int_equal(sl_queue_push(&q, msg('d'), true), 1);
	assert_int_equal(sl_queue_push(&q, msg('e'), true), 1);
	drain_into(&q, got);
	assert_string_equal(got, "ade");
	sl_queue_fini(&q);

	assert_int_equal(sl_queue_init(&q, 2, false), 0);
	sl_queue_push(&q, msg('a'), false);
	sl_queue_push(&q, msg('b'), false);
	assert_int_equal(sl_queue_push(&q, msg('c'), false), 1); /* c goes */
	drain_into(&q, got);
	assert_string_equal(got, "ab");
	sl_queue_push(&q, msg('x'), false); /* fini frees what is left */
	sl_queue_fini(&q);
}

/* ---- the plugin in the test kit ------------------------------------------------ */
static char so_buf[512];

static const char *plugin_so(void)
{
	const char *b = getenv("B");

	snprintf(so_buf, sizeof(so_buf), "%s/lib/pxehub/plugins/syslog_stifler.so",
	         b ? b : "build");
	return so_buf;
}

/* A socket on 127.0.0.1 with a kernel-chosen port. */
static int local_socket(int type, int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 4), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static pxh_tk *load(const char *ini)
{
	pxh_tk *tk = pxh_tk_new(ini);

	assert_non_null(tk);
	if (pxh_tk_load(tk, plugin_so())) {
		print_error("load: %s\n", pxh_tk_error(tk));
		fail();
	}
	return tk;
}

static void emit(pxh_tk *tk, int kind, int severity, const char *action)
{
	pxh_event ev;

	fill_event(&ev, kind);
	ev.severity = severity;
	snprintf(ev.action, sizeof(ev.action), "%s", action);
	pxh_tk_emit(tk, &ev);
}

/* Turn the loop until FD is readable (2 s at most). */
static int fd_ready(pxh_tk *tk, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	for (int i = 0; i < 200; i++) {
		pxh_tk_run(tk, 0.01);
		if (poll(&p, 1, 0) == 1)
			return 1;
	}
	return 0;
}

/* The next syslog datagram on FD, whatever it is: a UDP target probes its
 * collector with the oldest message itself, never with an empty datagram,
 * so an empty one here fails the test that reads it. */
static ssize_t recv_msg(pxh_tk *tk, int fd, char *buf, size_t len)
{
	if (!fd_ready(tk, fd))
		return -1;
	return recv(fd, buf, len, MSG_DONTWAIT);
}

static void test_udp_filters(void **state)
{
	int port, fd = local_socket(SOCK_DGRAM, &port);
	char ini[512], buf[4096];
	pxh_tk *tk;
	ssize_t n;

	snprintf(ini, sizeof(ini),
	         "[syslog_stifler]\nhostname = unit\n"
	         "[syslog_stifler.a]\nhost = 127.0.0.1\nport = %d\n"
	         "events = tftp_end, report\nmin_severity = info\n", port);
	tk = load(ini);
	emit(tk, PXH_EV_DHCP_REQUEST, PXH_LOG_INFO, "kind not listed");
	emit(tk, PXH_EV_TFTP_END, PXH_LOG_DEBUG, "too low");
	emit(tk, PXH_EV_TFTP_END, PXH_LOG_NOTICE, "wanted");
	n = recv_msg(tk, fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	/* one datagram, one message, no framing, no trailing newline */
	assert_int_equal(strncmp(buf, "<133>1 2026-11-23T01:02:08.123456Z unit pxehub ", 47), 0);
	assert_non_null(strstr(buf, " tftp_end [pxehub@32473 "));
	assert_non_null(strstr(buf, "action=\"wanted\""));
	assert_null(strchr(buf, '\n'));
	/* the first datagram is the probe: counted as sent once no ICMP
	 * unreachable came back for it (250 ms) */
	pxh_tk_run(tk, 0.3);
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_syslog_stifler_a_sent"), 1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_syslog_stifler_events"), 3);
	pxh_tk_free(tk);
	close(fd);
}

/* Read octet-counted frames from FD into OUT until N frames came (2 s). */
static int frames(pxh_tk *tk, int fd, int n, char out[][2048])
{
	static char acc[65536];
	static size_t have;
	int got = 0;

	for (int i = 0; i < 200 && got < n; i++) {
		char *sp;
		size_t len;
		ssize_t r;

		pxh_tk_run(tk, 0.01);
		r = recv(fd, acc + have, sizeof(acc) - have, MSG_DONTWAIT);
		if (r > 0)
			have += (size_t)r;
		while (got < n && (sp = memchr(acc, ' ', have))) {
			len = strtoul(acc, NULL, 10);
			if (have < (size_t)(sp - acc) + 1 + len)
				break;
			assert_true(len > 0 && len < 2048);
			memcpy(out[got], sp + 1, len);
			out[got][len] = '\0';
			got++;
			have -= (size_t)(sp - acc) + 1 + len;
			memmove(acc, sp + 1 + len, have);
		}
	}
	return got;
}

static int accept_within(pxh_tk *tk, int lfd)
{
	assert_true(fd_ready(tk, lfd));
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

static void test_tcp_reconnect(void **state)
{
	int port, lfd = local_socket(SOCK_STREAM, &port), c;
	char ini[512], got[4][2048];
	pxh_tk *tk;

	snprintf(ini, sizeof(ini),
	         "[syslog_stifler.t]\nhost = 127.0.0.1\nport = %d\ntransport = tcp\n"
	         "reconnect_min = 50ms\nreconnect_max = 100ms\nqueue_size = 3\n", port);
	tk = load(ini);
	c = accept_within(tk, lfd);
	assert_true(c >= 0);
	emit(tk, PXH_EV_TFTP_START, PXH_LOG_INFO, "one");
	assert_int_equal(frames(tk, c, 1, got), 1);
	assert_non_null(strstr(got[0], "action=\"one\""));
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_syslog_stifler_t_up"), 1);

	/* collector goes away: events queue (3 at most), then all come once
	 * the collector is back */
	close(c);
	pxh_tk_run(tk, 0.05);
	emit(tk, PXH_EV_TFTP_START, PXH_LOG_INFO, "two");
	emit(tk, PXH_EV_TFTP_START, PXH_LOG_INFO, "three");
	emit(tk, PXH_EV_TFTP_START, PXH_LOG_INFO, "four");
	emit(tk, PXH_EV_TFTP_START, PXH_LOG_INFO, "five");
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_syslog_stifler_t_up"), 0);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_syslog_stifler_t_queued"), 3);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_syslog_stifler_t_dropped"), 1);
	c = accept_within(tk, lfd);
	assert_true(c >= 0);
	assert_int_equal(frames(tk, c, 3, got), 3);
	assert_non_null(strstr(got[0], "action=\"three\""));
	assert_non_null(strstr(got[1], "action=\"four\""));
	assert_non_null(strstr(got[2], "action=\"five\""));
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_syslog_stifler_t_sent"), 4);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_syslog_stifler_t_reconnects"), 1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_syslog_stifler_t_queued"), 0);
	pxh_tk_free(tk);
	close(c);
	close(lfd);
}

/* A collector that accepts TCP but never speaks TLS: the handshake is cut
 * at connect_timeout, and the loop never waits on it. */
static void test_tls_handshake_timeout(void **state)
{
	const char *ca = "/etc/ssl/certs/ca-certificates.crt";
	int port, lfd = local_socket(SOCK_STREAM, &port), c;
	char ini[512];
	pxh_tk *tk;

	if (access(ca, R_OK)) {
		close(lfd);
		skip();
	}
	snprintf(ini, sizeof(ini),
	         "[syslog_stifler.s]\nhost = 127.0.0.1\nport = %d\ntransport = tls\n"
	         "ca = %s\nconnect_timeout = 200ms\nreconnect_min = 5s\n", port, ca);
	tk = load(ini);
	c = accept_within(tk, lfd);
	assert_true(c >= 0);
	emit(tk, PXH_EV_TFTP_START, PXH_LOG_INFO, "waits");
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_syslog_stifler_s_failures"), 0);
	pxh_tk_run(tk, 0.4);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_syslog_stifler_s_failures"), 1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_syslog_stifler_s_up"), 0);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_syslog_stifler_s_queued"), 1);
	pxh_tk_free(tk);
	close(c);
	close(lfd);
}

static void test_name_lookup(void **state)
{
	int port, fd = local_socket(SOCK_DGRAM, &port);
	char ini[256], buf[4096];
	pxh_tk *tk;

	/* "localhost" goes through the work pool lookup */
	snprintf(ini, sizeof(ini),
	         "[syslog_stifler.n]\nhost = localhost\nport = %d\n", port);
	tk = load(ini);
	emit(tk, PXH_EV_SERVER, PXH_LOG_NOTICE, "x");
	assert_true(recv_msg(tk, fd, buf, sizeof(buf)) > 0);
	pxh_tk_free(tk);
	close(fd);
}

static void expect_refused(const char *ini, const char *words)
{
	pxh_tk *tk = pxh_tk_new(ini);

	assert_non_null(tk);
	assert_true(pxh_tk_load(tk, plugin_so()) < 0);
	if (!strstr(pxh_tk_error(tk), words)) {
		print_error("error '%s' lacks '%s'\n", pxh_tk_error(tk), words);
		fail();
	}
	pxh_tk_free(tk);
}

static void test_config_errors(void **state)
{
	expect_refused("[syslog_stifler.a]\nport = 514\n", "host");
	expect_refused("[syslog_stifler.a]\nhost = 127.0.0.1\ntransport = sctp\n", "sctp");
	expect_refused("[syslog_stifler.a]\nhost = 127.0.0.1\nqueue_size = 0\n", "queue_size");
	expect_refused("[syslog_stifler.a]\nhost = 127.0.0.1\ncolour = red\n", "colour");
	expect_refused("[syslog_stifler]\nfacility = local9\n", "local9");
}

/* Refusals the plugin's init makes (the kit reports init failures without
 * the plugin's log text, so only the refusal is checked). */
static void test_init_refusals(void **state)
{
	static const char *const bad[] = {
		"[syslog_stifler.a]\nhost = 127.0.0.1\nevents = tftp_end, nope\n",
		"[syslog_stifler.a]\nhost = 127.0.0.1\nca = /etc/hostname\n",
		"[syslog_stifler.a]\nhost = 127.0.0.1\nfacility = nine\n",
		"[syslog_stifler.a]\nhost = 127.0.0.1\ntransport = tls\nca = /nonexistent/ca.pem\n",
		"[syslog_stifler.a]\nhost = 127.0.0.1\ntransport = tls\nkey = /etc/hostname\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pxh_tk *tk = pxh_tk_new(bad[i]);

		assert_non_null(tk);
		if (pxh_tk_load(tk, plugin_so()) == 0) {
			print_error("loaded: %s", bad[i]);
			fail();
		}
		pxh_tk_free(tk);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_format_tftp_end),
		cmocka_unit_test(test_format_header_nil_and_pri),
		cmocka_unit_test(test_format_report_and_decision),
		cmocka_unit_test(test_format_worst_case),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_queue),
		cmocka_unit_test(test_udp_filters),
		cmocka_unit_test(test_tcp_reconnect),
		cmocka_unit_test(test_tls_handshake_timeout),
		cmocka_unit_test(test_name_lookup),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_init_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
