/* Configuration (core/conf.c, core/conf_keys.c): loading, checking, getters. */
#ifndef PXEHUB_CONF_H
#define PXEHUB_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pxehub/plugin.h"

struct pxh_conf;

/* A section schema: the keys of [NAME] and of [NAME.SUB]. */
struct pxh_section_schema {
	const char *name;
	const pxh_conf_key *keys;
	const pxh_conf_key *sub_keys; /* NULL: [NAME.SUB] not allowed */
};

/* Core sections (core/conf_keys.c); each protocol module declares its own
 * table in its module header (dhcp_module.h, tftp_module.h, http_module.h). */
extern const pxh_conf_key pxh_server_keys[];
extern const pxh_conf_key pxh_boot_keys[];
extern const pxh_conf_key pxh_access_keys[];
extern const pxh_conf_key pxh_log_keys[];
extern const pxh_conf_key pxh_plugins_keys[];
extern const pxh_conf_key pxh_plugin_common_keys[]; /* enabled, priority */

/* Problems found while loading are collected, each "FILE:LINE: message". */
struct pxh_conf_errors {
	char **msg;
	size_t n;
};

/* Load the main file (or the embedded text when TEXT is non-NULL, named
 * NAME in messages) and every plugins.d/NAME.conf.  Plugin sections are
 * checked later against each plugin's table (pxh_conf_check_plugin).
 * Returns the config (even with errors, for -t) or NULL on ENOMEM. */
struct pxh_conf *pxh_conf_load(const char *path, const char *text,
                               struct pxh_conf_errors *errs);
void pxh_conf_free(struct pxh_conf *c);
void pxh_conf_errors_add(struct pxh_conf_errors *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pxh_conf_errors_free(struct pxh_conf_errors *e);

/* Check [NAME] and [NAME.SUB] of a plugin against its key tables. */
int pxh_conf_check_plugin(struct pxh_conf *c, const char *name,
                          const pxh_conf_key *keys, const pxh_conf_key *sub_keys,
                          struct pxh_conf_errors *errs);

/* Getters.  SUB NULL for [SECTION].  Undeclared keys return NULL / 0. */
const char *pxh_cfg_str(const struct pxh_conf *c, const char *section,
                        const char *sub, const char *key);
long long pxh_cfg_int(const struct pxh_conf *c, const char *section,
                      const char *sub, const char *key); /* DURATION: ms */
bool pxh_cfg_bool(const struct pxh_conf *c, const char *section,
                  const char *sub, const char *key);
size_t pxh_cfg_list_len(const struct pxh_conf *c, const char *section,
                        const char *sub, const char *key);
const char *pxh_cfg_list_item(const struct pxh_conf *c, const char *section,
                              const char *sub, const char *key, size_t i);
const char *pxh_cfg_where(const struct pxh_conf *c, const char *section,
                          const char *sub, const char *key);
/* FILE:LINE of the [section] or [section.sub] header, for a problem with a
 * key that is not written there (unset, or left at its default). */
const char *pxh_cfg_section_where(const struct pxh_conf *c,
                                  const char *section, const char *sub);
size_t pxh_cfg_sub_count(const struct pxh_conf *c, const char *section);
const char *pxh_cfg_sub_name(const struct pxh_conf *c, const char *section,
                             size_t i);
/* Plugins named in conf_dir with enabled = yes, sorted by priority then
 * name. */
size_t pxh_cfg_enabled_plugins(const struct pxh_conf *c, const char ***names);
const char *pxh_cfg_main_path(const struct pxh_conf *c);
/* Every core section and key with type, default and help, as commented
 * INI (pxehubd --dump-config; the source of etc/pxehub.conf and the man
 * page). */
void pxh_conf_dump(FILE *f);
void pxh_conf_dump_keys(FILE *f, const char *section, const pxh_conf_key *keys);
/* Parse helpers, shared with plugin code. */
int pxh_parse_bool(const char *s, bool *out);
int pxh_parse_duration_ms(const char *s, long long *out);

#endif /* PXEHUB_CONF_H */
