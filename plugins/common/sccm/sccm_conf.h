/* The [NAME] settings shared by the SCCM plugins (the front's and the
 * content cache's keys), bound by SCCM_FRONT_KEYS and SCCM_CONTENT_KEYS. */
#ifndef SCCM_CONF_H
#define SCCM_CONF_H

#include <stdbool.h>

#include <pxehub/plugin.h>

/* A plugin using the shared keys makes this the FIRST member of its
 * bound struct (offset 0): the key macros bind to struct sccm_conf's
 * members, and the shared code finds it with sccm_conf(h). */
struct sccm_conf {
	/* SCCM_FRONT_KEYS */
	double deadline_s;
	const char *fail_policy;
	const char *no_deployment;
	double cache_ttl_s, negative_ttl_s;
	unsigned menu_timeout_ms, prompt_timeout_ms;
	double reimage_guard_s;
	const char *wimboot;
	pxh_conf_list inject;
	const char *media_bootstrap_ini, *media_variables, *media_helper_dir;
	/* SCCM_CONTENT_KEYS */
	const char *dp_url, *content_dir, *content_user, *content_password;
	const char *content_auth, *content_ca_file;
	bool content_verify_tls;
	long long content_timeout_ms;
	unsigned long long cache_size_mb;
	const char *boot_sdi_path, *bcd_path_x64, *bcd_path_x86;
};

#define SCCM_BIND(m) PXH_CONF_BIND(struct sccm_conf, m)

static inline const struct sccm_conf *sccm_conf(pxh_host *h)
{
	return pxh_conf_struct(h, NULL);
}

#endif
