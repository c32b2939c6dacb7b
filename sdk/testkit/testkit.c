/* The plugin test kit (sdk/include/pxehub/testkit.h): the core without
 * sockets, driven from a unit test. */
#include <errno.h>
#include <ev.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pxehub/testkit.h"
#include "http/http.h"
#include "headless.h"
#include "answer.h"
#include "conf.h"
#include "counters.h"
#include "events.h"
#include "http/http_module.h"
#include "plugins.h"
#include "server.h"

#define TK_EVENTS 1024
#define TK_MAX_PLUGINS 32

/* One section of the caller's config text, repeats merged. */
struct tk_sec {
	char name[128];
	char *body;
	size_t len;
};

/* A captured event owns a copy of its client. */
struct tk_event {
	pxh_event ev;
	pxh_client client;
};

struct pxh_tk {
	char dir[64]; /* temporary: pxehub.conf, plugins/, plugins.d/, state/ */
	struct tk_sec *secs;
	size_t nsecs;
	char *plugins[TK_MAX_PLUGINS];
	size_t nplugins;
	struct pxh_server srv;
	bool started;
	struct pxh_host *capture; /* the kit's own event hook */
	struct tk_event *events;  /* ring of TK_EVENTS */
	size_t ev_head, ev_count;
	struct pxh_sync_decision last;
	bool have_last;
	pxh_client last_client; /* the client of the last decision */
	char *served;           /* pxh_tk_served_script() */
	char served_why[256];
	char *err;
};

static const char *const core_sections[] = {
	"server", "dhcp", "tftp", "http", "boot", "access", "log", "plugins",
};

static void set_err(pxh_tk *tk, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_err(pxh_tk *tk, const char *fmt, ...)
{
	va_list ap;

	free(tk->err);
	tk->err = NULL;
	va_start(ap, fmt);
	if (vasprintf(&tk->err, fmt, ap) < 0)
		tk->err = NULL;
	va_end(ap);
}

/* ---- the caller's config text -------------------------------------------- */
static struct tk_sec *sec_get(pxh_tk *tk, const char *name, size_t len)
{
	struct tk_sec *ns;

	for (size_t i = 0; i < tk->nsecs; i++)
		if (strlen(tk->secs[i].name) == len &&
		    !strncmp(tk->secs[i].name, name, len))
			return &tk->secs[i];
	if (len >= sizeof(ns->name))
		return NULL;
	ns = realloc(tk->secs, (tk->nsecs + 1) * sizeof(*ns));
	if (!ns)
		return NULL;
	tk->secs = ns;
	ns = &tk->secs[tk->nsecs++];
	memset(ns, 0, sizeof(*ns));
	memcpy(ns->name, name, len);
	return ns;
}

static int sec_append(struct tk_sec *s, const char *text, size_t len)
{
	char *nb = realloc(s->body, s->len + len + 2);

	if (!nb)
		return -ENOMEM;
	s->body = nb;
	memcpy(s->body + s->len, text, len);
	s->len += len;
	if (len && text[len - 1] != '\n')
		s->body[s->len++] = '\n';
	s->body[s->len] = 0;
	return 0;
}

static int split_ini(pxh_tk *tk, const char *ini)
{
	struct tk_sec *cur = NULL;
	const char *p = ini;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		const char *q = p + strspn(p, " \t");

		if (*q == '[') {
			const char *rb = memchr(q, ']', len - (size_t)(q - p));
			if (!rb)
				return -EINVAL;
			cur = sec_get(tk, q + 1, (size_t)(rb - q - 1));
			if (!cur)
				return -ENOMEM;
		} else if (cur) {
			if (sec_append(cur, p, len))
				return -ENOMEM;
		} else if (*q != '\n' && *q != ';' && *q != '#' && *q) {
			return -EINVAL; /* a key outside any section */
		}
		p += len;
	}
	return 0;
}

static bool body_has_key(const struct tk_sec *s, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = s ? s->body : NULL; p && *p;) {
		const char *q = p + strspn(p, " \t");
		if (!strncmp(q, key, kl)) {
			q += kl;
			q += strspn(q, " \t");
			if (*q == '=' || *q == ':')
				return true;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return false;
}

static struct tk_sec *sec_find(pxh_tk *tk, const char *name)
{
	for (size_t i = 0; i < tk->nsecs; i++)
		if (!strcmp(tk->secs[i].name, name))
			return &tk->secs[i];
	return NULL;
}

/* Write the main file: the caller's core sections plus what the kit
 * needs, each key only where the caller did not set it. */
static int write_main(pxh_tk *tk)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/pxehub.conf", tk->dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	for (size_t i = 0; i < sizeof(core_sections) / sizeof(*core_sections); i++) {
		const char *n = core_sections[i];
		struct tk_sec *s = sec_find(tk, n);
		fprintf(f, "[%s]\n%s", n, s && s->body ? s->body : "");
#define DEF(sec, key, ...)                                                     \
	if (!strcmp(n, sec) && !body_has_key(s, key))                          \
		fprintf(f, key " = " __VA_ARGS__)
		DEF("server", "state_dir", "%s/state\n", tk->dir);
		DEF("server", "user", "\n");
		DEF("plugins", "dir", "%s/plugins\n", tk->dir);
		DEF("plugins", "conf_dir", "%s/plugins.d\n", tk->dir);
		DEF("plugins", "workers", "2\n");
		DEF("access", "allow", "all\n");
		DEF("log", "level", "warning\n");
#undef DEF
	}
	return fclose(f) ? -errno : 0;
}

/* plugins.d/NAME.conf: the caller's [NAME] and [NAME.SUB], enabled. */
static int write_plugin_conf(pxh_tk *tk, const char *name)
{
	struct tk_sec *main_sec = sec_find(tk, name);
	size_t nl = strlen(name);
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/plugins.d/%s.conf", tk->dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "[%s]\n%s%s", name,
	        body_has_key(main_sec, "enabled") ? "" : "enabled = yes\n",
	        main_sec && main_sec->body ? main_sec->body : "");
	for (size_t i = 0; i < tk->nsecs; i++)
		if (!strncmp(tk->secs[i].name, name, nl) && tk->secs[i].name[nl] == '.')
			fprintf(f, "[%s]\n%s", tk->secs[i].name,
			        tk->secs[i].body ? tk->secs[i].body : "");
	return fclose(f) ? -errno : 0;
}

pxh_tk *pxh_tk_new(const char *ini)
{
	pxh_tk *tk = calloc(1, sizeof(*tk));
	char sub[128];

	if (!tk)
		return NULL;
	/* a plugin reading a key its table does not declare fails the test */
	pxh_conf_strict = true;
	tk->events = calloc(TK_EVENTS, sizeof(*tk->events));
	snprintf(tk->dir, sizeof(tk->dir), "/tmp/pxh-testkit.XXXXXX");
	if (!tk->events || !mkdtemp(tk->dir))
		goto fail;
	for (int i = 0; i < 3; i++) {
		static const char *const subs[] = {"plugins", "plugins.d", "state"};
		snprintf(sub, sizeof(sub), "%s/%s", tk->dir, subs[i]);
		if (mkdir(sub, 0700))
			goto fail;
	}
	if (split_ini(tk, ini)) {
		fprintf(stderr, "pxh_tk_new: cannot parse the config text\n");
		goto fail;
	}
	return tk;
fail:
	pxh_tk_free(tk);
	return NULL;
}

const char *pxh_tk_error(const pxh_tk *tk)
{
	return tk->err ? tk->err : "";
}

/* ---- the server ----------------------------------------------------------- */
static void capture_cb(void *ud, const pxh_event *ev)
{
	pxh_tk *tk = ud;

	if (tk->ev_count == TK_EVENTS) {
		tk->ev_head = (tk->ev_head + 1) % TK_EVENTS;
		tk->ev_count--;
	}
	struct tk_event *slot = &tk->events[(tk->ev_head + tk->ev_count) % TK_EVENTS];
	slot->ev = *ev;
	slot->client = *ev->client;
	slot->ev.client = &slot->client;
	tk->ev_count++;
}

static void stop_server(pxh_tk *tk)
{
	if (!tk->started)
		return;
	if (tk->have_last)
		pxh_sync_decision_clear(&tk->last);
	tk->have_last = false;
	pxh_headless_stop(&tk->srv, 10);
	pxh_host_core_free(tk->capture); /* its hook went with the plugin set */
	tk->capture = NULL;
	tk->started = false;
}

static int start_server(pxh_tk *tk)
{
	struct pxh_conf_errors errs = {0};
	struct pxh_conf *conf;
	char path[128];
	int rc;

	stop_server(tk);
	rc = write_main(tk);
	for (size_t i = 0; !rc && i < tk->nplugins; i++)
		rc = write_plugin_conf(tk, tk->plugins[i]);
	if (rc) {
		set_err(tk, "cannot write the config: %s", strerror(-rc));
		return rc;
	}
	snprintf(path, sizeof(path), "%s/pxehub.conf", tk->dir);
	conf = pxh_conf_load(path, NULL, &errs);
	if (!conf) {
		rc = -ENOMEM;
		goto out;
	}
	if (errs.n) {
		pxh_conf_free(conf);
		rc = -EINVAL;
		goto out;
	}
	rc = pxh_headless_start(&tk->srv, ev_default_loop(0), conf, -1, false, &errs);
	tk->started = true;
	if (rc)
		goto out;
	/* Capture every event: a hook of the kit's own, first in line. */
	tk->capture = pxh_host_core_new(&tk->srv, "testkit", INT_MIN);
	if (!tk->capture) {
		rc = -ENOMEM;
		goto out;
	}
	rc = pxh_register_event(tk->capture, PXH_EV_ALL, capture_cb, tk, NULL);
out:
	if (errs.n) {
		size_t len = 0;
		for (size_t i = 0; i < errs.n; i++)
			len += strlen(errs.msg[i]) + 1;
		free(tk->err);
		tk->err = calloc(1, len + 1);
		for (size_t i = 0; tk->err && i < errs.n; i++) {
			strcat(tk->err, errs.msg[i]);
			strcat(tk->err, "\n");
		}
	} else if (rc) {
		set_err(tk, "cannot start the core: %s", strerror(-rc));
	}
	pxh_conf_errors_free(&errs);
	if (rc)
		stop_server(tk);
	return rc;
}

int pxh_tk_load(pxh_tk *tk, const char *so_path)
{
	const char *base = strrchr(so_path, '/');
	char name[64], link[256], *real = NULL;
	size_t len;
	int rc;

	base = base ? base + 1 : so_path;
	len = strlen(base);
	if (len < 4 || len - 3 >= sizeof(name) || strcmp(base + len - 3, ".so")) {
		set_err(tk, "%s: a plugin file is NAME.so", so_path);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(len - 3), base);
	if (tk->nplugins == TK_MAX_PLUGINS) {
		set_err(tk, "too many plugins");
		return -E2BIG;
	}
	real = realpath(so_path, NULL);
	if (!real) {
		rc = -errno;
		set_err(tk, "%s: %s", so_path, strerror(-rc));
		return rc;
	}
	/* [plugins] dir is one directory: gather the plugins there. */
	snprintf(link, sizeof(link), "%s/plugins/%s.so", tk->dir, name);
	unlink(link);
	rc = symlink(real, link) ? -errno : 0;
	free(real);
	if (rc) {
		set_err(tk, "%s: %s", link, strerror(-rc));
		return rc;
	}
	tk->plugins[tk->nplugins] = strdup(name);
	if (!tk->plugins[tk->nplugins])
		return -ENOMEM;
	tk->nplugins++;
	rc = start_server(tk);
	if (rc) {
		free(tk->plugins[--tk->nplugins]);
		unlink(link);
	}
	return rc;
}

static int ensure_started(pxh_tk *tk)
{
	return tk->started ? 0 : start_server(tk);
}

/* ---- clients and decisions ------------------------------------------------ */
int pxh_tk_client(pxh_client *c, enum pxh_phase phase, const char *mac,
                  const char *arch)
{
	int rc = pxh_client_synth(c, phase, mac, arch);

	if (!rc)
		snprintf(c->server_ip, sizeof(c->server_ip), "192.0.2.1");
	return rc;
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

int pxh_tk_decide(pxh_tk *tk, const pxh_client *c, pxh_tk_decision *out)
{
	int rc = ensure_started(tk);

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	if (tk->have_last)
		pxh_sync_decision_clear(&tk->last);
	tk->have_last = false;
	tk->last_client = *c;
	rc = pxh_decide_sync(&tk->srv, &tk->last_client, &tk->last);
	pxh_events_flush(&tk->srv);
	if (rc)
		return rc;
	tk->have_last = true;
	out->verdict = tk->last.verdict;
	out->plugin = tk->last.plugin;
	out->reason = tk->last.why[0] ? tk->last.why : str_or_empty(tk->last.answer.reason);
	out->loader = str_or_empty(tk->last.answer.loader);
	out->next_server = str_or_empty(tk->last.answer.next_server);
	out->script = str_or_empty(tk->last.answer.script);
	/* local in the script phase: what pxehubd serves for it ("#!ipxe"
	 * and exit, or GRUB's), not an empty script */
	if (out->verdict == PXH_LOCAL && c->phase == PXH_PHASE_IPXE && !out->script[0]) {
		const char *s = pxh_tk_served_script(tk, NULL);
		out->script = str_or_empty(s);
	}
	out->n_options = tk->last.answer.n_opts;
	out->seconds = tk->last.seconds;
	return 0;
}

int pxh_tk_client_boot_program(pxh_client *c, int boot_program, int has_http)
{
	if (boot_program == PXH_BOOT_PROGRAM_GRUB) {
		/* as /boot.grub (HTTP) or boot.grub over TFTP makes it */
		c->phase = PXH_PHASE_IPXE;
		c->is_ipxe = 0;
		c->is_http_boot = has_http ? 1 : 0;
		snprintf(c->user_class, sizeof(c->user_class), "GRUB");
		if (!c->platform[0])
			snprintf(c->platform, sizeof(c->platform), "efi");
		return 0;
	}
	if (boot_program == PXH_BOOT_PROGRAM_IPXE) {
		c->is_ipxe = 1;
		snprintf(c->user_class, sizeof(c->user_class), "iPXE");
		return 0;
	}
	return -EINVAL;
}

const char *pxh_tk_served_script(pxh_tk *tk, const char **why)
{
	struct pxh_answer out;
	enum pxh_verdict v;
	const char *by;
	size_t len;

	if (why)
		*why = "";
	free(tk->served);
	tk->served = NULL;
	tk->served_why[0] = '\0';
	if (!tk->have_last || tk->last_client.phase != PXH_PHASE_IPXE)
		return NULL;
	v = tk->last.verdict;
	by = tk->last.plugin;
	pxh_answer_init(&out, &tk->srv, &tk->last_client);
	if (pxh_boot_render(&tk->srv, &tk->last_client, &v, &by, &tk->last.answer,
	                    &out, &tk->served, &len, tk->served_why,
	                    sizeof(tk->served_why)) == 0 && !tk->served) {
		tk->served = out.script;
		out.script = NULL;
	}
	pxh_answer_clear(&out);
	if (why)
		*why = tk->served_why;
	return tk->served;
}

const uint8_t *pxh_tk_option(pxh_tk *tk, uint8_t code, size_t *len)
{
	for (size_t i = 0; tk->have_last && i < tk->last.answer.n_opts; i++) {
		const struct pxh_dhcp_opt *o = &tk->last.answer.opts[i];
		if (o->code == code) {
			*len = o->len;
			return o->data;
		}
	}
	*len = 0;
	return NULL;
}

static void run_end(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ONE);
}

void pxh_tk_run(pxh_tk *tk, double seconds)
{
	ev_timer t;

	if (ensure_started(tk))
		return;
	ev_now_update(tk->srv.loop);
	ev_timer_init(&t, run_end, seconds > 0 ? seconds : 0, 0);
	ev_timer_start(tk->srv.loop, &t);
	ev_run(tk->srv.loop, 0);
	ev_timer_stop(tk->srv.loop, &t);
	pxh_events_flush(&tk->srv);
}

/* ---- events ----------------------------------------------------------------- */
void pxh_tk_emit(pxh_tk *tk, const pxh_event *ev)
{
	pxh_event copy;
	pxh_client client;

	if (ensure_started(tk))
		return;
	pxh_event_import(&copy, &client, ev); /* as from a plugin */
	pxh_emit(&tk->srv, &copy);
	pxh_events_flush(&tk->srv);
}

size_t pxh_tk_event_count(const pxh_tk *tk)
{
	return tk->ev_count;
}

const pxh_event *pxh_tk_event(const pxh_tk *tk, size_t i)
{
	return i < tk->ev_count ? &tk->events[(tk->ev_head + i) % TK_EVENTS].ev : NULL;
}

const pxh_event *pxh_tk_last_event(const pxh_tk *tk, enum pxh_event_kind kind)
{
	for (size_t i = tk->ev_count; i-- > 0;) {
		const pxh_event *ev = pxh_tk_event(tk, i);
		if (ev->kind == kind)
			return ev;
	}
	return NULL;
}

void pxh_tk_events_clear(pxh_tk *tk)
{
	tk->ev_head = tk->ev_count = 0;
}

/* ---- reports and routes ------------------------------------------------------ */
char *pxh_tk_metrics(pxh_tk *tk)
{
	size_t len;

	return ensure_started(tk) ? NULL : pxh_metrics_text(&tk->srv, &len);
}

double pxh_tk_metric(pxh_tk *tk, const char *name)
{
	char *text = pxh_tk_metrics(tk);
	size_t nl = strlen(name);
	double v = -1;

	for (char *p = text; p && *p;) {
		if (!strncmp(p, name, nl) && p[nl] == ' ') {
			v = strtod(p + nl + 1, NULL);
			break;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	free(text);
	return v;
}

int pxh_tk_http(pxh_tk *tk, const char *name, const char *method,
                const char *path, const char *body, char **body_out)
{
	pxh_http_request rq = {
		.struct_size = sizeof(rq),
		.method = method,
		.path = path,
		.query = "",
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.peer = "127.0.0.1",
		.authenticated = 1,
	};
	pxh_http_response rs = {.struct_size = sizeof(rs), .status = 200};
	struct pxh_hook *k;
	char *q;
	int rc;

	if (body_out)
		*body_out = NULL;
	rc = ensure_started(tk);
	if (rc)
		return rc;
	k = pxh_http_route_for(&tk->srv, name);
	if (!k)
		return 404;
	/* The route sees the path and the query apart, as over HTTP. */
	q = strdup(path);
	if (!q)
		return -ENOMEM;
	rq.path = q;
	if (strchr(q, '?')) {
		rq.query = strchr(q, '?') + 1;
		*strchr(q, '?') = 0;
	}
	rc = k->fn.http(k->ud, &rq, &rs);
	free(q);
	if (rc < 0) {
		free(rs.body);
		return rc;
	}
	if (body_out)
		*body_out = rs.body ? rs.body : strdup("");
	else
		free(rs.body);
	return rs.status ? rs.status : 200;
}

void pxh_tk_free(pxh_tk *tk)
{
	char cmd[128];

	if (!tk)
		return;
	stop_server(tk);
	for (size_t i = 0; i < tk->nplugins; i++)
		free(tk->plugins[i]);
	for (size_t i = 0; i < tk->nsecs; i++)
		free(tk->secs[i].body);
	free(tk->secs);
	free(tk->events);
	free(tk->served);
	free(tk->err);
	if (tk->dir[0] && strcmp(tk->dir + strlen(tk->dir) - 6, "XXXXXX")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tk->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "pxh_tk_free: cannot remove %s\n", tk->dir);
	}
	free(tk);
}
