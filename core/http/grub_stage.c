/* GRUB's first stage: the generated grub.cfg that brings a machine's facts
 * back to /boot.grub, served over TFTP and HTTP at [boot] grub_prefixes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "conf.h"
#include "files.h"
#include "grub_stage.h"
#include "log.h"
#include "server.h"

/* NORM ("debian-installer/amd64/grub/grub.cfg", no leading '/') is
 * PREFIX/grub.cfg for one of [boot] grub_prefixes. */
bool pxh_grub_cfg_path(const struct pxh_conf *conf, const char *norm)
{
	size_t n = conf ? pxh_boot_conf(conf)->grub_prefixes.n : 0;

	while (*norm == '/')
		norm++;
	for (size_t i = 0; i < n; i++) {
		const char *p = pxh_boot_conf(conf)->grub_prefixes.v[i];
		size_t l;

		while (p && *p == '/')
			p++;
		if (!p)
			continue;
		l = strlen(p);
		while (l && p[l - 1] == '/')
			l--;
		if ((l == 0 || (strncmp(norm, p, l) == 0 && norm[l] == '/')) &&
		    strcmp(norm + (l ? l + 1 : 0), "grub.cfg") == 0)
			return true;
	}
	return false;
}

/* -t: each prefix an absolute path of safe characters. */
int pxh_grub_conf_check(const struct pxh_conf *conf, struct pxh_conf_errors *errs)
{
	size_t n = pxh_boot_conf(conf)->grub_prefixes.n;
	int bad = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p = pxh_boot_conf(conf)->grub_prefixes.v[i];
		bool ok = p && p[0] == '/' && !strstr(p, "..") && strlen(p) < 200;

		for (const char *q = p; ok && *q; q++)
			ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
			     (*q >= '0' && *q <= '9') || strchr("/._-", *q);
		if (!ok) {
			pxh_conf_errors_add(errs, "%s: [boot] grub_prefixes: '%s' is not an "
			                    "absolute path of letters, digits and /._- "
			                    "(GRUB's prefix, e.g. /grub)",
			                    pxh_cfg_where(conf, "boot", NULL, "grub_prefixes") ?: "?",
			                    p ? p : "");
			bad = -EINVAL;
		}
	}
	return bad;
}

/* GRUB cannot URL-encode, so stage 1 does it with what the signed images
 * have (regexp, [): each character outside [-A-Za-z0-9._~:] becomes %XX
 * from a table of printable ASCII; a value with any other byte is dropped
 * (sent empty), so no client value can break the URL or the script. */
static const char enc_safe[] = "-A-Za-z0-9._~:";

static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if (*len + (size_t)n + 1 > *cap) {
		size_t nc = (*len + (size_t)n + 1) * 2;
		char *nb = realloc(*buf, nc);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = nc;
		va_start(ap, fmt);
		vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
	}
	*len += (size_t)n;
	return 0;
}

/* The SMBIOS facts: query key, smbios arguments. */
static const struct {
	const char *key, *args;
} smbios_facts[] = {
	{"uuid", "--type 1 --get-uuid 8"},
	{"manufacturer", "--type 1 --get-string 4"},
	{"product", "--type 1 --get-string 5"},
	{"serial", "--type 1 --get-string 7"},
	{"asset", "--type 3 --get-string 8"},
};

int pxh_grub_stage1(struct pxh_server *s, const pxh_client *c, bool tftp,
                    char **out, size_t *out_len)
{
	char base[160], q[8];
	char *b = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	rc = append(&b, &len, &cap,
	            "# pxehub: GRUB stage 1 (generated): bring this machine's facts\n"
	            "# back to pxehub, which answers with its own configuration.\n");
	if (rc)
		goto out;
	if (tftp) {
		/* fetched over TFTP: Debian's signed GRUB images have no HTTP
		 * (and load no modules under Secure Boot), so stage 2 comes
		 * over TFTP too and the answer is rendered for TFTP.  (GRUB's
		 * "if insmod http" is true even when the module is missing, so
		 * there is no asking it.) */
		const char *ip = c && c->server_ip[0] ? c->server_ip : NULL;

		if (!ip)
			ip = s ? pxh_server_conf(s->conf)->server_ip : NULL;
		if (!ip || !*ip || strchr(ip, ':') || strlen(ip) > 40) {
			rc = append(&b, &len, &cap, "echo 'pxehub: no server address "
			            "known'\nsleep 10\nexit\n");
			goto out;
		}
		snprintf(base, sizeof(base), "(tftp,%s)", ip);
	} else if (pxh_http_base_url(s, c, base, sizeof(base)) == 0 &&
	           strncmp(base, "http://", 7) == 0) {
		char host[160];

		snprintf(host, sizeof(host), "%s", base + 7);
		snprintf(base, sizeof(base), "(http,%.150s)", host);
	} else {
		rc = append(&b, &len, &cap,
		            "echo 'pxehub: GRUB needs plain HTTP ([http] port) for its "
		            "configuration'\nsleep 10\nexit\n");
		goto out;
	}
	rc = append(&b, &len, &cap,
	            "function pxh_enc {\n"
	            "  set pxh_out=\"\"\n  set pxh_bad=\"\"\n  set pxh_in=\"$1\"\n"
	            "  while regexp --set 1:pxh_pre --set 2:pxh_ch --set 3:pxh_in "
	            "'^([%s]*)([^%s])(.*)$' \"$pxh_in\"; do\n"
	            "    set pxh_h=\"\"\n",
	            enc_safe, enc_safe);
	/* one test per printable character outside the safe set */
	for (int ch = 0x20; !rc && ch < 0x7f; ch++) {
		char one[2] = {(char)ch, 0};

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~:", ch))
			continue;
		if (pxh_grub_quote(q, sizeof(q), one) < 0) {
			rc = -EINVAL;
			break;
		}
		rc = append(&b, &len, &cap,
		            "    %s [ \"$pxh_ch\" = %s ]; then set pxh_h=%02X\n",
		            ch == 0x20 ? "if" : "elif", q, ch);
	}
	if (!rc)
		rc = append(&b, &len, &cap,
		            "    else set pxh_bad=1; set pxh_in=\"\"; fi\n"
		            "    set pxh_out=\"${pxh_out}${pxh_pre}%%${pxh_h}\"\n"
		            "  done\n"
		            "  if [ -n \"$pxh_bad\" ]; then set pxh_out=\"\"; "
		            "else set pxh_out=\"${pxh_out}${pxh_in}\"; fi\n"
		            "}\n"
		            "pxh_enc \"$net_default_mac\"\nset pxh_q=\"mac=${pxh_out}\"\n"
		            "pxh_enc \"$grub_cpu\"\nset pxh_q=\"${pxh_q}&arch=${pxh_out}\"\n"
		            "pxh_enc \"$grub_platform\"\n"
		            "set pxh_q=\"${pxh_q}&platform=${pxh_out}\"\n");
	for (size_t i = 0; !rc && i < sizeof(smbios_facts) / sizeof(smbios_facts[0]); i++)
		rc = append(&b, &len, &cap,
		            "set pxh_v=\"\"\nsmbios %s --set pxh_v\npxh_enc \"$pxh_v\"\n"
		            "set pxh_q=\"${pxh_q}&%s=${pxh_out}\"\n",
		            smbios_facts[i].args, smbios_facts[i].key);
	if (!rc)
		rc = append(&b, &len, &cap,
		            "echo 'pxehub: asking for this machine'\"'\"'s configuration'\n"
		            "configfile \"%s/boot.grub?${pxh_q}\"\n"
		            "echo 'pxehub: no configuration came; back to the firmware in 10 s'\n"
		            "sleep 10\nexit\n",
		            base);
out:
	if (rc) {
		free(b);
		return rc;
	}
	*out = b;
	*out_len = len;
	return 0;
}

static void free_text(void *p)
{
	free(p);
}

int pxh_grub_stage1_file(struct pxh_server *s, const char *norm,
                         const pxh_client *c, struct pxh_open_file *out)
{
	char *text;
	size_t len;
	int rc;

	if (!s || !pxh_grub_cfg_path(s->conf, norm))
		return -ENOENT;
	rc = pxh_grub_stage1(s, c, !c || c->phase == PXH_PHASE_TFTP, &text, &len);
	if (rc)
		return rc;
	out->fd = -1;
	out->mem = (const uint8_t *)text;
	out->size = len;
	out->mtime = (time_t)pxh_server_now(s);
	out->content_type = "text/plain; charset=utf-8";
	out->vfile.struct_size = sizeof(out->vfile);
	out->vfile.data = text;
	out->vfile.len = len;
	out->vfile.free_fn = free_text;
	out->vfile.free_arg = text;
	pxh_logf(PXH_LOG_INFO, c, "grub: stage 1 for %s", norm);
	return 0;
}
