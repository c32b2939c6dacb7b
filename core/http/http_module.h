/* The HTTP module as the server sees it: lifecycle, key table, transfers,
 * the live event stream and the boot scripts it renders. */
#ifndef PXEHUB_HTTP_MODULE_H
#define PXEHUB_HTTP_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include "pxehub/plugin.h"
#include "conf.h"

struct pxh_server;
struct pxh_conf;
struct pxh_transfer;
struct pxh_answer;

int pxh_http_open(struct pxh_server *s);
int pxh_http_start(struct pxh_server *s);
/* Before a reload commits: load NC's certificate, key and TLS settings
 * (HTTPS running only); -errno (logged) refuses the reload.  The reload
 * then puts them in service; abort drops them when it is refused later. */
int pxh_http_reload_prepare(struct pxh_server *s, const struct pxh_conf *nc);
void pxh_http_reload_abort(struct pxh_server *s);
void pxh_http_reload(struct pxh_server *s, const struct pxh_conf *old);
void pxh_http_stop(struct pxh_server *s, double grace);
/* An [http] api_token or client_ca is set: a caller can authenticate. */
bool pxh_http_auth_configured(struct pxh_server *s);
size_t pxh_http_active(struct pxh_server *s);

extern const pxh_conf_key pxh_http_keys[];

/* [http], filled once per load from pxh_http_keys (http_keys.c). */
struct pxh_http_conf {
	bool enabled;
	unsigned port, https_port;
	const char *root, *cert, *key, *client_ca;
	bool require_client_cert;
	const char *tls_priority;
	unsigned generated_key_bits;
	const char *api_token;
	bool require_auth, public_facts, status_page;
	size_t max_connections, max_per_client, max_event_streams;
	double stuck_after_s;
	size_t max_header_size;
	double header_timeout_s, idle_timeout_s, body_timeout_s, send_timeout_s;
	size_t report_max_size;
	double report_rate;
};
static inline const struct pxh_http_conf *pxh_http_conf(const struct pxh_conf *c)
{
	return pxh_conf_core(c, PXH_SEC_HTTP);
}
/* Fill up to MAX transfers; returns how many. */
size_t pxh_http_transfers(struct pxh_server *s, struct pxh_transfer *out,
                          size_t max);

/* Live event stream (core/http/http_events.c): hand EV (its machine is
 * MAC) to the /api/v1/events subscribers.  Cheap when there are none. */
void pxh_http_events_publish(struct pxh_server *s, const pxh_event *ev,
                             const char *mac);

/* The boot script for verdict *V and answer A, for C's boot program (GRUB
 * or iPXE): into OUT, or the cached built-in iPXE menu into *TEXT
 * (malloc'd).  An answer the boot program cannot run gives [boot]
 * default_action instead: *V and *PLUGIN change and WHY says why (else
 * WHY is "").  Nothing for ignore.  Returns 0 or -errno (http_boot.c). */
int pxh_boot_render(struct pxh_server *s, const pxh_client *c,
                    enum pxh_verdict *v, const char **plugin,
                    const struct pxh_answer *a, struct pxh_answer *out,
                    char **text, size_t *len, char *why, size_t why_len);

/* The embedded default iPXE menu (no plugin decided) into A. */
int pxh_default_menu(struct pxh_server *s, const pxh_client *c,
                     struct pxh_answer *a);

#endif /* PXEHUB_HTTP_MODULE_H */
