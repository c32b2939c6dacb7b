/* The TFTP module as the server sees it: lifecycle, key table, transfers. */
#ifndef PXEHUB_TFTP_MODULE_H
#define PXEHUB_TFTP_MODULE_H

#include <stdbool.h>
#include <stddef.h>

#include "pxehub/plugin.h"
#include "conf.h"

struct pxh_server;
struct pxh_conf;
struct pxh_transfer;

int pxh_tftp_open(struct pxh_server *s);
int pxh_tftp_start(struct pxh_server *s);
void pxh_tftp_reload(struct pxh_server *s, const struct pxh_conf *old);
/* Stop accepting; running transfers get GRACE seconds (0 = now). */
void pxh_tftp_stop(struct pxh_server *s, double grace);
size_t pxh_tftp_active(struct pxh_server *s);

extern const pxh_conf_key pxh_tftp_keys[];

/* [tftp], filled once per load from pxh_tftp_keys (tftp_config.c). */
struct pxh_tftp_conf {
	bool enabled;
	unsigned port;
	const char *root;
	const char *port_range;
	unsigned max_blksize, max_windowsize, msftwindow;
	unsigned max_transfers, max_per_client, requests_per_client;
	double stall_timeout_s;
	unsigned timeout_ms;
	unsigned retries;
	bool gso, casefold, backslash, follow_symlinks;
	unsigned cache_size, cache_file_max; /* MiB */
};
static inline const struct pxh_tftp_conf *pxh_tftp_conf(const struct pxh_conf *c)
{
	return pxh_conf_core(c, PXH_SEC_TFTP);
}
/* Fill up to MAX transfers; returns how many. */
size_t pxh_tftp_transfers(struct pxh_server *s, struct pxh_transfer *out,
                          size_t max);

#endif /* PXEHUB_TFTP_MODULE_H */
