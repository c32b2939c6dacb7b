/* pxehubctl: the admin's command-line tool (shared declarations). */
#ifndef PXEHUB_CTL_H
#define PXEHUB_CTL_H

#include <jansson.h>

#include "conf.h"

/* Exit codes: 0 done, 1 failed, 2 usage error. */
#define CTL_OK 0
#define CTL_FAIL 1
#define CTL_USAGE 2

/* Load the main config CONF_PATH (plugins.d too).  Problems are printed
 * as warnings when WARN; returns NULL (after saying why) when the file
 * cannot be read at all. */
struct pxh_conf *ctl_conf_load(const char *conf_path, bool warn,
                               struct pxh_conf_errors *errs);

/* The same, but a config pxehubd would refuse is an error (said why). */
struct pxh_conf *ctl_conf_load_strict(const char *conf_path, struct pxh_conf_errors *errs);
/* Start the plugins on S as pxehubd would (same user); takes CONF over.
 * 0, or -1 after printing why (S is then stopped). */
struct pxh_server;
int ctl_headless(struct pxh_server *s, struct pxh_conf *conf, bool verbose,
                 struct pxh_conf_errors *errs);

int ctl_plugin(const char *conf_path, int argc, char **argv);
int ctl_status(const char *conf_path, int argc, char **argv);
int ctl_decide(const char *conf_path, int argc, char **argv);
int ctl_reload(const char *conf_path, int argc, char **argv);
int ctl_sccm(const char *conf_path, int argc, char **argv);

/* GET URL_ARG (or this host's pxehubd from CONF_PATH's [http] port)
 * /api/v1/status as a JSON object, BASE set to the server's URL; NULL after
 * printing why. */
json_t *ctl_status_fetch(const char *conf_path, const char *url_arg,
                         const char *token, double timeout, char *base,
                         size_t base_len);

/* The server's base URL (no trailing '/') from URL_ARG (a base or any
 * /api/ URL) or this host's config; GET its PATH as a JSON object (NULL
 * after printing why). */
void ctl_base_url(const char *conf_path, const char *url_arg, char *base,
                  size_t base_len);
json_t *ctl_api_fetch(const char *conf_path, const char *url_arg,
                      const char *token, double timeout, const char *path,
                      char *base, size_t base_len);
int ctl_watch(const char *conf_path, int argc, char **argv);
int ctl_history(const char *conf_path, int argc, char **argv);

/* GET URL as a Server-Sent Events stream: FN gets each message's event
 * name ("message" by default) and data; a nonzero return ends the stream.
 * Ends after FOR_S seconds when > 0.  Returns 0 at the end of the stream
 * (or of FN, or of the time), the HTTP status when not 200 (body in ERR),
 * or -errno. */
int ctl_http_stream(const char *url, const char *token, double connect_s,
                    double for_s,
                    int (*fn)(void *ud, const char *event, const char *data),
                    void *ud, char *err, size_t err_len);

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
