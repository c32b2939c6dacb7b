/* Configuration (core/conf.c, core/conf_keys.c): loading, checking, getters. */
#ifndef PXEHUB_CONF_H
#define PXEHUB_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pxehub/plugin.h"

struct pxh_conf;

/* A section schema: the keys of [NAME] and of [NAME.SUB], and the sizes
 * of the structs their PXH_CONF_BIND entries fill (0 = none). */
struct pxh_section_schema {
	const char *name;
	const pxh_conf_key *keys;
	const pxh_conf_key *sub_keys; /* NULL: [NAME.SUB] not allowed */
	size_t size;                  /* struct of [NAME] */
	size_t sub_size;              /* struct of each [NAME.SUB] */
};

/* The core's sections, in the order pxehubd --dump-config shows them. */
enum pxh_core_section {
	PXH_SEC_SERVER,
	PXH_SEC_DHCP,
	PXH_SEC_TFTP,
	PXH_SEC_HTTP,
	PXH_SEC_BOOT,
	PXH_SEC_ACCESS,
	PXH_SEC_LOG,
	PXH_SEC_PLUGINS,
	PXH_SEC_POOL,
	PXH_SEC_DHCP6,
	PXH_SEC__MAX
};
/* Each module defines its section (key tables and bound struct sizes):
 * conf_keys.c the core's own, dhcp_keys.c, dhcp_pool.c, tftp_config.c,
 * http_keys.c theirs. */
extern const struct pxh_section_schema pxh_server_section, pxh_dhcp_section,
	pxh_tftp_section, pxh_http_section, pxh_boot_section, pxh_access_section,
	pxh_log_section, pxh_plugins_section, pxh_pool_section,
	pxh_dhcp6_section;

/* Core sections (core/conf_keys.c); each protocol module declares its own
 * table in its module header (dhcp_module.h, tftp_module.h, http_module.h). */
extern const pxh_conf_key pxh_server_keys[];
extern const pxh_conf_key pxh_boot_keys[];
extern const pxh_conf_key pxh_access_keys[];
extern const pxh_conf_key pxh_log_keys[];
extern const pxh_conf_key pxh_plugins_keys[];
extern const pxh_conf_key pxh_plugin_common_keys[]; /* enabled, priority */

/* The core's own sections as bound structs (core/conf_keys.c fills the
 * tables; pxh_conf_load the structs).  Read them per request from the
 * current config, e.g. pxh_boot_conf(s->conf)->decision_timeout_ms. */
struct pxh_server_conf {
	pxh_conf_list listen;
	const char *server_ip, *fqdn, *user, *state_dir;
	unsigned workers; /* HTTP loops; 0 = one per CPU */
};
struct pxh_boot_conf {
	const char *loader_bios, *loader_efi_x64, *loader_efi_ia32, *loader_efi_arm64;
	const char *default_action; /* menu, local or ignore */
	long long decision_timeout_ms;
	const char *unknown_arch;
	const char *local_action;
	const char *menu_title;
	long long menu_timeout_ms;
	const char *menu_dir;
	pxh_conf_list grub_prefixes;
};
struct pxh_access_conf {
	pxh_conf_list allow, deny;
	const char *tftp, *files; /* "rules" or "any" */
};
struct pxh_log_conf {
	const char *level, *target;
	unsigned event_queue, recent_clients, series_interval;
};
struct pxh_plugins_conf {
	const char *dir, *conf_dir;
	unsigned workers;
};

/* Problems found while loading are collected, each "FILE:LINE: message". */
struct pxh_conf_errors {
	char **msg;
	size_t n;
};

/* Every core section (by enum pxh_core_section), and the checks across
 * keys of the protocol modules that load runs after validation:
 * core/conf_sections.c, the one place that names each module's section. */
extern const struct pxh_section_schema *const pxh_conf_sections[PXH_SEC__MAX];
void pxh_conf_check_sections(const struct pxh_conf *c,
                             struct pxh_conf_errors *errs);

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

/* The bound struct of core section S, filled once when the config is
 * loaded (after validation; a reload loads a new pxh_conf, so a module
 * sees its settings change only when s->conf is swapped on the loop).
 * Never NULL for a section with a struct (all defaults when absent).
 * Module headers wrap it with their own type. */
const void *pxh_conf_core(const struct pxh_conf *c, enum pxh_core_section s);
/* The struct of the Ith [SECTION.SUB] (file order, as pxh_cfg_sub_name),
 * or NULL. */
const void *pxh_conf_core_sub(const struct pxh_conf *c, enum pxh_core_section s,
                              size_t i);

/* Check KEYS' PXH_CONF_BIND entries against a struct of SIZE bytes (type
 * fits the key, inside the struct, bounds fit the member).  OWNER names the
 * plugin or section in the messages.  0 or -EINVAL. */
int pxh_conf_keys_check(const char *owner, const pxh_conf_key *keys, size_t size,
                        struct pxh_conf_errors *errs);
/* Fill OUT (SIZE bytes, zeroed first) from the checked values and defaults
 * of [SECTION] or [SECTION.SUB] for every bound key of KEYS.  Strings and
 * lists point into C (valid while C lives).  0 or -ERANGE (a value that does
 * not fit its member; FILE:LINE in ERRS). */
int pxh_conf_fill(const struct pxh_conf *c, const char *section, const char *sub,
                  const pxh_conf_key *keys, void *out, size_t size,
                  struct pxh_conf_errors *errs);

/* A plugin's bound structs: [NAME] and each [NAME.SUB] (file order). */
struct pxh_conf_bound {
	void *main;
	void **subs;
	size_t nsubs;
};
/* Check a plugin's tables against its struct sizes and fill its structs
 * (pxh_conf_struct).  0 or -EINVAL / -ERANGE / -ENOMEM with ERRS. */
int pxh_conf_bind_plugin(const struct pxh_conf *c, const char *name,
                         const pxh_conf_key *keys, const pxh_conf_key *sub_keys,
                         size_t size, size_t sub_size, struct pxh_conf_bound *out,
                         struct pxh_conf_errors *errs);
void pxh_conf_bound_free(struct pxh_conf_bound *b);
/* The struct of [NAME] (SUB NULL) or [NAME.SUB] in B, or NULL. */
const void *pxh_conf_bound_get(const struct pxh_conf *c, const char *name,
                               const struct pxh_conf_bound *b, const char *sub);
/* Set by the test kit: a lookup of an undeclared key aborts (fails the
 * test) instead of only logging. */
extern bool pxh_conf_strict;

/* Check [NAME] and [NAME.SUB] of a plugin against its key tables. */
int pxh_conf_check_plugin(struct pxh_conf *c, const char *name,
                          const pxh_conf_key *keys, const pxh_conf_key *sub_keys,
                          struct pxh_conf_errors *errs);

/* Getters.  SUB NULL for [SECTION].  A key of a known section that its
 * table does not declare logs an error once (aborts with pxh_conf_strict)
 * and returns "" / 0; a declared key unset without default NULL / 0. */
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

/* Typed views of the core sections' structs (see pxh_conf_core). */
static inline const struct pxh_server_conf *pxh_server_conf(const struct pxh_conf *c)
{
	return pxh_conf_core(c, PXH_SEC_SERVER);
}
static inline const struct pxh_boot_conf *pxh_boot_conf(const struct pxh_conf *c)
{
	return pxh_conf_core(c, PXH_SEC_BOOT);
}
static inline const struct pxh_access_conf *pxh_access_conf(const struct pxh_conf *c)
{
	return pxh_conf_core(c, PXH_SEC_ACCESS);
}
static inline const struct pxh_log_conf *pxh_log_conf(const struct pxh_conf *c)
{
	return pxh_conf_core(c, PXH_SEC_LOG);
}
static inline const struct pxh_plugins_conf *pxh_plugins_conf(const struct pxh_conf *c)
{
	return pxh_conf_core(c, PXH_SEC_PLUGINS);
}

#endif /* PXEHUB_CONF_H */
