/* The TFTP module as the server sees it: lifecycle, key table, transfers. */
#ifndef PXEHUB_TFTP_MODULE_H
#define PXEHUB_TFTP_MODULE_H

#include <stddef.h>

#include "pxehub/plugin.h"

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
/* Fill up to MAX transfers; returns how many. */
size_t pxh_tftp_transfers(struct pxh_server *s, struct pxh_transfer *out,
                          size_t max);

#endif /* PXEHUB_TFTP_MODULE_H */
