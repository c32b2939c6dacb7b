/* iPXE script helpers of the SDK (wimboot, kernel, chain, exit, menus);
 * for a GRUB client they hand over to grub_script.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pxehub/plugin.h"
#include "abi.h"
#include "answer.h"
#include "conf.h"
#include "ipxe_script.h"
#include "grub_script.h"
#include "server.h"

/* Every script starts with the iPXE signature line. */
static int ensure_header(pxh_answer *a)
{
	if (a->script_len >= 6 && strncmp(a->script, "#!ipxe", 6) == 0)
		return 0;
	if (a->script_len == 0)
		return pxh_answer_append_script(a, "#!ipxe\n");
	return 0;
}

/* Text that ends up on one iPXE command line.  iPXE splits a line into
 * words at white space, expands "${...}" first, and ends a command at a
 * word that is "||", "&&" or ";" or starts with "#" (a comment).  So: no
 * line breaks, "${" broken up, and in any word that iPXE would read as a
 * terminator or comment those characters become '_' (a value cannot end
 * the command and start another). */
static void one_line(char *out, size_t len, const char *in)
{
	size_t o = 0, w;

	for (; in && *in && o + 2 < len; in++) {
		char ch = *in;

		if ((unsigned char)ch < 0x20 || ch == 0x7f)
			ch = ' ';
		if (ch == '$' && in[1] == '{') {
			out[o++] = '$';
			out[o++] = ' ';
			continue;
		}
		out[o++] = ch;
	}
	out[o] = '\0';
	for (size_t i = 0; i < o; i = w) {
		size_t n;

		while (i < o && out[i] == ' ')
			i++;
		for (w = i; w < o && out[w] != ' '; w++)
			;
		n = w - i;
		if (n == 0)
			break;
		if (out[i] == '#' || (n == 1 && out[i] == ';') ||
		    (n == 2 && ((out[i] == '|' && out[i + 1] == '|') ||
		                (out[i] == '&' && out[i + 1] == '&'))))
			for (size_t k = i; k < w; k++)
				if (strchr("#;|&", out[k]))
					out[k] = '_';
	}
}

/* Labels and item ids: [A-Za-z0-9_-] only. */
static void label_id(char *out, size_t len, const char *in)
{
	size_t o = 0;

	for (; in && *in && o + 1 < len; in++) {
		char ch = *in;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')
			out[o++] = ch;
		else
			out[o++] = '_';
	}
	if (o == 0)
		out[o++] = '_';
	out[o] = '\0';
}

int pxh_http_base_url(struct pxh_server *s, const pxh_client *c, char *buf,
                      size_t len)
{
	const struct pxh_conf *conf = s ? s->conf : NULL;
	const char *ip = c && c->server_ip[0] ? c->server_ip : NULL;
	long long port = 80, sport = 8050;
	bool v6;

	if (!conf)
		return -ENOENT;
	if (!ip) {
		ip = pxh_server_conf(conf)->server_ip;
		if (!ip || !*ip)
			return -ENOENT;
	}
	/* [http] by name: this core-level file includes no protocol header */
	port = pxh_cfg_int(conf, "http", NULL, "port");
	sport = pxh_cfg_int(conf, "http", NULL, "https_port");
	v6 = strchr(ip, ':') != NULL;
	/* plain HTTP first: Debian's iPXE has no TLS */
	if (port > 0)
		snprintf(buf, len, port == 80 ? "http://%s%s%s" : "http://%s%s%s:%lld",
		         v6 ? "[" : "", ip, v6 ? "]" : "", port);
	else if (sport > 0)
		snprintf(buf, len, sport == 443 ? "https://%s%s%s" : "https://%s%s%s:%lld",
		         v6 ? "[" : "", ip, v6 ? "]" : "", sport);
	else
		return -ENOENT;
	return 0;
}

/* URL as it goes into the script: "/files/x" becomes absolute when the
 * server's address is known; otherwise iPXE resolves it against the
 * script's own URL, which is the same server. */
static void absolute(const pxh_answer *a, const char *url, char *out,
                     size_t len)
{
	char base[160], tmp[1024];

	one_line(tmp, sizeof(tmp), url);
	if (tmp[0] == '/' &&
	    pxh_http_base_url(a->srv, a->client, base, sizeof(base)) == 0)
		snprintf(out, len, "%.159s%.860s", base, tmp);
	else
		snprintf(out, len, "%s", tmp);
}

static const char *base_name(const char *url)
{
	const char *end = strpbrk(url, "?#");
	const char *slash;
	static __thread char name[128];
	size_t n = end ? (size_t)(end - url) : strlen(url);

	for (slash = url + n; slash > url && slash[-1] != '/'; slash--)
		;
	n = (size_t)(url + n - slash);
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, slash, n);
	name[n] = '\0';
	return name;
}

static int initrd_named(pxh_answer *a, const char *url, const char *name)
{
	char u[1024], nm[128];

	absolute(a, url, u, sizeof(u));
	label_id(nm, sizeof(nm), name);
	/* keep dots in file names (boot.sdi) */
	one_line(nm, sizeof(nm), name);
	for (char *p = nm; *p; p++)
		if (*p == ' ')
			*p = '_';
	/* -n names the image for wimboot; the trailing argument is the
	 * name again for wimboot builds that read the command line */
	return pxh_answer_append_script(a, "initrd -n %s %s %s || goto pxh_fail\n",
	                                 nm, u, nm);
}

static int fail_tail(pxh_answer *a)
{
	return pxh_answer_append_script(
		a, "goto pxh_end\n:pxh_fail\necho pxehub: boot failed, "
		   "back to the firmware in 10 s\nsleep 10\nexit 1\n:pxh_end\n");
}

int pxh_script_wimboot(pxh_answer *a, const pxh_wimboot *plugin_w)
{
	pxh_wimboot wb = {0};
	const pxh_wimboot *w = &wb;
	char u[1024];
	int rc;

	if (!a || !plugin_w)
		return -EINVAL;
	/* only as much as the plugin's SDK knew (ABI rules) */
	memcpy(&wb, plugin_w, pxh_abi_size(plugin_w->struct_size,
	                                   PXH_WIMBOOT_SIZE_1_0, sizeof(wb)));
	if (!w->boot_wim || !*w->boot_wim)
		return -EINVAL;
	if (pxh_answer_is_grub(a))
		return pxh_answer_unrenderable(
			a, "wimboot runs under iPXE only (and is not signed for "
			   "Secure Boot)");
	if ((rc = ensure_header(a)))
		return rc;
	absolute(a, w->wimboot && *w->wimboot ? w->wimboot : "/files/wimboot", u,
	         sizeof(u));
	rc = pxh_answer_append_script(a, "kernel %s%s%s%s", u,
	                              w->gui ? " gui" : "",
	                              w->pause ? " pause" : "",
	                              w->rawbcd ? " rawbcd" : "");
	if (!rc && w->index > 0)
		rc = pxh_answer_append_script(a, " index=%d", w->index);
	if (!rc)
		rc = pxh_answer_append_script(a, " || goto pxh_fail\n");
	if (!rc && w->bcd && *w->bcd)
		rc = initrd_named(a, w->bcd, "BCD");
	if (!rc && w->boot_sdi && *w->boot_sdi)
		rc = initrd_named(a, w->boot_sdi, "boot.sdi");
	for (size_t i = 0; !rc && i < 8 && w->extra[i]; i++) {
		char url[1024];
		const char *sp = strchr(w->extra[i], ' ');

		if (sp) {
			size_t n = (size_t)(sp - w->extra[i]);

			if (n >= sizeof(url))
				return -EINVAL;
			memcpy(url, w->extra[i], n);
			url[n] = '\0';
			while (*sp == ' ')
				sp++;
			rc = initrd_named(a, url, *sp ? sp : base_name(url));
		} else {
			rc = initrd_named(a, w->extra[i], base_name(w->extra[i]));
		}
	}
	if (!rc)
		rc = initrd_named(a, w->boot_wim, "boot.wim");
	if (!rc)
		rc = pxh_answer_append_script(a, "boot || goto pxh_fail\n");
	if (!rc)
		rc = fail_tail(a);
	return rc;
}

int pxh_script_kernel(pxh_answer *a, const char *kernel, const char *initrd,
                      const char *cmdline)
{
	char k[1024], i[1024], cl[2048];
	int rc;

	if (!a || !kernel || !*kernel)
		return -EINVAL;
	if (pxh_answer_is_grub(a))
		return pxh_grub_kernel(a, kernel, initrd, cmdline);
	if ((rc = ensure_header(a)))
		return rc;
	absolute(a, kernel, k, sizeof(k));
	one_line(cl, sizeof(cl), cmdline ? cmdline : "");
	if (initrd && *initrd) {
		const char *name = base_name(initrd);

		absolute(a, initrd, i, sizeof(i));
		/* EFI stub kernels find their initrd by this name */
		if (!strstr(cl, "initrd=")) {
			size_t n = strlen(cl);

			snprintf(cl + n, sizeof(cl) - n, "%sinitrd=%s",
			         n ? " " : "", name);
		}
		rc = pxh_answer_append_script(a, "kernel %s %s || goto pxh_fail\n"
		                                 "initrd -n %s %s || goto pxh_fail\n",
		                              k, cl, name, i);
	} else {
		rc = pxh_answer_append_script(a, "kernel %s%s%s || goto pxh_fail\n",
		                              k, cl[0] ? " " : "", cl);
	}
	if (!rc)
		rc = pxh_answer_append_script(a, "boot || goto pxh_fail\n");
	if (!rc)
		rc = fail_tail(a);
	return rc;
}

int pxh_script_chain(pxh_answer *a, const char *url)
{
	char u[1024];
	int rc;

	if (!a || !url || !*url)
		return -EINVAL;
	if (pxh_answer_is_grub(a))
		return pxh_grub_chain(a, url);
	if ((rc = ensure_header(a)))
		return rc;
	absolute(a, url, u, sizeof(u));
	return pxh_answer_append_script(a, "chain %s\n", u);
}

int pxh_script_exit(pxh_answer *a)
{
	int rc;

	if (!a)
		return -EINVAL;
	if (pxh_answer_is_grub(a))
		return pxh_grub_exit(a);
	if ((rc = ensure_header(a)))
		return rc;
	/* exit hands control back to the firmware, which tries the next
	 * boot device (the local disk); some BIOSes stop instead, so
	 * [boot] local_action = sanboot boots the first disk directly there.
	 * UEFI always gets exit: its boot manager owns the disks. */
	if (a->srv && a->client && strcmp(a->client->platform, "efi") != 0) {
		const char *la = pxh_boot_conf(a->srv->conf)->local_action;
		if (la && !strcmp(la, "sanboot"))
			return pxh_answer_append_script(
				a, "sanboot --no-describe --drive 0x80 || exit\n");
	}
	return pxh_answer_append_script(a, "exit\n");
}

/*
 * A menu comes out as
 *   :pxh_menu
 *   menu TITLE
 *   item ID LABEL
 *   goto pxh_skip_ID
 *   :pxh_item_ID
 *   SCRIPT
 *   goto pxh_menu          (the item's script returned: show the menu again)
 *   :pxh_skip_ID
 *   ...
 *   choose [--timeout MS] [--default ID] pxh_sel || goto pxh_cancel
 *     (MS and ID are kept in the settings pxh_timeout and pxh_defopt)
 *   goto pxh_item_${pxh_sel}
 *   :pxh_cancel
 *   exit
 * so items can be appended one by one; choose destroys the menu, so going
 * back to :pxh_menu builds it anew.
 */
int pxh_script_menu_begin(pxh_answer *a, const char *title,
                          unsigned timeout_ms, const char *default_id)
{
	char t[256], d[64] = "";
	int rc;

	if (!a || a->menu_open)
		return -EINVAL;
	if (pxh_answer_is_grub(a))
		return pxh_grub_menu_begin(a, title, timeout_ms, default_id);
	if ((rc = ensure_header(a)))
		return rc;
	one_line(t, sizeof(t), title && *title ? title : "Boot menu");
	if (default_id && *default_id)
		label_id(d, sizeof(d), default_id);
	rc = pxh_answer_append_script(a, ":pxh_menu\nmenu %s\n", t);
	if (rc)
		return rc;
	/* remembered for menu_end in script variables: no room in the
	 * answer, and iPXE keeps settings across the goto anyway */
	if (d[0])
		rc = pxh_answer_append_script(
			a, "set pxh_timeout %u\nset pxh_defopt %s\n",
			timeout_ms, d);
	else
		rc = pxh_answer_append_script(
			a, "set pxh_timeout %u\nclear pxh_defopt\n", timeout_ms);
	if (!rc)
		a->menu_open = true;
	return rc;
}

int pxh_script_menu_item(pxh_answer *a, const char *id, const char *label,
                         const char *script)
{
	char i[64], l[256];
	const char *body = script ? script : "";
	int rc;

	if (!a || !a->menu_open || !id || !*id)
		return -EINVAL;
	if (pxh_answer_is_grub(a))
		return pxh_grub_menu_item(a, id, label, script);
	label_id(i, sizeof(i), id);
	one_line(l, sizeof(l), label && *label ? label : id);
	/* an item's own script may carry a signature line: drop it */
	if (strncmp(body, "#!ipxe", 6) == 0) {
		body = strchr(body, '\n');
		body = body ? body + 1 : "";
	}
	rc = pxh_answer_append_script(a, "item %s %s\ngoto pxh_skip_%s\n"
	                                 ":pxh_item_%s\n%s%s"
	                                 "goto pxh_menu\n:pxh_skip_%s\n",
	                              i, l, i, i, body,
	                              (*body && body[strlen(body) - 1] != '\n')
	                                      ? "\n" : "",
	                              i);
	return rc;
}

int pxh_script_menu_end(pxh_answer *a)
{
	int rc;

	if (!a || !a->menu_open)
		return -EINVAL;
	if (pxh_answer_is_grub(a))
		return pxh_grub_menu_end(a);
	/* --timeout 0 would return at once, so it is only given when set.
	 * iPXE passes a variable's value as one word, so "--default ID"
	 * cannot live in one variable: the default is the item id alone,
	 * and a menu without one takes its own branch. */
	rc = pxh_answer_append_script(
		a,
		"isset ${pxh_defopt} || goto pxh_choose_nodef\n"
		"iseq ${pxh_timeout} 0 && goto pxh_choose_wait ||\n"
		"choose --timeout ${pxh_timeout} --default ${pxh_defopt} pxh_sel || goto pxh_cancel\n"
		"goto pxh_item_${pxh_sel}\n"
		":pxh_choose_wait\n"
		"choose --default ${pxh_defopt} pxh_sel || goto pxh_cancel\n"
		"goto pxh_item_${pxh_sel}\n"
		":pxh_choose_nodef\n"
		"iseq ${pxh_timeout} 0 && goto pxh_choose_nodef_wait ||\n"
		"choose --timeout ${pxh_timeout} pxh_sel || goto pxh_cancel\n"
		"goto pxh_item_${pxh_sel}\n"
		":pxh_choose_nodef_wait\n"
		"choose pxh_sel || goto pxh_cancel\n"
		"goto pxh_item_${pxh_sel}\n"
		":pxh_cancel\n"
		"exit\n");
	if (!rc)
		a->menu_open = false;
	return rc;
}
