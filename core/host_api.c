/* The plugin API's services: config getters, server facts, logging, timers,
 * fd and child watches, work pool, events. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin_host.h"
#include "abi.h"
#include "conf.h"
#include "server_addr.h"
#include "events.h"
#include "log.h"
#include "plugins.h"
#include "server.h"
#include "str.h"
#include "workpool.h"

/* ---- config ------------------------------------------------------------------ */
const void *pxh_conf_struct(pxh_host *h, const char *sub)
{
	return pxh_conf_bound_get(h->set->conf, h->name, &h->conf, sub);
}

const char *pxh_conf_str(pxh_host *h, const char *sub, const char *key)
{
	return pxh_cfg_str(h->set->conf, h->name, sub, key);
}

long long pxh_conf_int(pxh_host *h, const char *sub, const char *key)
{
	return pxh_cfg_int(h->set->conf, h->name, sub, key);
}

int pxh_conf_bool(pxh_host *h, const char *sub, const char *key)
{
	return pxh_cfg_bool(h->set->conf, h->name, sub, key);
}

size_t pxh_conf_sub_count(pxh_host *h)
{
	return pxh_cfg_sub_count(h->set->conf, h->name);
}

const char *pxh_conf_sub_name(pxh_host *h, size_t i)
{
	return pxh_cfg_sub_name(h->set->conf, h->name, i);
}

size_t pxh_conf_list_len(pxh_host *h, const char *sub, const char *key)
{
	return pxh_cfg_list_len(h->set->conf, h->name, sub, key);
}

const char *pxh_conf_list_item(pxh_host *h, const char *sub, const char *key,
                               size_t i)
{
	return pxh_cfg_list_item(h->set->conf, h->name, sub, key, i);
}

const char *pxh_conf_where(pxh_host *h, const char *sub, const char *key)
{
	return pxh_cfg_where(h->set->conf, h->name, sub, key);
}

/* ---- server facts -------------------------------------------------------------- */
const char *pxh_host_plugin_name(pxh_host *h)
{
	return h->name;
}

const char *pxh_host_state_dir(pxh_host *h)
{
	return h->state_dir;
}

const char *pxh_host_conf_dir(pxh_host *h)
{
	return pxh_plugins_conf(h->set->conf)->conf_dir;
}

const char *pxh_host_fqdn(pxh_host *h)
{
	static char host[256];
	const char *f = pxh_server_conf(h->set->conf)->fqdn;

	if (f && *f)
		return f;
	if (!host[0] && gethostname(host, sizeof(host) - 1))
		snprintf(host, sizeof(host), "localhost");
	return host;
}

int pxh_host_base_url(pxh_host *h, const pxh_client *c, char *buf, size_t len)
{
	char ip[64] = "";
	long long port = pxh_cfg_int(h->set->conf, "http", NULL, "port");

	if (c && c->server_ip[0])
		snprintf(ip, sizeof(ip), "%s", c->server_ip);
	else if (pxh_server_ip_for(h->srv, c ? c->iface : NULL, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "127.0.0.1");
	if (port == 80 || port <= 0)
		snprintf(buf, len, "http://%s", ip);
	else
		snprintf(buf, len, "http://%s:%lld", ip, port);
	return 0;
}

double pxh_now(pxh_host *h)
{
	return pxh_server_now(h->srv);
}

double pxh_server_now(struct pxh_server *s)
{
	return ev_now(s->loop);
}

/* ---- logging -------------------------------------------------------------------- */
void pxh_vlog(pxh_host *h, int level, const pxh_client *c, const char *fmt,
              va_list ap)
{
	char msg[900];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	pxh_logf(level, c, "%s: %s", h ? h->name : "plugin", msg);
}

void pxh_init_error(pxh_host *h, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pxh_log(h, PXH_LOG_ERR, NULL, "init: %s", msg);
	if (h && h->in_init)
		pxh_strcpy(h->init_error, sizeof(h->init_error), msg);
}

void pxh_log(pxh_host *h, int level, const pxh_client *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pxh_vlog(h, level, c, fmt, ap);
	va_end(ap);
}

/* ---- timers ------------------------------------------------------------------ */
static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pxh_timer *t = (struct pxh_timer *)w;

	t->fn(t->ud);
}

pxh_timer *pxh_timer_start(pxh_host *h, double after, double repeat,
                           pxh_timer_fn fn, void *ud)
{
	struct pxh_timer *t;

	if (!h || !fn) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL; /* errno ENOMEM */
	t->h = h;
	t->fn = fn;
	t->ud = ud;
	ev_timer_init(&t->w, timer_cb, after < 0 ? 0 : after, repeat > 0 ? repeat : 0);
	ev_timer_start(h->srv->loop, &t->w);
	t->next = h->timers;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = &h->timers;
	h->timers = t;
	return t;
}

void pxh_timer_stop(pxh_timer *t)
{
	if (!t)
		return;
	ev_timer_stop(t->h->srv->loop, &t->w);
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	free(t);
}

/* ---- fd watches ------------------------------------------------------------------ */
static void io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct pxh_io *io = (struct pxh_io *)w;
	int r = 0;

	if (revents & EV_READ)
		r |= PXH_IO_READ;
	if (revents & EV_WRITE)
		r |= PXH_IO_WRITE;
	io->fn(io->ud, w->fd, r);
}

static int ev_events(int events)
{
	return ((events & PXH_IO_READ) ? EV_READ : 0) |
	       ((events & PXH_IO_WRITE) ? EV_WRITE : 0);
}

pxh_io *pxh_io_watch(pxh_host *h, int fd, int events, pxh_io_fn fn, void *ud)
{
	struct pxh_io *io;

	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	if (!h || !fn || (events & ~(PXH_IO_READ | PXH_IO_WRITE))) {
		errno = EINVAL;
		return NULL;
	}
	io = calloc(1, sizeof(*io));
	if (!io)
		return NULL; /* errno ENOMEM */
	io->h = h;
	io->fn = fn;
	io->ud = ud;
	ev_io_init(&io->w, io_cb, fd, ev_events(events));
	if (events)
		ev_io_start(h->srv->loop, &io->w);
	io->next = h->ios;
	if (io->next)
		io->next->pprev = &io->next;
	io->pprev = &h->ios;
	h->ios = io;
	return io;
}

int pxh_io_modify(pxh_io *io, int events)
{
	ev_io_stop(io->h->srv->loop, &io->w);
	ev_io_set(&io->w, io->w.fd, ev_events(events));
	if (events)
		ev_io_start(io->h->srv->loop, &io->w);
	return 0;
}

void pxh_io_stop(pxh_io *io)
{
	if (!io)
		return;
	ev_io_stop(io->h->srv->loop, &io->w);
	*io->pprev = io->next;
	if (io->next)
		io->next->pprev = io->pprev;
	free(io);
}

void pxh_host_stop_watchers(struct pxh_host *h)
{
	while (h->timers)
		pxh_timer_stop(h->timers);
	while (h->ios)
		pxh_io_stop(h->ios);
}

/* ---- child processes ----------------------------------------------------------- */
struct child_watch {
	ev_child w;
	struct pxh_host *h;
	pxh_child_fn fn;
	void *ud;
};

static void child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct child_watch *cw = (struct child_watch *)w;
	struct pxh_host *h = cw->h;

	ev_child_stop(loop, w);
	cw->fn(cw->ud, w->rpid, w->rstatus);
	free(cw);
	pxh_host_unref(h);
}

int pxh_child_watch(pxh_host *h, pid_t pid, pxh_child_fn fn, void *ud)
{
	struct child_watch *cw;

	if (pid <= 0 || !fn)
		return -EINVAL;
	/* libev reaps children only on the default loop. */
	if (!ev_is_default_loop(h->srv->loop))
		return -ENOTSUP;
	cw = calloc(1, sizeof(*cw));
	if (!cw)
		return -ENOMEM;
	cw->h = h;
	cw->fn = fn;
	cw->ud = ud;
	ev_child_init(&cw->w, child_cb, pid, 0);
	ev_child_start(h->srv->loop, &cw->w);
	pxh_host_ref(h); /* keep the plugin loaded until the child is reaped */
	return 0;
}

/* ---- work pool --------------------------------------------------------------- */
int pxh_work_submit(pxh_host *h, void (*work)(void *ud), void (*done)(void *ud),
                    void *ud)
{
	if (!work)
		return -EINVAL;
	return pxh_pool_submit(h->srv, h, work, done, ud);
}

/* ---- events ----------------------------------------------------------------------- */
void pxh_event_import(pxh_event *copy, pxh_client *client, const pxh_event *ev)
{
	/* A plugin built against an older minor knows a shorter struct: only
	 * its struct_size bytes are read, the rest is zero. */
	memset(copy, 0, sizeof(*copy));
	memcpy(copy, ev, pxh_abi_size(ev->struct_size, PXH_EVENT_SIZE_1_0,
	                              sizeof(*copy)));
	copy->struct_size = sizeof(*copy);
	/* the client too is read only as far as the plugin knows it */
	pxh_client_import(client, copy->client);
	copy->client = client;
	/* every text ends inside its field, whatever the plugin wrote */
#define PXH_NUL_END(f) ((f)[sizeof(f) - 1] = 0)
	PXH_NUL_END(copy->action);
	PXH_NUL_END(copy->file);
	PXH_NUL_END(copy->plugin);
	PXH_NUL_END(copy->message);
#undef PXH_NUL_END
	/* levels start at PXH_LOG_ERR: 0 is a field left unset, not "emerg" */
	if (copy->severity < PXH_LOG_ERR || copy->severity > PXH_LOG_DEBUG)
		copy->severity = PXH_LOG_INFO;
	if (!copy->kind)
		copy->kind = PXH_EV_PLUGIN;
}

void pxh_event_emit(pxh_host *h, const pxh_event *ev)
{
	pxh_event copy;
	pxh_client client;

	pxh_event_import(&copy, &client, ev);
	if (!copy.plugin[0])
		snprintf(copy.plugin, sizeof(copy.plugin), "%s", h->name);
	pxh_emit(h->srv, &copy);
}

void pxh_event_emitf(pxh_host *h, int severity, const pxh_client *c,
                     const char *action, const char *file, const char *fmt, ...)
{
	pxh_event ev;
	pxh_client client;
	va_list ap;

	pxh_client_import(&client, c);
	pxh_event_init(&ev, PXH_EV_PLUGIN, severity, &client);
	pxh_strcpy(ev.action, sizeof(ev.action), action ? action : "");
	pxh_strcpy(ev.file, sizeof(ev.file), file ? file : "");
	pxh_strcpy(ev.plugin, sizeof(ev.plugin), h->name);
	va_start(ap, fmt);
	vsnprintf(ev.message, sizeof(ev.message), fmt, ap);
	va_end(ap);
	pxh_emit(h->srv, &ev);
}
