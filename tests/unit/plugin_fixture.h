/* The unit tests' server with plugins from tests/plugins (a plugins.d of
 * their own) and a decision's result: shared by test_plugin_host.c and
 * test_decide.c. */
#ifndef PXH_PLUGIN_FIXTURE_H
#define PXH_PLUGIN_FIXTURE_H

#include "core_fixture.h"
#include "answer.h"
#include "clients.h"
#include "conf.h"
#include "counters.h"
#include "decide.h"
#include "events.h"
#include "plugins.h"
#include "server.h"
#include "str.h"
#include "workpool.h"

struct fx {
	char *dir;
	struct pxh_server srv;
	struct pxh_conf_errors errs;
	bool loaded;
};

/* Start a server whose plugins.d holds PLUGIN_CONFS ("name", "ini", ...). */
static inline int fx_start(struct fx *f, const char *extra, const char *const *plugin_confs)
{
	char text[2048];
	struct pxh_conf *conf;
	int rc;

	memset(f, 0, sizeof(*f));
	f->dir = fx_mkdtemp();
	for (size_t i = 0; plugin_confs && plugin_confs[i]; i += 2) {
		char name[64];
		snprintf(name, sizeof(name), "%s.conf", plugin_confs[i]);
		fx_write(f->dir, name, plugin_confs[i + 1]);
	}
	snprintf(text, sizeof(text),
	         "[server]\nstate_dir = %s\nuser =\n[plugins]\ndir = %s\nconf_dir = %s\n"
	         "[access]\nallow = all\n%s",
	         f->dir, fx_plugin_dir(), f->dir, extra ? extra : "");
	conf = pxh_conf_load(NULL, text, &f->errs);
	assert_non_null(conf);
	fx_print_errors(&f->errs);
	assert_int_equal(f->errs.n, 0);
	f->srv.verbose = 0;
	ev_now_update(ev_default_loop(0)); /* the loop's clock is stale between tests */
	assert_int_equal(pxh_server_init(&f->srv, ev_default_loop(0), conf), 0);
	assert_int_equal(pxh_pool_start(&f->srv, 2), 0);
	rc = pxh_plugins_load(&f->srv, conf, &f->srv.plugins, &f->errs);
	f->loaded = rc == 0;
	return rc;
}

static inline void fx_stop(struct fx *f)
{
	pxh_server_free(&f->srv);
	pxh_conf_errors_free(&f->errs);
	fx_rmrf(f->dir);
	free(f->dir);
}

struct result {
	bool done;
	enum pxh_verdict v;
	char plugin[32];
	char why[256];
	char loader[64];
	char script[256];
	double at;
};

static inline void on_done(void *ctx, enum pxh_verdict v, const struct pxh_answer *a,
                    const char *plugin, const char *why)
{
	struct result *r = ctx;

	r->done = true;
	r->v = v;
	pxh_strcpy(r->plugin, sizeof(r->plugin), plugin);
	pxh_strcpy(r->why, sizeof(r->why), why);
	pxh_strcpy(r->loader, sizeof(r->loader), a->loader ? a->loader : "");
	pxh_strcpy(r->script, sizeof(r->script), a->script ? a->script : "");
	r->at = ev_time();
}

static inline pxh_client client(const char *mac)
{
	pxh_client c;

	memset(&c, 0, sizeof(c));
	c.struct_size = sizeof(c);
	c.phase = PXH_PHASE_DHCP;
	pxh_strcpy(c.mac, sizeof(c.mac), mac);
	pxh_strcpy(c.arch_name, sizeof(c.arch_name), "efi-x64");
	c.arch = PXH_ARCH_EFI_X64;
	return c;
}

#endif
