/* GRUB's first stage (core/http/grub_stage.c): the generated grub.cfg, and
 * the TFTP form of stage 2. */
#ifndef PXEHUB_GRUB_STAGE_H
#define PXEHUB_GRUB_STAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "pxehub/plugin.h"

struct pxh_server;
struct pxh_conf;
struct pxh_conf_errors;
struct pxh_open_file;

/* NORM is PREFIX/grub.cfg for one of [boot] grub_prefixes. */
bool pxh_grub_cfg_path(const struct pxh_conf *conf, const char *norm);
/* The generated first stage for client C (its server_ip names us);
 * TFTP: fetched over TFTP, so stage 2 comes over TFTP too. */
int pxh_grub_stage1(struct pxh_server *s, const pxh_client *c, bool tftp,
                    char **out, size_t *out_len);
/* TFTP "boot.grub?FACTS": 0 with OUT filled (the rendered answer),
 * -EINPROGRESS while the decision runs (the client's retransmitted
 * request gets it), or -errno. */
int pxh_grub_tftp_stage2(struct pxh_server *s, const pxh_client *c,
                         const char *req, struct pxh_open_file *out);
bool pxh_grub_tftp_request(const char *req);
/* pxh_file_open's hook: stage 1 for a grub.cfg path, else -ENOENT. */
int pxh_grub_stage1_file(struct pxh_server *s, const char *norm,
                         const pxh_client *c, struct pxh_open_file *out);
/* -t: [boot] grub_prefixes well formed (FILE:LINE in ERRS). */
int pxh_grub_conf_check(const struct pxh_conf *conf, struct pxh_conf_errors *errs);

#endif /* PXEHUB_GRUB_STAGE_H */
