/* Server lifecycle: bind, drop privileges, load plugins, serve, reload on
 * SIGHUP, stop gracefully on SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "loop_stats.h"
#include "server.h"
#include "clients.h"
#include "conf.h"
#include "counters.h"
#include "decide.h"
#include "dhcp/dhcp_module.h"
#include "dhcp6/dhcp6_module.h"
#include "events.h"
#include "http/grub_stage.h"
#include "http/http_module.h"
#include "log.h"
#include "plugins.h"
#include "series.h"
#include "tftp/tftp_module.h"
#include "workpool.h"

struct pxh_server *pxh_the_server;
static struct pxh_loop_stats *main_loop_stats; /* the one server's loop */

static void log_errors(const struct pxh_conf_errors *e, int level)
{
	for (size_t i = 0; i < e->n; i++)
		pxh_logf(level, NULL, "config: %s", e->msg[i]);
}

/* systemd Type=notify without libsystemd. */
void pxh_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t plen;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	plen = strlen(path);
	if (plen >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, plen);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen));
	close(fd);
}

static void raise_nofile(struct pxh_server *s)
{
	struct rlimit rl;
	long long want = 512 + pxh_tftp_conf(s->conf)->max_transfers +
	                 pxh_http_conf(s->conf)->max_connections;

	if (want > 20000)
		want = 20000; /* the cap on these machines and a sane ceiling */
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if ((long long)rl.rlim_cur >= want)
		return;
	rl.rlim_cur = (rlim_t)want;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max) {
		if (geteuid() == 0)
			rl.rlim_max = rl.rlim_cur;
		else
			rl.rlim_cur = rl.rlim_max;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl))
		pxh_warn("server: cannot raise open-file limit to %lld: %s", want,
		         strerror(errno));
}

/* [log] level and target, at start and on every reload.  -f logs to
 * stderr whatever target says; -v raises the level above the file's.
 * systemd is notified with or without -f (a terminal has no NOTIFY_SOCKET). */
static void apply_log(struct pxh_server *s)
{
	static const char *const names[] = {"err", "warning", "notice", "info", "debug"};
	const char *level = pxh_log_conf(s->conf)->level;
	const char *target = pxh_log_conf(s->conf)->target;
	int lv = PXH_LOG_INFO;

	for (int i = 0; level && i < 5; i++)
		if (!strcmp(level, names[i]))
			lv = PXH_LOG_ERR + i;
	pxh_log_setup(lv + s->verbose,
	              !s->foreground && target && !strcmp(target, "syslog"));
	pxh_series_reload(s);
}

int pxh_server_init(struct pxh_server *s, struct ev_loop *loop,
                    struct pxh_conf *conf)
{
	const char *target = pxh_log_conf(conf)->target;
	int rc;

	/* The caller zeroed *S and may have set conf_path, verbose, ... */
	s->loop = loop;
	s->conf = conf;
	s->start_time = ev_now(loop);
	s->start_wall = time(NULL);
	s->conf_wall = s->start_wall;
	s->proto = (struct pxh_server_protocols){
		.tftp_active = pxh_tftp_active,
		.http_active = pxh_http_active,
		.transfers = {pxh_tftp_transfers, pxh_http_transfers},
		.auth_configured = pxh_http_auth_configured,
		.publish = pxh_http_events_publish,
		.generated_file = pxh_grub_stage1_file,
	};
	s->reloads_ok = pxh_counter(s, "pxehub_reloads_total{result=\"ok\"}",
	                            "configuration reloads (SIGHUP) by result");
	s->reloads_refused = pxh_counter(s, "pxehub_reloads_total{result=\"refused\"}",
	                                 "configuration reloads (SIGHUP) by result");
	apply_log(s);
	if (!main_loop_stats)
		main_loop_stats = pxh_loop_stats_start(s, loop, "main");
	if (s->foreground && target && !strcmp(target, "syslog"))
		pxh_notice("server: -f: logging to stderr ([log] target = syslog applies without -f)");
	pxh_the_server = s;
	rc = pxh_events_start(s);
	if (!rc)
		rc = pxh_series_start(s);
	return rc;
}

/* Bind every listener.  As root, before privileges are dropped. */
int pxh_server_open(struct pxh_server *s)
{
	int rc;

	raise_nofile(s);
	rc = pxh_dhcp_open(s);
	if (!rc)
		rc = pxh_dhcp6_open(s);
	if (!rc)
		rc = pxh_tftp_open(s);
	if (!rc)
		rc = pxh_http_open(s);
	return rc;
}

/* Started unprivileged with ambient capabilities (systemd User= with
 * AmbientCapabilities=): the sockets are bound, so drop them all, or every
 * program a plugin runs would inherit them. */
static void drop_all_caps(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data))
		pxh_warn("server: cannot drop capabilities: %s", strerror(errno));
}

/* Run as [server] user from here on, with no capabilities left: the
 * sockets are bound and reload never rebinds. */
int pxh_server_drop_privileges(struct pxh_server *s)
{
	const char *user = pxh_server_conf(s->conf)->user;
	const char *state = pxh_server_conf(s->conf)->state_dir;
	struct passwd *pw;

	if (geteuid() != 0 || !user || !*user) {
		if (geteuid() == 0) {
			pxh_warn("server: [server] user is empty: running as root");
		} else {
			drop_all_caps();
			prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		}
		return 0;
	}
	pw = getpwnam(user);
	if (!pw) {
		pxh_err("server: [server] user '%s' does not exist (%s): create it or set user =",
		        user, pxh_cfg_where(s->conf, "server", NULL, "user"));
		return -ENOENT;
	}
	if (state && *state) {
		static const char *const own[] = {"https-cert.pem", "https-key.pem"};

		mkdir(state, 0750);
		if (chown(state, pw->pw_uid, pw->pw_gid))
			pxh_warn("server: cannot chown state_dir %s: %s", state, strerror(errno));
		/* the generated certificate, written as root: a reload reads it
		 * (and renews it) as USER.  Only plain files with one link: the
		 * directory is USER's, and a link planted there must not hand
		 * USER some other file. */
		for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
			char p[4096];
			struct stat st;
			int fd;

			snprintf(p, sizeof(p), "%s/%s", state, own[i]);
			fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
			if (fd < 0)
				continue;
			if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
			    fchown(fd, pw->pw_uid, pw->pw_gid) < 0)
				pxh_warn("server: cannot chown %s: %s", p, strerror(errno));
			close(fd);
		}
	}
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
		pxh_err("server: cannot switch to user %s: %s", user, strerror(errno));
		return -EPERM;
	}
	if (setuid(0) == 0) {
		pxh_err("server: could regain root after dropping it: refusing to run");
		return -EPERM;
	}
	/* Plugins and their scripts never gain privileges through exec. */
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	/* The HTTPS key was read as root (a file USER may not read): keep the
	 * process non-dumpable so USER's other processes (a script a plugin
	 * runs, anything else running as USER) can neither ptrace it nor
	 * read its memory through /proc, and no core file holds it.  The
	 * kernel clears the flag on setuid only when fs.suid_dumpable is 0. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	pxh_info("server: running as user=%s uid=%u gid=%u", user,
	         (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	return 0;
}

static void log_access_state(struct pxh_server *s)
{
	if (!pxh_access_conf(s->conf)->allow.n)
		pxh_notice("access: [access] allow is empty: pxehub answers no client until it is set (%s)",
		           pxh_cfg_main_path(s->conf));
}

int pxh_server_start(struct pxh_server *s)
{
	struct pxh_conf_errors errs = {0};
	int rc;

	rc = pxh_pool_start(s, pxh_plugins_conf(s->conf)->workers);
	if (rc) {
		pxh_err("server: cannot start the work pool: %s", strerror(-rc));
		return rc;
	}
	rc = pxh_plugins_load(s, s->conf, &s->plugins, &errs);
	if (rc) {
		log_errors(&errs, PXH_LOG_ERR);
		pxh_conf_errors_free(&errs);
		return rc;
	}
	pxh_conf_errors_free(&errs);
	log_access_state(s);
	rc = pxh_dhcp_start(s);
	if (!rc)
		rc = pxh_dhcp6_start(s);
	if (!rc)
		rc = pxh_tftp_start(s);
	if (!rc)
		rc = pxh_http_start(s);
	return rc;
}

static bool changed(const struct pxh_conf *a, const struct pxh_conf *b,
                    const char *sec, const char *key)
{
	const char *x = pxh_cfg_str(a, sec, NULL, key), *y = pxh_cfg_str(b, sec, NULL, key);
	return strcmp(x ? x : "", y ? y : "");
}

/* The first problem, for status and pxehubctl reload: "N problem(s): ..." */
static void first_error(char *why, size_t len, const char *what,
                        const struct pxh_conf_errors *e)
{
	if (e && e->n)
		snprintf(why, len, "%s: %zu problem(s), the first: %s", what, e->n, e->msg[0]);
	else
		snprintf(why, len, "%s", what);
}

static int reload(struct pxh_server *s, char *why, size_t why_len)
{
	static const char *const restart_keys[][3] = {
		{"server", "listen", " (DHCP answers on the new interfaces at once; "
		                     "TFTP and HTTP sockets move on the restart)"},
		{"server", "user", ""},      {"server", "workers", ""},
		{"dhcp", "port", ""},
		{"dhcp", "pxe_port", ""},    {"dhcp", "enabled", ""},
		{"dhcp6", "port", ""},       {"dhcp6", "pxe_port", ""},
		{"dhcp6", "enabled", ""},
		{"tftp", "port", ""},        {"tftp", "enabled", ""},
		{"tftp", "port_range", ""},  {"http", "port", ""},
		{"http", "https_port", ""},  {"http", "enabled", ""},
		/* sizes of what start-up allocates */
		{"log", "event_queue", ""},  {"log", "recent_clients", ""},
		{"plugins", "workers", ""},
	};
	struct pxh_conf_errors errs = {0};
	struct pxh_conf *nc, *old = s->conf;
	struct pxh_plugins *np = NULL, *op = s->plugins;
	int rc;

	pxh_notice("server: reloading %s", s->conf_path ? s->conf_path : "(embedded)");
	if (s->embedded_conf) {
		pxh_notice("server: the embedded configuration has nothing to reload");
		return 0;
	}
	nc = pxh_conf_load(s->conf_path, NULL, &errs);
	if (!nc || errs.n) {
		log_errors(&errs, PXH_LOG_ERR);
		pxh_err("server: reload refused: %zu problem(s) in the new configuration; the old one keeps running",
		        errs.n);
		first_error(why, why_len, "the new configuration has errors", &errs);
		pxh_conf_errors_free(&errs);
		pxh_conf_free(nc);
		return -EINVAL;
	}
	/* a certificate that does not load refuses the whole reload: new
	 * client_ca settings must not go live beside the old credentials */
	rc = pxh_http_reload_prepare(s, nc);
	if (rc) {
		pxh_err("server: reload refused: the HTTPS certificate, key or TLS settings "
		        "did not load; the old configuration keeps running");
		first_error(why, why_len, "the HTTPS certificate, key or TLS settings did not "
		            "load (the log says why)", NULL);
		pxh_conf_free(nc);
		return rc;
	}
	rc = pxh_plugins_load(s, nc, &np, &errs);
	if (rc) {
		log_errors(&errs, PXH_LOG_ERR);
		pxh_err("server: reload refused: plugins failed to load; the old configuration keeps running");
		first_error(why, why_len, "plugins failed to load", &errs);
		pxh_http_reload_abort(s);
		pxh_conf_errors_free(&errs);
		pxh_conf_free(nc);
		return rc;
	}
	pxh_conf_errors_free(&errs);
	for (size_t i = 0; i < sizeof(restart_keys) / sizeof(restart_keys[0]); i++)
		if (changed(old, nc, restart_keys[i][0], restart_keys[i][1]))
			pxh_warn("server: [%s] %s changed: takes effect after a restart%s",
			         restart_keys[i][0], restart_keys[i][1], restart_keys[i][2]);
	s->conf = nc;
	s->plugins = np;
	apply_log(s);
	pxh_dhcp_reload(s, old);
	pxh_dhcp6_reload(s, old);
	pxh_tftp_reload(s, old);
	pxh_http_reload(s, old);
	/* The old set goes once its deferred work is done; it owns the old
	 * config its plugins still read. */
	pxh_plugins_own_conf(op, true);
	pxh_plugins_unload(op);
	log_access_state(s);
	pxh_notice("server: reloaded: %zu plugin(s)", pxh_plugins_count(np));
	return 0;
}

int pxh_server_reload(struct pxh_server *s)
{
	char why[sizeof(s->last_reload_error)] = "";
	int rc = reload(s, why, sizeof(why));

	s->last_reload_wall = time(NULL);
	s->last_reload_ok = rc == 0;
	snprintf(s->last_reload_error, sizeof(s->last_reload_error), "%s", rc ? why : "");
	if (!rc)
		s->conf_wall = s->last_reload_wall;
	if (rc ? s->reloads_refused != NULL : s->reloads_ok != NULL)
		(*(rc ? s->reloads_refused : s->reloads_ok))++;
	return rc;
}

/* ---- stop ------------------------------------------------------------------ */
static void stop_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pxh_server *s = w->data;
	double left = s->stop_deadline - ev_now(loop);

	if ((pxh_tftp_active(s) == 0 && pxh_http_active(s) == 0 &&
	     pxh_plugins_busy(s->plugins) == 0) || left <= 0) {
		ev_timer_stop(loop, w);
		ev_break(loop, EVBREAK_ALL);
	}
}

void pxh_server_begin_stop(struct pxh_server *s, double grace)
{
	if (s->stopping)
		return;
	s->stopping = true;
	pxh_notice("server: stopping: no new work, %zu TFTP and %zu HTTP transfers get %.0f s",
	           pxh_tftp_active(s), pxh_http_active(s), grace);
	pxh_sd_notify("STOPPING=1");
	pxh_dhcp_stop(s);
	pxh_dhcp6_stop(s);
	pxh_tftp_stop(s, grace);
	pxh_http_stop(s, grace);
	s->stop_deadline = ev_now(s->loop) + grace;
	ev_timer_init(&s->stop_timer, stop_poll, 0, 0.1);
	s->stop_timer.data = s;
	ev_timer_start(s->loop, &s->stop_timer);
}

void pxh_server_free(struct pxh_server *s)
{
	pxh_pool_stop(s); /* delivers finished work before plugins go */
	pxh_decide_stop(s); /* drops completions the loop did not take */
	pxh_events_stop(s);
	pxh_series_stop(s);
	if (s->plugins) {
		size_t busy = pxh_plugins_busy(s->plugins);
		if (busy) {
			/* Unloading now would run code of a plugin that still has
			 * a callback pending: leave it mapped, the process ends. */
			pxh_warn("server: %zu plugin request(s) still pending at exit: plugins not unloaded",
			         busy);
		} else {
			pxh_plugins_own_conf(s->plugins, false);
			pxh_plugins_unload(s->plugins);
		}
		s->plugins = NULL;
	}
	pxh_clients_free(s);
	pxh_counters_free(s);
	pxh_loop_stats_stop(main_loop_stats); /* its gauges went above */
	main_loop_stats = NULL;
	pxh_conf_free(s->conf);
	s->conf = NULL;
	if (pxh_the_server == s)
		pxh_the_server = NULL;
}
