/*
 * script_exec: the admin's own executables decide the boot.
 *
 *   allow_boot   DHCP phase (boot decision hook): boot, local, ignore or
 *                next, optional loader, next-server and DHCP options
 *   boot_images  iPXE phase (boot script hook): an iPXE script, or JSON
 *                using the built-in helpers (menu, wimboot, kernel, chain,
 *                local, shell)
 *
 * Each is executed directly (no shell), as the daemon's user, with the
 * client's facts as one JSON object on stdin and as PXEHUB_* variables.
 * The protocol is in docs/plugins/script_exec.md; the keys in
 * etc/plugins.d/script_exec.conf.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "script_exec.h"

#define POLICIES "next|ignore|local|boot"

#define SE_BIND(m) PXH_CONF_BIND(struct se_settings, m)
static const pxh_conf_key se_keys[] = {
	{.name = "allow_boot", .type = PXH_CONF_PATH, .flags = PXH_CONF_MUST_EXIST,
	 .help = "executable for the DHCP phase (absolute path); unset = no DHCP-phase opinion", SE_BIND(allow_boot)},
	{.name = "boot_images", .type = PXH_CONF_PATH, .flags = PXH_CONF_MUST_EXIST,
	 .help = "executable for the iPXE phase (absolute path); unset = no iPXE-phase opinion", SE_BIND(boot_images)},
	{.name = "timeout", .type = PXH_CONF_DURATION, .def = "1500ms",
	 .min = 10, .max = 600000,
	 .help = "a run taking longer is killed (whole process group) and on_timeout applies; keep it below [boot] decision_timeout", SE_BIND(timeout_s)},
	{.name = "max_running", .type = PXH_CONF_INT, .def = "8", .min = 1, .max = 1024,
	 .help = "scripts running at once; more wait in the queue", SE_BIND(max_running)},
	{.name = "max_queued", .type = PXH_CONF_INT, .def = "256", .min = 0, .max = 100000,
	 .help = "runs waiting for a slot; beyond it on_error applies at once", SE_BIND(max_queued)},
	{.name = "max_output", .type = PXH_CONF_INT, .def = "65536", .min = 64, .max = 16777216,
	 .help = "bytes of stdout accepted; more kills the run and on_error applies", SE_BIND(max_output)},
	{.name = "ttl", .type = PXH_CONF_DURATION, .def = "30s", .min = 0, .max = 86400000,
	 .help = "how long an answer is reused for the same MAC when the script gives no \"ttl\" (0 = not kept)", SE_BIND(ttl_s)},
	{.name = "error_ttl", .type = PXH_CONF_DURATION, .def = "5s", .min = 0, .max = 86400000,
	 .help = "how long a failed or timed-out run's policy answer is reused (0 = retry at once)", SE_BIND(error_ttl_s)},
	{.name = "on_error", .type = PXH_CONF_ENUM, .def = "next", .choices = POLICIES,
	 .help = "verdict when a run fails (exit status, signal, garbage, too much output, cannot start, queue full)", SE_BIND(on_error)},
	{.name = "on_timeout", .type = PXH_CONF_ENUM, .def = "next", .choices = POLICIES,
	 .help = "verdict when a run is killed at the timeout", SE_BIND(on_timeout)},
	{.name = "stderr_lines", .type = PXH_CONF_INT, .def = "50", .min = 0, .max = 100000,
	 .help = "stderr lines logged per run (with the client's MAC); the rest are counted", SE_BIND(stderr_lines)},
	{.name = "max_cached", .type = PXH_CONF_INT, .def = "65536", .min = 0, .max = 10000000,
	 .help = "answers kept at most (one per hook and facts object); beyond it new answers are not kept", SE_BIND(max_cached)},
	{.name = "env", .type = PXH_CONF_LIST,
	 .help = "extra NAME=VALUE variables for the scripts (no spaces in values)", SE_BIND(env)},
	PXH_CONF_END,
};

static int verdict_of(const char *w)
{
	int v = w ? pxh_verdict_parse(w, strlen(w)) : -1;

	return v < 0 ? PXH_NEXT : v;
}

static enum pxh_verdict allow_boot(void *ud, const pxh_client *c, pxh_answer *a,
                                   pxh_request *req)
{
	return se_decide(ud, SE_ALLOW_BOOT, c, a, req);
}

static enum pxh_verdict boot_images(void *ud, const pxh_client *c,
                                    pxh_answer *a, pxh_request *req)
{
	return se_decide(ud, SE_BOOT_IMAGES, c, a, req);
}

static void se_report(void *ud, pxh_report *r)
{
	struct se *se = ud;

	pxh_report_counter(r, "spawned", se->c_spawned);
	pxh_report_counter(r, "cached_answers", se->c_cached);
	pxh_report_counter(r, "coalesced", se->c_coalesced);
	pxh_report_counter(r, "ok", se->c_ok);
	pxh_report_counter(r, "failed", se->c_failed);
	pxh_report_counter(r, "timeouts", se->c_timeouts);
	pxh_report_counter(r, "oversize", se->c_oversize);
	pxh_report_counter(r, "garbage", se->c_garbage);
	pxh_report_counter(r, "queue_full", se->c_queue_full);
	pxh_report_counter(r, "stderr_lines", se->c_stderr_lines);
	pxh_report_gauge(r, "running", se->n_running);
	pxh_report_gauge(r, "queued", se->n_queued);
	pxh_report_gauge(r, "max_running_seen", se->max_running_seen);
	pxh_report_gauge(r, "max_queued_seen", se->max_queued_seen);
	pxh_report_gauge(r, "cached", (double)se->n_entries);
}

static void sweep_cb(void *ud)
{
	se_table_sweep(ud, false);
}

/* An executable the admin named: absolute, a regular file we may run, not
 * writable by everyone. */
static int check_path(pxh_host *h, const char *key, const char *p, char **out)
{
	struct stat st;

	*out = NULL;
	if (!p || !*p)
		return 0;
	if (p[0] != '/') {
		pxh_log(h, PXH_LOG_ERR, NULL, "%s: %s: %s must be an absolute path",
		        pxh_conf_where(h, NULL, key), key, p);
		return -EINVAL;
	}
	if (stat(p, &st) || !S_ISREG(st.st_mode) || access(p, X_OK)) {
		pxh_log(h, PXH_LOG_ERR, NULL, "%s: %s: %s is not an executable file "
		        "for this user (uid %d)", pxh_conf_where(h, NULL, key), key, p,
		        (int)geteuid());
		return -EACCES;
	}
	if (st.st_mode & S_IWOTH) {
		pxh_log(h, PXH_LOG_ERR, NULL, "%s: %s: %s is writable by everyone: "
		        "refused", pxh_conf_where(h, NULL, key), key, p);
		return -EPERM;
	}
	*out = strdup(p);
	return *out ? 0 : -ENOMEM;
}

static int check_env(pxh_host *h, const pxh_conf_list *env)
{
	for (size_t i = 0; i < env->n; i++) {
		const char *kv = env->v[i];
		const char *eq = strchr(kv, '=');
		size_t len = eq ? (size_t)(eq - kv) : 0;

		if (!len || len >= 64 || strspn(kv, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                                    "abcdefghijklmnopqrstuvwxyz"
		                                    "0123456789_") != len ||
		    !strncmp(kv, "PXEHUB_", 7)) {
			pxh_log(h, PXH_LOG_ERR, NULL, "%s: env: '%s' is not NAME=VALUE "
			        "(and PXEHUB_* names are the plugin's own)",
			        pxh_conf_where(h, NULL, "env"), kv);
			return -EINVAL;
		}
	}
	return 0;
}

static void se_free(struct se *se)
{
	if (!se)
		return;
	for (int i = 0; i < SE_HOOKS; i++)
		free(se->conf.path[i]);
	free(se);
}

static int se_init(pxh_host *h, void **state)
{
	struct se *se = calloc(1, sizeof(*se));
	const struct se_settings *set = pxh_conf_struct(h, NULL);
	struct se_conf *c;
	int rc;

	if (!se)
		return -ENOMEM;
	se->h = h;
	se->set = set;
	c = &se->conf;
	if ((rc = check_path(h, "allow_boot", set->allow_boot, &c->path[SE_ALLOW_BOOT])) ||
	    (rc = check_path(h, "boot_images", set->boot_images, &c->path[SE_BOOT_IMAGES])) ||
	    (rc = check_env(h, &set->env)))
		goto fail;
	c->timeout = set->timeout_s;
	c->max_running = set->max_running;
	c->max_queued = set->max_queued;
	c->max_output = set->max_output;
	c->ttl = set->ttl_s;
	c->error_ttl = set->error_ttl_s;
	c->on_error = verdict_of(set->on_error);
	c->on_timeout = verdict_of(set->on_timeout);
	c->stderr_lines = set->stderr_lines;
	c->max_cached = set->max_cached;
	if (!c->path[SE_ALLOW_BOOT] && !c->path[SE_BOOT_IMAGES])
		pxh_log(h, PXH_LOG_WARNING, NULL,
		        "neither allow_boot nor boot_images is set: nothing to run");
	if (geteuid() == 0)
		pxh_log(h, PXH_LOG_WARNING, NULL,
		        "running as root: scripts run as root too");
	rc = 0;
	if (c->path[SE_ALLOW_BOOT])
		rc = pxh_register_boot_decision(h, allow_boot, se, NULL);
	if (!rc && c->path[SE_BOOT_IMAGES])
		rc = pxh_register_boot_script(h, boot_images, se, NULL);
	if (!rc)
		rc = pxh_register_report(h, se_report, se, NULL);
	if (rc)
		goto fail;
	se->sweep = pxh_timer_start(h, 5, 5, sweep_cb, se);
	pxh_log(h, PXH_LOG_INFO, NULL,
	        "allow_boot=%s boot_images=%s timeout=%.0fms max_running=%u "
	        "ttl=%.0fs on_error=%s on_timeout=%s",
	        c->path[SE_ALLOW_BOOT] ? c->path[SE_ALLOW_BOOT] : "-",
	        c->path[SE_BOOT_IMAGES] ? c->path[SE_BOOT_IMAGES] : "-",
	        c->timeout * 1000, c->max_running, c->ttl,
	        pxh_verdict_name((enum pxh_verdict)c->on_error),
	        pxh_verdict_name((enum pxh_verdict)c->on_timeout));
	*state = se;
	return 0;
fail:
	se_free(se);
	return rc;
}

static void se_fini(void *state)
{
	struct se *se = state;

	if (!se)
		return;
	/* The core unloads us only once every request was completed and
	 * every child reaped; what is left is remembered answers. */
	se->closing = true;
	pxh_timer_stop(se->sweep);
	se->sweep = NULL;
	se_table_sweep(se, true);
	se_free(se);
}

PXH_PLUGIN(.name = "script_exec", .version = "1.0", .keys = se_keys,
           .conf_size = sizeof(struct se_settings), .init = se_init, .fini = se_fini);
