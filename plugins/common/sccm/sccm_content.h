/* Configuration Manager plugins: boot image content cache (DP over HTTP(S)
 * or a local copy), served below /files/sccm/ through the file resolver. */
#ifndef PXH_SCCM_CONTENT_H
#define PXH_SCCM_CONTENT_H

#include "sccm.h"
#include "sccm_conf.h"

struct sccm_content_conf {
	const char *dir;       /* cache directory, created */
	unsigned long long max_bytes;
	const char *dp_url;    /* base URL of the DP's package share, or "" */
	const char *local_dir; /* a local synced copy instead, or "" */
	const char *user;      /* network access account ("DOMAIN\\user") */
	const char *password;
	const char *auth;      /* "ntlm", "negotiate", "basic", "any" */
	const char *ca_file;   /* "" = system store */
	int verify_tls;
	int timeout_s;         /* whole transfer */
	double retry_s;        /* a failed file is not fetched again before */
};

struct sccm_content;

struct sccm_content *sccm_content_new(const struct sccm_content_conf *conf, pxh_host *h,
                                  char *why, size_t why_len);
void sccm_content_free(struct sccm_content *ct);

/* Loop thread.  NAME is the served name below /files/sccm/ ("PS100004/
 * boot.wim"), SRC its DP-relative path, HASH its SHA-256 hex or "".
 * Returns 1 when cached, 0 when a fetch runs (started now or before),
 * -errno when it failed lately (retried after retry_s). */
int sccm_content_want(struct sccm_content *ct, const char *name, const char *src,
                    const char *hash);
/* Loop thread: serve NAME from the cache (mmap), -ENOENT when not cached. */
int sccm_content_open(struct sccm_content *ct, const char *name, pxh_file *out);

void sccm_content_stats(struct sccm_content *ct, unsigned long long *bytes,
                      unsigned *files, unsigned long long *fetched,
                      unsigned long long *failed, unsigned long long *hits);

/* The plugin's [NAME] keys for the content (dp_url, content_*, cache_size_mb,
 * boot_sdi_path, bcd_path_*): put SCCM_CONTENT_KEYS in the key table, then
 * sccm_content_from_conf() builds the cache in <state_dir>/content. */
#define SCCM_CONTENT_KEYS                                                        \
	{.name = "dp_url", .type = PXH_CONF_STRING, .def = "",                     \
	 .help = "DP package share over HTTP(S), e.g. http://dp01/SMS_DP_SMSPKG$", SCCM_BIND(dp_url)},  \
	{.name = "content_dir", .type = PXH_CONF_STRING, .def = "",                \
	 .help = "a local synced copy of the DP content instead of dp_url", SCCM_BIND(content_dir)},        \
	{.name = "content_user", .type = PXH_CONF_STRING, .def = "",               \
	 .help = "network access account (DOMAIN\\user) for dp_url", SCCM_BIND(content_user)},              \
	{.name = "content_password", .type = PXH_CONF_STRING, .def = "",           \
	 .help = "its password", SCCM_BIND(content_password)},                                                  \
	{.name = "content_auth", .type = PXH_CONF_ENUM, .def = "ntlm",             \
	 .choices = "ntlm|negotiate|basic|any", .help = "HTTP authentication for dp_url", SCCM_BIND(content_auth)}, \
	{.name = "content_ca_file", .type = PXH_CONF_STRING, .def = "",            \
	 .help = "CA bundle for an HTTPS dp_url; empty = system store", SCCM_BIND(content_ca_file)},           \
	{.name = "content_verify_tls", .type = PXH_CONF_BOOL, .def = "yes",        \
	 .help = "verify the DP's certificate", SCCM_BIND(content_verify_tls)},                                   \
	{.name = "content_timeout", .type = PXH_CONF_DURATION, .def = "10m", .min = 1000, \
	 .max = 3600000, .help = "one file's whole transfer", SCCM_BIND(content_timeout_ms)},                     \
	{.name = "cache_size_mb", .type = PXH_CONF_INT, .def = "4096", .min = 1,   \
	 .max = 1048576, .help = "bound of the boot image cache (least recently used go)", SCCM_BIND(cache_size_mb)}, \
	{.name = "boot_sdi_path", .type = PXH_CONF_STRING, .def = "SMSBoot/boot.sdi", \
	 .help = "boot.sdi below dp_url / content_dir", SCCM_BIND(boot_sdi_path)},                           \
	{.name = "bcd_path_x64", .type = PXH_CONF_STRING, .def = "SMSBoot/x64/BCD", \
	 .help = "x64 BCD below dp_url / content_dir", SCCM_BIND(bcd_path_x64)},                            \
	{.name = "bcd_path_x86", .type = PXH_CONF_STRING, .def = "SMSBoot/x86/BCD", \
	 .help = "x86 BCD below dp_url / content_dir", SCCM_BIND(bcd_path_x86)}

struct sccm_content *sccm_content_from_conf(pxh_host *h, char *why, size_t why_len);

#endif
