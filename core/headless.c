/* The core without sockets (see headless.h). */
#include <ctype.h>
#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "headless.h"
#include "arch.h"
#include "server.h"
#include "answer.h"
#include "conf.h"
#include "decide.h"
#include "events.h"
#include "log.h"
#include "plugins.h"
#include "workpool.h"

int pxh_headless_start(struct pxh_server *s, struct ev_loop *loop,
                       struct pxh_conf *conf, int log_level, bool drop,
                       struct pxh_conf_errors *errs)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = pxh_server_init(s, loop, conf);
	if (log_level >= 0)
		pxh_log_setup(log_level, false);
	if (rc)
		return rc;
	if (drop) {
		rc = pxh_server_drop_privileges(s);
		if (rc) {
			pxh_conf_errors_add(errs, "cannot switch to [server] user %s",
			                    pxh_server_conf(conf)->user);
			return rc;
		}
	}
	rc = pxh_pool_start(s, pxh_plugins_conf(conf)->workers);
	if (rc)
		return rc;
	return pxh_plugins_load(s, conf, &s->plugins, errs);
}

size_t pxh_headless_pending(struct pxh_server *s)
{
	size_t n = pxh_pool_pending(s);

	return n + pxh_plugins_busy(s->plugins);
}

void pxh_headless_stop(struct pxh_server *s, double max_wait)
{
	double end = ev_time() + max_wait;

	/* Deferred requests complete on the loop (timers, work "done"). */
	while (pxh_headless_pending(s) && ev_time() < end) {
		ev_run(s->loop, EVRUN_NOWAIT);
		if (pxh_headless_pending(s))
			ev_sleep(0.005);
	}
	pxh_events_flush(s);
	pxh_server_free(s);
}

static int parse_mac(const char *in, char out[18])
{
	unsigned b[6];
	char sep[5];
	int n = 0;

	if (strlen(in) != 17 ||
	    sscanf(in, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%n", &b[0], &sep[0], &b[1],
	           &sep[1], &b[2], &sep[2], &b[3], &sep[3], &b[4], &sep[4], &b[5],
	           &n) != 11 || n != 17)
		return -EINVAL;
	for (int i = 0; i < 5; i++)
		if (sep[i] != sep[0] || (sep[i] != ':' && sep[i] != '-'))
			return -EINVAL;
	for (int i = 0; i < 17; i++)
		if (i % 3 != 2 && !isxdigit((unsigned char)in[i]))
			return -EINVAL;
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
	         b[3], b[4], b[5]);
	return 0;
}

static int parse_arch(const char *in, uint16_t *raw)
{
	char *end;
	unsigned long v;

	if (!in || !*in) {
		*raw = 0;
		return 0;
	}
	v = strtoul(in, &end, 10);
	if (!*end && end != in && v < 0xffff) {
		*raw = (uint16_t)v;
		return 0;
	}
	for (unsigned r = 0; r < 64; r++) {
		uint16_t a = pxh_dhcp_arch_normalise((uint16_t)r);
		if (a != PXH_ARCH_UNKNOWN && !strcasecmp(pxh_arch_name(a), in)) {
			*raw = (uint16_t)r;
			return 0;
		}
	}
	return -EINVAL;
}

int pxh_client_synth(pxh_client *c, enum pxh_phase phase, const char *mac,
                     const char *arch)
{
	uint16_t raw;

	memset(c, 0, sizeof(*c));
	c->struct_size = sizeof(*c);
	c->phase = phase;
	if (!mac || parse_mac(mac, c->mac) || parse_arch(arch, &raw))
		return -EINVAL;
	c->arch_raw = raw;
	c->arch = pxh_dhcp_arch_normalise(raw);
	snprintf(c->arch_name, sizeof(c->arch_name), "%s", pxh_arch_name(c->arch));
	c->is_http_boot = c->arch >= PXH_ARCH_EFI_IA32_HTTP &&
	                  c->arch != PXH_ARCH_UNKNOWN;
	snprintf(c->vendor_class, sizeof(c->vendor_class),
	         "%s:Arch:%05u:UNDI:003010",
	         c->is_http_boot ? "HTTPClient" : "PXEClient", raw);
	snprintf(c->undi, sizeof(c->undi), "003010");
	if (phase == PXH_PHASE_IPXE) {
		snprintf(c->user_class, sizeof(c->user_class), "iPXE");
		c->is_ipxe = 1;
		snprintf(c->platform, sizeof(c->platform), "%s",
		         c->arch == PXH_ARCH_BIOS ? "pcbios" : "efi");
		snprintf(c->buildarch, sizeof(c->buildarch), "%s",
		         c->arch == PXH_ARCH_EFI_ARM64 ? "arm64"
		         : c->arch == PXH_ARCH_EFI_IA32 ? "i386" : "x86_64");
	}
	return 0;
}

static void sync_done(void *ctx, enum pxh_verdict v, const struct pxh_answer *a,
                      const char *plugin, const char *why)
{
	struct pxh_sync_decision *d = ctx;

	d->verdict = v;
	pxh_answer_copy(&d->answer, a);
	snprintf(d->plugin, sizeof(d->plugin), "%s", plugin ? plugin : "");
	snprintf(d->why, sizeof(d->why), "%s", why ? why : "");
	d->done = true;
}

int pxh_decide_sync(struct pxh_server *s, const pxh_client *c,
                    struct pxh_sync_decision *out)
{
	/* The chain's own deadline ends every decision; this bound only
	 * guards against a core bug. */
	double start = ev_time();
	double end = start + (double)pxh_decide_deadline_ms(s) / 1000.0 + 5;
	int rc;

	memset(out, 0, sizeof(*out));
	pxh_answer_init(&out->answer, s, c);
	/* The loop may have idled: deadlines count from now. */
	ev_now_update(s->loop);
	rc = pxh_decide(s, c->phase == PXH_PHASE_IPXE ? PXH_PHASE_IPXE : PXH_PHASE_DHCP,
	                c, sync_done, out, NULL);
	if (rc)
		return rc;
	while (!out->done && ev_time() < end)
		ev_run(s->loop, EVRUN_ONCE);
	out->seconds = ev_time() - start;
	out->answer.client = NULL; /* the caller's client may go */
	return out->done ? 0 : -ETIMEDOUT;
}

void pxh_sync_decision_clear(struct pxh_sync_decision *d)
{
	pxh_answer_clear(&d->answer);
}
