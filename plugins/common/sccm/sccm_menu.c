/* Configuration Manager plugins: the iPXE script for a machine's
 * deployments (a menu whose entries boot the boot image with wimboot) and
 * the content those entries need. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sccm_front.h"

static const char *bcd_arch(const struct sccm_deploy *d, uint16_t arch)
{
	if (d->arch[0])
		return d->arch;
	return arch == PXH_ARCH_EFI_IA32 || arch == PXH_ARCH_EFI_IA32_HTTP ? "x86" : "x64";
}

/* bcd_path_x64 or bcd_path_x86 for BA "x64" / "x86"; "" (no BCD) for an
 * architecture with no such key */
static const char *bcd_path(const struct sccm_conf *cf, const char *ba)
{
	if (!strcmp(ba, "x64"))
		return cf->bcd_path_x64;
	return !strcmp(ba, "x86") ? cf->bcd_path_x86 : "";
}

int sccm_want_content(pxh_host *h, struct sccm_content *ct,
                      const struct sccm_deploy *d, uint16_t arch)
{
	const struct sccm_conf *cf = sccm_conf(h);
	char name[128], bcd[32];
	const char *ba = bcd_arch(d, arch);
	const char *bcd_src = bcd_path(cf, ba);
	int r1, r2, r3;

	snprintf(name, sizeof(name), "%s/boot.wim", d->boot_image);
	r1 = sccm_content_want(ct, name, d->image_path, d->hash);
	/* an empty boot_sdi_path / bcd_path_*: not fetched, not given to wimboot */
	r2 = *cf->boot_sdi_path ? sccm_content_want(ct, "boot.sdi", cf->boot_sdi_path, "") : 1;
	snprintf(bcd, sizeof(bcd), "%s/BCD", ba);
	r3 = *bcd_src ? sccm_content_want(ct, bcd, bcd_src, "") : 1;
	if (r1 == -ENOENT && (r2 == -ENOENT || r2 == 1) && (r3 == -ENOENT || r3 == 1))
		return -ENOENT;
	if (r1 < 0 && r1 != -EAGAIN)
		return r1;
	if (r2 < 0 && r2 != -EAGAIN)
		return r2;
	if (r3 < 0 && r3 != -EAGAIN)
		return r3;
	return r1 == 1 && r2 == 1 && r3 == 1;
}

static void label(char *out, size_t len, const struct sccm_deploy *d)
{
	/* the boot action reply carries IDs only; names when the query adds them */
	const char *pkg = d->pkg_name[0] ? d->pkg_name : d->pkg_id;
	snprintf(out, len, "%s%s%s%s", d->offer_name[0] ? d->offer_name : d->offer_id,
	         pkg[0] ? " - " : "", pkg, d->mandatory ? " (required)" : "");
}

static int boot_section(pxh_host *h, struct sccm_content *ct, const struct sccm_media *media,
                        pxh_answer *a, size_t i, const struct sccm_deploy *d, uint16_t arch)
{
	const struct sccm_conf *cf = sccm_conf(h);
	char wim[160], bcd[64], extra[8][300];
	int rc = sccm_want_content(h, ct, d, arch);
	pxh_wimboot w;
	size_t ninj;

	pxh_answer_append_script(a, ":sccm_boot_%zu\n", i);
	if (rc == 0)
		return pxh_answer_append_script(
			a, "echo Boot image %s is being copied from the distribution point,"
			   " trying again in 5 s\nsleep 5\nchain /boot.ipxe?mac=${net0/mac:hexhyp}"
			   "&uuid=${uuid}&arch=${buildarch:uristring}"
			   "&platform=${platform:uristring} || exit 1\n",
			d->boot_image);
	if (rc < 0 && rc != -ENOENT)
		return pxh_answer_append_script(
			a, "echo Boot image %s is not available (%s): see the pxehub log\n"
			   "sleep 10\nexit 1\n", d->boot_image, strerror(-rc));
	memset(&w, 0, sizeof(w));
	w.struct_size = sizeof(w);
	w.wimboot = cf->wimboot;
	snprintf(wim, sizeof(wim), "/files/sccm/%s/boot.wim", d->boot_image);
	snprintf(bcd, sizeof(bcd), "/files/sccm/%s/BCD", bcd_arch(d, arch));
	w.boot_wim = wim;
	w.bcd = *bcd_path(cf, bcd_arch(d, arch)) ? bcd : NULL;
	w.boot_sdi = *cf->boot_sdi_path ? "/files/sccm/boot.sdi" : NULL;
	ninj = cf->inject.n;
	if (ninj > 8 - media->n)
		ninj = 8 - media->n; /* wimboot's eight extra files: the media's first */
	for (size_t k = 0; k < ninj; k++) {
		snprintf(extra[k], sizeof(extra[k]), "%s", cf->inject.v[k]);
		w.extra[k] = extra[k];
	}
	/* the boot media hand-over: each file under its own name, which wimboot
	 * puts in X:\Windows\System32 */
	for (size_t k = 0; k < media->n; k++) {
		snprintf(extra[ninj + k], sizeof(extra[0]), "/files/sccm/media/%s %s",
		         media->f[k].name, media->f[k].name);
		w.extra[ninj + k] = extra[ninj + k];
	}
	return pxh_script_wimboot(a, &w);
}

int sccm_menu_script(pxh_host *h, struct sccm_content *ct, const struct sccm_media *media,
                     pxh_answer *a,
                     const pxh_client *c, const struct sccm_result *r,
                     unsigned menu_timeout_ms, unsigned prompt_timeout_ms)
{
	int required = r->dep[0].mandatory;
	char title[160], lab[256], body[48];

	pxh_answer_set_script(a, "#!ipxe\n");
	if (!required && prompt_timeout_ms)
		pxh_answer_append_script(a, "prompt --timeout %u Press any key for a network boot"
		                            " (ConfigMgr) || exit\n", prompt_timeout_ms);
	snprintf(title, sizeof(title), "Configuration Manager: %s",
	         r->dev.unknown ? "unknown computer" : r->dev.name[0] ? r->dev.name : "this machine");
	pxh_script_menu_begin(a, title, required ? menu_timeout_ms : 0,
	                      required ? "d0" : NULL);
	for (size_t i = 0; i < r->n; i++) {
		char id[24];
		snprintf(id, sizeof(id), "d%zu", i);
		label(lab, sizeof(lab), &r->dep[i]);
		snprintf(body, sizeof(body), "goto sccm_boot_%zu\n", i);
		pxh_script_menu_item(a, id, lab, body);
	}
	pxh_script_menu_item(a, "local", "Boot from the local disk", "exit\n");
	pxh_script_menu_end(a);
	for (size_t i = 0; i < r->n; i++)
		if (boot_section(h, ct, media, a, i, &r->dep[i], c->arch))
			return -ENOSPC;
	return 0;
}
