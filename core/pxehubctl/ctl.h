/* pxehubctl: the admin's command-line tool (shared declarations). */
#ifndef PXEHUB_CTL_H
#define PXEHUB_CTL_H

#include <jansson.h>

#include "pxehub.h"

/* Exit codes: 0 done, 1 failed, 2 usage error. */
#define CTL_OK 0
#define CTL_FAIL 1
#define CTL_USAGE 2

/* Load the main config CONF_PATH (plugins.d too).  Problems are printed
 * as warnings when WARN; returns NULL (after saying why) when the file
 * cannot be read at all. */
struct pxh_conf *ctl_conf_load(const char *conf_path, bool warn,
                               struct pxh_conf_errors *errs);

int ctl_plugin(const char *conf_path, int argc, char **argv);
int ctl_status(const char *conf_path, int argc, char **argv);
int ctl_decide(const char *conf_path, int argc, char **argv);
int ctl_reload(const char *conf_path, int argc, char **argv);

/* GET URL_ARG (or this host's pxehubd from CONF_PATH's [http] port)
 * /api/v1/status as a JSON object, BASE set to the server's URL; NULL after
 * printing why. */
json_t *ctl_status_fetch(const char *conf_path, const char *url_arg,
                         const char *token, double timeout, char *base,
                         size_t base_len);

/* Plugin names are what plugins.d file names may be: [a-z0-9_]{1,31}. */
bool ctl_valid_plugin_name(const char *s);

/* plugins.d editing (ctl_plugin_edit.c): set "enabled = yes|no" in [NAME]
 * of PATH, creating the file or section when missing.  0 or -errno. */
int ctl_set_enabled(const char *path, const char *name, bool on);

/* HTTP/1.0 GET (ctl_http.c): fetch URL (http:// only), return the status
 * code and the body (malloc'd, NUL terminated) or -errno with ERR set. */
/* Monotonic clock, seconds. */
double ctl_mono(void);

int ctl_http_get(const char *url, const char *token, double timeout_s,
                 char **body, size_t *body_len, char *err, size_t err_len);

#endif
