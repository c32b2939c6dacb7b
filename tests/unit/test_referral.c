/* Unit tests of the referral plugin in the test kit: rules, DHCP-phase and
 * iPXE-phase referrals, and web-service mode against a stand-in HTTP server
 * forked by the test (scripts, JSON, slow answers, 5xx, dead upstreams,
 * garbage, oversize answers, health-check recovery). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pxehub/testkit.h"

static char so_buf[512];
static int srv_port, dead_port;
static pid_t srv_pid;
static char dir[64] = "/tmp/pxh-referral-XXXXXX";
static char log_path[128], flaky_path[128];

static const char *plugin_so(void)
{
	const char *b = getenv("B");

	snprintf(so_buf, sizeof(so_buf), "%s/lib/pxehub/plugins/referral.so",
	         b ? b : "build");
	return so_buf;
}

/* ---- the stand-in web service ------------------------------------------------ */
static void reply(int fd, int status, const char *type, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	                 "Connection: close\r\n\r\n", status, type, strlen(body));

	if (write(fd, head, (size_t)n) < 0 || write(fd, body, strlen(body)) < 0)
		return;
}

/* One request: the path picks the behaviour; each request is logged as
 * "METHOD PATH BODY" a line. */
static void serve_one(int fd)
{
	char buf[16384], path[256] = "", method[16] = "", *end, *cl;
	size_t have = 0, want;
	ssize_t n;
	FILE *log;

	while (have < sizeof(buf) - 1 && (n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		have += (size_t)n;
		buf[have] = 0;
		if ((end = strstr(buf, "\r\n\r\n"))) {
			cl = strcasestr(buf, "Content-Length:");
			want = (size_t)(end + 4 - buf) + (cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0);
			if (have >= want)
				break;
		}
	}
	buf[have] = 0;
	if (sscanf(buf, "%15s %255s", method, path) != 2)
		return;
	end = strstr(buf, "\r\n\r\n");
	log = fopen(log_path, "a");
	if (log) {
		fprintf(log, "%s %s %s\n", method, path, end ? end + 4 : "");
		fclose(log);
	}
	if (!strcmp(path, "/script"))
		reply(fd, 200, "text/plain", "#!ipxe\necho from-service\nexit\n");
	else if (!strcmp(path, "/script2"))
		reply(fd, 200, "text/plain", "#!ipxe\necho from-second\nexit\n");
	else if (!strcmp(path, "/json-dhcp"))
		reply(fd, 200, "application/json",
		      "{\"action\": \"boot\", \"loader\": \"x64/snponly.efi\", "
		      "\"next_server\": \"10.9.9.9\", \"reason\": \"ws says so\", "
		      "\"options\": [{\"code\": 252, \"text\": \"\\\\boot\\\\bcd\"}]}");
	else if (!strcmp(path, "/json-ipxe"))
		reply(fd, 200, "application/json",
		      "{\"chain\": \"http://10.9.9.9/other.ipxe\"}");
	else if (!strcmp(path, "/local"))
		reply(fd, 200, "text/plain", "local\n");
	else if (!strcmp(path, "/echo"))
		reply(fd, 200, "text/plain", "#!ipxe\necho facts\n");
	else if (!strcmp(path, "/slow")) {
		sleep(3);
		reply(fd, 200, "text/plain", "#!ipxe\necho slow\n");
	} else if (!strcmp(path, "/err"))
		reply(fd, 500, "text/plain", "boom\n");
	else if (!strcmp(path, "/unavail"))
		reply(fd, 503, "text/plain", "later\n");
	else if (!strcmp(path, "/none"))
		reply(fd, 204, "text/plain", "");
	else if (!strcmp(path, "/forbidden"))
		reply(fd, 403, "text/plain", "no\n");
	else if (!strcmp(path, "/garbage"))
		reply(fd, 200, "text/plain", "hello world\n");
	else if (!strcmp(path, "/big")) {
		static char big[8192];
		memset(big, 'x', sizeof(big) - 1);
		memcpy(big, "#!ipxe\n#", 8);
		reply(fd, 200, "text/plain", big);
	} else if (!strcmp(path, "/flaky")) {
		struct stat st;
		if (!stat(flaky_path, &st))
			reply(fd, 503, "text/plain", "down\n");
		else
			reply(fd, 200, "text/plain", "#!ipxe\necho flaky-is-back\nexit\n");
	} else
		reply(fd, 404, "text/plain", "no such path\n");
}

static void serve(int lfd)
{
	signal(SIGCHLD, SIG_IGN); /* connection children reap themselves */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		if (fork() == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(lfd);
			serve_one(fd);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}

static int local_port(int *fd_out)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*fd_out = fd;
	return ntohs(a.sin_port);
}

static int group_setup(void **st)
{
	int lfd, dfd;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(log_path, sizeof(log_path), "%s/requests", dir);
	snprintf(flaky_path, sizeof(flaky_path), "%s/flaky-down", dir);
	srv_port = local_port(&lfd);
	assert_int_equal(listen(lfd, 64), 0);
	/* a port nobody listens on: connection refused */
	dead_port = local_port(&dfd);
	close(dfd);
	srv_pid = fork();
	assert_true(srv_pid >= 0);
	if (srv_pid == 0)
		serve(lfd);
	close(lfd);
	return 0;
}

static int group_teardown(void **st)
{
	char cmd[128];

	(void)st;
	kill(srv_pid, SIGKILL);
	waitpid(srv_pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		return 0;
	return 0;
}

/* ---- helpers ----------------------------------------------------------------- */
/* Config text with @ replaced by the stand-in's base URL and ! by a dead one. */
static char *conf(const char *fmt)
{
	static char out[4096];
	char live[64], dead[64];
	size_t o = 0;

	snprintf(live, sizeof(live), "http://127.0.0.1:%d", srv_port);
	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", dead_port);
	for (const char *p = fmt; *p && o + 64 < sizeof(out); p++) {
		const char *s = *p == '@' ? live : *p == '!' ? dead : NULL;

		if (s) {
			memcpy(out + o, s, strlen(s));
			o += strlen(s);
		} else {
			out[o++] = *p;
		}
	}
	out[o] = 0;
	return out;
}

static pxh_tk *load(const char *fmt)
{
	pxh_tk *tk = pxh_tk_new(conf(fmt));

	assert_non_null(tk);
	if (pxh_tk_load(tk, plugin_so())) {
		print_error("load: %s\n", pxh_tk_error(tk));
		fail();
	}
	return tk;
}

static void ipxe_client(pxh_client *c, const char *mac)
{
	assert_int_equal(pxh_tk_client(c, PXH_PHASE_IPXE, mac, "efi-x64"), 0);
	snprintf(c->platform, sizeof(c->platform), "efi");
	snprintf(c->buildarch, sizeof(c->buildarch), "x86_64");
	snprintf(c->product, sizeof(c->product), "Model 7 & Co");
	snprintf(c->serial, sizeof(c->serial), "SN$1");
}

static int count_requests(const char *what)
{
	char line[4096];
	int n = 0;
	FILE *f = fopen(log_path, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strncmp(line, what, strlen(what)) == 0;
	fclose(f);
	return n;
}

/* The newest PXH_EV_PLUGIN event whose action is ACTION, or NULL. */
static const pxh_event *plugin_event(pxh_tk *tk, const char *action)
{
	for (size_t i = pxh_tk_event_count(tk); i-- > 0;) {
		const pxh_event *ev = pxh_tk_event(tk, i);

		if (ev->kind == PXH_EV_PLUGIN && !strcmp(ev->action, action))
			return ev;
	}
	return NULL;
}

#define NO_HEALTH "[referral]\nhealth_interval = 0\n"

/* ---- rules and static referrals ------------------------------------------------- */
static void test_dhcp_next_server(void **st)
{
	pxh_tk *tk = load(NO_HEALTH "[referral.site2]\nmatch = 52:54:00:02\n"
	                  "next_server = 10.0.0.2\nloader = undionly.kpxe\n");
	pxh_tk_decision d;
	pxh_client c;

	(void)st;
	/* firmware: next-server and the loader on it */
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:02:00:01", "bios");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.plugin, "referral");
	assert_string_equal(d.next_server, "10.0.0.2");
	assert_string_equal(d.loader, "undionly.kpxe");
	assert_non_null(strstr(d.reason, "site2"));
	/* iPXE's own DHCP: the other pxehub's boot.ipxe, no loader loop */
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:02:00:01", "bios");
	snprintf(c.user_class, sizeof(c.user_class), "iPXE");
	c.is_ipxe = 1;
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.loader, "http://10.0.0.2/boot.ipxe");
	/* UEFI HTTP boot: a URL on the other server's /tftp/ */
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:02:00:02", "efi-x64-http");
	c.is_http_boot = 1;
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.loader, "http://10.0.0.2/tftp/undionly.kpxe");
	/* not matched: the default */
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:99:00:01", "bios");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "default");
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_referral_referred_dhcp"), 3);
	pxh_tk_free(tk);
}

static void test_match_forms_and_phase(void **st)
{
	pxh_tk *tk = load(NO_HEALTH
	                  "[referral.arm]\nmatch = efi-arm64\nphase = dhcp\nnext_server = 10.0.0.3\n"
	                  "[referral.lan]\nmatch = 192.0.2.0/24\nphase = ipxe\nscript_url = http://10.0.0.4/boot.ipxe\n"
	                  "[referral.relayed]\nmatch = 10.50.0.0/16\nnext_server = 10.0.0.5\n");
	pxh_tk_decision d;
	pxh_client c;

	(void)st;
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:00:00:01", "efi-arm64");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.next_server, "10.0.0.3");
	/* relay address (giaddr) picks the rule */
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:00:00:02", "bios");
	snprintf(c.relay, sizeof(c.relay), "10.50.3.1");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.next_server, "10.0.0.5");
	/* "lan" answers only the iPXE phase (the kit's server_ip is 192.0.2.1) */
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:00:00:03", "bios");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "default");
	/* an iPXE client matches by its own address (the TCP peer), never by
	 * the server's address it connected to */
	ipxe_client(&c, "52:54:00:00:00:03");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "default");
	snprintf(c.ip, sizeof(c.ip), "192.0.2.77");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "referral");
	pxh_tk_free(tk);
}

static void test_ipxe_chain_with_facts(void **st)
{
	pxh_tk *tk = load(NO_HEALTH "[referral.up]\nmatch = all\nphase = ipxe\n"
	                  "script_url = http://10.0.0.2/boot.ipxe http://10.0.0.3/boot.ipxe?site=b\n");
	pxh_tk_decision d;
	pxh_client c;

	(void)st;
	ipxe_client(&c, "52:54:00:aa:bb:cc");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.script,
		"#!ipxe\n"
		"chain --autofree http://10.0.0.2/boot.ipxe?mac=52:54:00:aa:bb:cc&arch=x86_64"
		"&platform=efi&product=Model%207%20%26%20Co&serial=SN%241"
		" || chain --autofree http://10.0.0.3/boot.ipxe?site=b&mac=52:54:00:aa:bb:cc"
		"&arch=x86_64&platform=efi&product=Model%207%20%26%20Co&serial=SN%241"
		" || goto referral_failed\nexit\n:referral_failed\n"
		"echo referral: no upstream answered\nexit 1\n");
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_referral_referred_ipxe"), 1);
	pxh_tk_free(tk);
}

/* ---- web-service mode ---------------------------------------------------------- */
static void test_service_script_and_facts(void **st)
{
	pxh_tk *tk = load(NO_HEALTH "[referral.ws]\nmatch = all\nwebservice = @/echo\n");
	pxh_tk_decision d;
	pxh_client c;
	char line[4096] = "";
	FILE *f;

	(void)st;
	unlink(log_path);
	ipxe_client(&c, "52:54:00:00:10:01");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.plugin, "referral");
	assert_string_equal(d.script, "#!ipxe\necho facts\n");
	/* the facts went as one JSON object, POSTed */
	f = fopen(log_path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_int_equal(strncmp(line, "POST /echo {", 12), 0);
	assert_non_null(strstr(line, "\"mac\":\"52:54:00:00:10:01\""));
	assert_non_null(strstr(line, "\"phase\":\"ipxe\""));
	assert_non_null(strstr(line, "\"product\":\"Model 7 & Co\""));
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_referral_service_answers"), 1);
	pxh_tk_free(tk);
}

static void test_service_json(void **st)
{
	pxh_tk *tk = load(NO_HEALTH
	                  "[referral.d]\nmatch = 52:54:00:00:20\nphase = dhcp\nwebservice = @/json-dhcp\n"
	                  "[referral.i]\nmatch = 52:54:00:00:20\nphase = ipxe\nwebservice = @/json-ipxe\n"
	                  "[referral.l]\nmatch = 52:54:00:00:21\nwebservice = @/local\n");
	pxh_tk_decision d;
	pxh_client c;
	const uint8_t *o;
	size_t len;

	(void)st;
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:00:20:01", "efi-x64");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.loader, "x64/snponly.efi");
	assert_string_equal(d.next_server, "10.9.9.9");
	assert_string_equal(d.reason, "ws says so");
	o = pxh_tk_option(tk, 252, &len);
	assert_non_null(o);
	assert_int_equal(len, 9);
	assert_memory_equal(o, "\\boot\\bcd", 9);
	ipxe_client(&c, "52:54:00:00:20:01");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_non_null(strstr(d.script, "chain http://10.9.9.9/other.ipxe"));
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:00:21:01", "bios");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_LOCAL);
	assert_string_equal(d.plugin, "referral");
	pxh_tk_free(tk);
}

static void test_service_failover(void **st)
{
	pxh_tk *tk = load("[referral]\nhealth_interval = 0\nretry_after = 60s\n"
	                  "[referral.ws]\nmatch = all\nwebservice = @/err ! @/script\n");
	pxh_tk_decision d;
	pxh_client c;
	const pxh_event *ev;

	(void)st;
	unlink(log_path);
	ipxe_client(&c, "52:54:00:00:30:01");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.script, "#!ipxe\necho from-service\nexit\n");
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_referral_failovers"), 2);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_referral_upstreams_down"), 2);
	ev = plugin_event(tk, "down");
	assert_non_null(ev);
	assert_non_null(strstr(ev->message, "upstream down"));
	/* the next client skips both down services: one request only */
	assert_int_equal(count_requests("POST /err"), 1);
	ipxe_client(&c, "52:54:00:00:30:02");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.script, "#!ipxe\necho from-service\nexit\n");
	assert_int_equal(count_requests("POST /err"), 1);
	assert_int_equal(count_requests("POST /script"), 2);
	assert_true(d.seconds < 0.5);
	pxh_tk_free(tk);
}

static void test_service_all_down(void **st)
{
	pxh_tk *tk = load("[boot]\ndefault_action = local\n"
	                  "[referral]\nhealth_interval = 0\n"
	                  "[referral.ws]\nmatch = all\nwebservice = @/unavail !\n");
	pxh_tk_decision d;
	pxh_client c;
	const pxh_event *ev;

	(void)st;
	ipxe_client(&c, "52:54:00:00:40:01");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "default");
	assert_int_equal(d.verdict, PXH_LOCAL);
	ev = plugin_event(tk, "next");
	assert_non_null(ev);
	assert_string_equal(ev->client->mac, "52:54:00:00:40:01");
	assert_non_null(strstr(ev->message, "rule ws: every web service is down"));
	assert_non_null(strstr(ev->message, "default applies"));
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_referral_all_down"), 1);
	/* still down: the default at once, without asking */
	ipxe_client(&c, "52:54:00:00:40:02");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "default");
	assert_true(d.seconds < 0.1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_referral_all_down"), 2);
	pxh_tk_free(tk);

	/* on_all_down = ignore answers for the default */
	tk = load("[referral]\nhealth_interval = 0\non_all_down = ignore\n"
	          "[referral.ws]\nmatch = all\nwebservice = !\n");
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:00:40:03", "bios");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_IGNORE);
	assert_string_equal(d.plugin, "referral");
	assert_non_null(plugin_event(tk, "ignore"));
	pxh_tk_free(tk);
}

static void test_service_slow(void **st)
{
	pxh_tk *tk;
	pxh_tk_decision d;
	pxh_client c;
	const pxh_event *ev;

	(void)st;
	/* slower than the decision deadline: the default, and the core's event */
	tk = load("[boot]\ndecision_timeout = 500ms\n"
	          "[referral]\nhealth_interval = 0\ntimeout = 5s\n"
	          "[referral.ws]\nmatch = all\nwebservice = @/slow\n");
	ipxe_client(&c, "52:54:00:00:50:01");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "default");
	assert_true(d.seconds >= 0.45 && d.seconds < 1.5);
	ev = pxh_tk_last_event(tk, PXH_EV_DECISION);
	assert_non_null(ev);
	assert_non_null(strstr(ev->message, "plugin referral did not answer within 500 ms"));
	pxh_tk_run(tk, 3.0); /* the late answer arrives and is dropped */
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_referral_service_late"), 1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_referral_asks_in_flight"), 0);
	pxh_tk_free(tk);

	/* slower than [referral] timeout: the next service answers in time */
	tk = load("[boot]\ndecision_timeout = 2s\n"
	          "[referral]\nhealth_interval = 0\ntimeout = 300ms\n"
	          "[referral.ws]\nmatch = all\nwebservice = @/slow @/script2\n");
	ipxe_client(&c, "52:54:00:00:50:02");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "referral");
	assert_string_equal(d.script, "#!ipxe\necho from-second\nexit\n");
	assert_true(d.seconds >= 0.25 && d.seconds < 1.0);
	ev = plugin_event(tk, "down");
	assert_non_null(ev);
	assert_non_null(strstr(ev->message, "timeout"));
	pxh_tk_free(tk);
}

static void test_service_bad_answers(void **st)
{
	pxh_tk *tk = load("[referral]\nhealth_interval = 0\nmax_answer = 4096\n"
	                  "[referral.g]\nmatch = 52:54:00:00:60\nwebservice = @/garbage\n"
	                  "[referral.n]\nmatch = 52:54:00:00:61\nwebservice = @/none\n"
	                  "[referral.b]\nmatch = 52:54:00:00:62\nwebservice = @/big @/script\n"
	                  "[referral.f]\nmatch = 52:54:00:00:63\nwebservice = @/forbidden\n");
	pxh_tk_decision d;
	pxh_client c;
	const pxh_event *ev;

	(void)st;
	ipxe_client(&c, "52:54:00:00:60:01");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "default");
	ev = plugin_event(tk, "error");
	assert_non_null(ev);
	assert_non_null(strstr(ev->message, "answer refused: not JSON"));
	/* 204: no opinion, no error */
	pxh_tk_events_clear(tk);
	ipxe_client(&c, "52:54:00:00:61:01");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "default");
	assert_null(plugin_event(tk, "error"));
	/* too big: that service failed, the next one answers */
	ipxe_client(&c, "52:54:00:00:62:01");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.script, "#!ipxe\necho from-service\nexit\n");
	ev = plugin_event(tk, "down");
	assert_non_null(ev);
	assert_non_null(strstr(ev->message, "max_answer"));
	/* 403: the service is up but refuses: the default, an event */
	ipxe_client(&c, "52:54:00:00:63:01");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "default");
	ev = plugin_event(tk, "error");
	assert_non_null(ev);
	assert_non_null(strstr(ev->message, "HTTP 403"));
	pxh_tk_free(tk);
}

/* ---- health checks ----------------------------------------------------------------- */
static void test_health_recovery(void **st)
{
	pxh_tk *tk;
	pxh_tk_decision d;
	pxh_client c;
	FILE *f = fopen(flaky_path, "w");

	(void)st;
	assert_non_null(f);
	fclose(f);
	tk = load("[referral]\nhealth_interval = 200ms\nretry_after = 1h\n"
	          "[referral.ws]\nmatch = all\nwebservice = @/flaky @/script2\n"
	          "[referral.chain]\nmatch = all\nscript_url = @/flaky @/boot.ipxe\n");
	/* the first health round finds /flaky down */
	pxh_tk_run(tk, 0.5);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_referral_upstreams_down"), 1);
	assert_non_null(plugin_event(tk, "down"));
	ipxe_client(&c, "52:54:00:00:70:01");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.script, "#!ipxe\necho from-second\nexit\n");
	/* it comes back: the next round notices, well before retry_after */
	unlink(flaky_path);
	pxh_tk_run(tk, 0.6);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_referral_upstreams_down"), 0);
	assert_non_null(plugin_event(tk, "up"));
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.script, "#!ipxe\necho flaky-is-back\nexit\n");
	assert_true(pxh_tk_metric(tk, "pxehub_plugin_referral_health_checks") >= 4);
	pxh_tk_free(tk);

	/* a script_url that is down is left out of the chain and of iPXE's DHCP */
	f = fopen(flaky_path, "w");
	assert_non_null(f);
	fclose(f);
	tk = load("[referral]\nhealth_interval = 200ms\nretry_after = 1h\n"
	          "[referral.chain]\nmatch = all\nscript_url = @/flaky @/boot.ipxe\n");
	pxh_tk_run(tk, 0.5);
	ipxe_client(&c, "52:54:00:00:70:02");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_null(strstr(d.script, "/flaky"));
	assert_non_null(strstr(d.script, "/boot.ipxe?mac=52:54:00:00:70:02"));
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:00:70:02", "bios");
	c.is_ipxe = 1;
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_non_null(strstr(d.loader, "/boot.ipxe"));
	unlink(flaky_path);
	pxh_tk_free(tk);
}

/* max_connections = 1: health checks and questions queue, all are done */
static void test_request_queue(void **st)
{
	pxh_tk *tk = load("[referral]\nhealth_interval = 50ms\nmax_connections = 1\n"
	                  "[referral.ws]\nmatch = all\nwebservice = @/script2 @/script\n"
	                  "[referral.chain]\nmatch = all\nscript_url = @/boot.ipxe @/other.ipxe\n");
	pxh_tk_decision d;
	pxh_client c;

	(void)st;
	for (int i = 0; i < 5; i++) {
		pxh_tk_run(tk, 0.06);
		ipxe_client(&c, "52:54:00:00:80:01");
		assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
		assert_string_equal(d.script, "#!ipxe\necho from-second\nexit\n");
	}
	assert_true(pxh_tk_metric(tk, "pxehub_plugin_referral_health_checks") >= 8);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_referral_upstreams_down"), 0);
	pxh_tk_free(tk);
}

/* ---- configuration --------------------------------------------------------------------- */
static void expect_refused(const char *ini, const char *msg)
{
	pxh_tk *tk = pxh_tk_new(ini);

	assert_non_null(tk);
	assert_int_not_equal(pxh_tk_load(tk, plugin_so()), 0);
	if (!strstr(pxh_tk_error(tk), msg)) {
		print_error("error '%s' lacks '%s'\n", pxh_tk_error(tk), msg);
		fail();
	}
	pxh_tk_free(tk);
}

static void test_config_refused(void **st)
{
	(void)st;
	expect_refused("[referral.x]\nnext_server = 10.0.0.1\n", "match");
	/* refused by init (the reason goes to the log) */
	expect_refused("[referral.x]\nmatch = all\n", "init failed");
	expect_refused("[referral.x]\nmatch = all\nnext_server = server2\n",
	               "init failed");
	expect_refused("[referral.x]\nmatch = all\nscript_url = ftp://a/b\n",
	               "init failed");
	expect_refused("[referral.x]\nmatch = all\nwebservice = http://a/b\nphase = sometimes\n",
	               "phase");
	expect_refused("[referral]\nca_file = /nonexistent/ca.pem\n", "ca_file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhcp_next_server),
		cmocka_unit_test(test_match_forms_and_phase),
		cmocka_unit_test(test_ipxe_chain_with_facts),
		cmocka_unit_test(test_service_script_and_facts),
		cmocka_unit_test(test_service_json),
		cmocka_unit_test(test_service_failover),
		cmocka_unit_test(test_service_all_down),
		cmocka_unit_test(test_service_slow),
		cmocka_unit_test(test_service_bad_answers),
		cmocka_unit_test(test_health_recovery),
		cmocka_unit_test(test_request_queue),
		cmocka_unit_test(test_config_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
