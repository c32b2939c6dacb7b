/* The boot scripts' URLs (core/ipxe_script.c); the pxh_script_* helpers
 * themselves are the SDK's (pxehub/plugin.h). */
#ifndef PXEHUB_IPXE_SCRIPT_H
#define PXEHUB_IPXE_SCRIPT_H

#include <stddef.h>

#include "pxehub/plugin.h"

struct pxh_server;

/* Base URL clients reach us at ("http://10.0.0.1", "http://[::1]:8080"),
 * from C's server_ip or [server] server_ip; plain HTTP when [http] port is
 * on, else HTTPS.  Returns 0 or -ENOENT when no address is known. */
int pxh_http_base_url(struct pxh_server *s, const pxh_client *c, char *buf,
                      size_t len);

#endif /* PXEHUB_IPXE_SCRIPT_H */
