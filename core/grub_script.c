/* GRUB script rendering of pxehub's answers (kernel, chain, exit, menus). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include "pxehub/plugin.h"
#include "answer.h"
#include "conf.h"
#include "ipxe_script.h"
#include "grub_script.h"
#include "server.h"

/*
 * The security boundary: every text that comes from an answer or a client
 * goes into the script as ONE single-quoted GRUB word.  GRUB's lexer
 * treats nothing inside '...' as special ($, ;, {, }, \, #, newlines
 * included) and a quoted word cannot hold a ', so a ' is written as '\''
 * (close, an escaped quote, open again).  Control characters become
 * blanks: they have no business in a URL, label or command line, and a
 * newline inside quotes, legal as it is, makes the script hard to read.
 * Returns the length written (without the NUL) or -E2BIG when OUT is too
 * small; OUT is then "" (never a half-quoted word).
 */
int pxh_grub_quote(char *out, size_t len, const char *in)
{
	size_t o = 0;

	if (!out || len < 3)
		return -E2BIG;
	out[o++] = '\'';
	for (; in && *in; in++) {
		unsigned char ch = (unsigned char)*in;

		if (ch == '\'') {
			if (o + 4 >= len)
				goto full;
			memcpy(out + o, "'\\''", 4);
			o += 4;
			continue;
		}
		if (o + 1 >= len)
			goto full;
		out[o++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	if (o + 2 > len)
		goto full;
	out[o++] = '\'';
	out[o] = '\0';
	return (int)o;
full:
	out[0] = '\0';
	return -E2BIG;
}

bool pxh_answer_is_grub(const struct pxh_answer *a)
{
	return a && a->client &&
	       pxh_client_boot_program(a->client) == PXH_BOOT_PROGRAM_GRUB;
}

int pxh_answer_unrenderable(struct pxh_answer *a, const char *why)
{
	if (a->unrendered)
		return 0; /* the first reason is the one that matters */
	a->unrendered = strdup(why);
	return a->unrendered ? 0 : -ENOMEM;
}

/* Appends IN quoted, right after what is there ("set default='x'"). */
static int glued(struct pxh_answer *a, const char *in)
{
	size_t n = (in ? strlen(in) : 0) * 4 + 3;
	char stack[512], *q = n <= sizeof(stack) ? stack : malloc(n);
	int rc;

	if (!q)
		return -ENOMEM;
	rc = pxh_grub_quote(q, n, in);
	if (rc >= 0)
		rc = pxh_answer_append_script(a, "%s", q);
	if (q != stack)
		free(q);
	return rc;
}

/* Appends ' QUOTED' (a blank, then IN as one word). */
static int word(struct pxh_answer *a, const char *in)
{
	int rc = pxh_answer_append_script(a, " ");

	return rc ? rc : glued(a, in);
}

static int header(struct pxh_answer *a)
{
	if (a->script_len == 0)
		return pxh_answer_append_script(a, "#!grub\n");
	return 0;
}

/* Our address for client C: the one it reached us at, else [server]
 * server_ip. */
static const char *own_ip(const struct pxh_answer *a)
{
	const char *ip = a->client && a->client->server_ip[0] ? a->client->server_ip
	                                                       : NULL;

	if (!ip && a->srv)
		ip = pxh_server_conf(a->srv->conf)->server_ip;
	return ip && *ip ? ip : NULL;
}

/*
 * URL -> GRUB file name.  GRUB fetches over HTTP only when it has HTTP
 * (the client's is_http_boot: stage 2 came over HTTP, or stage 1 could
 * load the module); Debian's signed images have TFTP only.
 *   "/tftp/x"          -> "(http,SERVER[:PORT])/tftp/x", or "(tftp,SERVER)/x"
 *   "/files/x", "/x"   -> "(http,SERVER[:PORT])/files/x" (HTTP only)
 *   "http://h[:p]/x"   -> "(http,h[:p])/x" (HTTP only)
 *   "tftp://h/x"       -> "(tftp,h)/x"
 * a relative "x" as "/x".  (http,host:port) needs GRUB 2.12; 2.06 talks to
 * port 80.  Returns -ENOTSUP (https, other schemes, HTTP without it) or
 * -ENOENT (no server address) with WHY set.
 */
static int grub_path(const struct pxh_answer *a, const char *url, char *out,
                     size_t len, const char **why)
{
	bool http = a->client && a->client->is_http_boot;
	char base[160];
	const char *ip = own_ip(a);

	if (!url || !*url)
		return -EINVAL;
	if (!strncasecmp(url, "http://", 7) || !strncasecmp(url, "tftp://", 7)) {
		const char *host = url + 7, *slash = strchr(host, '/');
		size_t hl = slash ? (size_t)(slash - host) : strlen(host);
		bool h = tolower((unsigned char)url[0]) == 'h';

		if (hl == 0 || hl > 150)
			return -EINVAL;
		if (h && !http) {
			*why = "this GRUB has no HTTP (Debian's signed GRUB): "
			       "use /tftp/PATH or tftp://";
			return -ENOTSUP;
		}
		snprintf(out, len, "(%s,%.*s)%s", h ? "http" : "tftp", (int)hl, host,
		         slash ? slash : "/");
		return 0;
	}
	if (strstr(url, "://")) {
		*why = "GRUB has HTTP and TFTP only";
		return -ENOTSUP;
	}
	if (!ip) {
		*why = "no server address known";
		return -ENOENT;
	}
	if (!strncmp(url, "/tftp/", 6) && !http) {
		if (strchr(ip, ':'))
			return -ENOTSUP;
		snprintf(out, len, "(tftp,%s)%s", ip, url + 5);
		return 0;
	}
	if (!http) {
		*why = "this GRUB has no HTTP (Debian's signed GRUB): put the file "
		       "in the TFTP root and name it /tftp/PATH";
		return -ENOTSUP;
	}
	if (pxh_http_base_url(a->srv, a->client, base, sizeof(base)) < 0 ||
	    strncmp(base, "http://", 7) != 0) {
		*why = "pxehub's plain HTTP is off";
		return -ENOENT;
	}
	snprintf(out, len, "(http,%s)%s%s", base + 7, url[0] == '/' ? "" : "/", url);
	return 0;
}

/* Path part of URL (before '?' or '#') ends with EXT, case ignored. */
static bool path_ends(const char *url, const char *ext)
{
	size_t n = strcspn(url, "?#"), e = strlen(ext);

	return n >= e && !strncasecmp(url + n - e, ext, e);
}

static int fail_tail(struct pxh_answer *a)
{
	/* In a menu entry GRUB goes back to the menu by itself. */
	if (a->grub_item)
		return pxh_answer_append_script(
			a, "echo 'pxehub: boot failed'\nsleep 5\n");
	return pxh_answer_append_script(
		a, "echo 'pxehub: boot failed, back to the firmware in 10 s'\n"
		   "sleep 10\nexit\n");
}

/* Appends CMD and URL as a GRUB file name; -ENOTSUP marks the answer. */
static int file_cmd(struct pxh_answer *a, const char *cmd, const char *url)
{
	char path[1300], why[240];
	const char *because = "bad URL";
	int rc = grub_path(a, url, path, sizeof(path), &because);

	if (rc < 0) {
		snprintf(why, sizeof(why), "GRUB cannot fetch %.80s: %s", url, because);
		rc = pxh_answer_unrenderable(a, why);
		return rc < 0 ? rc : 1;
	}
	rc = pxh_answer_append_script(a, "%s", cmd);
	return rc ? rc : word(a, path);
}

/* Separates command line words: white space and control characters. */
static bool blank(char c)
{
	return (unsigned char)c <= ' ' || c == 0x7f;
}

int pxh_grub_kernel(struct pxh_answer *a, const char *kernel,
                    const char *initrd, const char *cmdline)
{
	const char *p = cmdline ? cmdline : "";
	int rc;

	if ((rc = header(a)) || (rc = pxh_answer_append_script(a, "if ")))
		return rc;
	if ((rc = file_cmd(a, "linux", kernel)))
		return rc < 0 ? rc : 0;
	/* The command line as separate words: GRUB joins linux's arguments
	 * with blanks, but puts double quotes around one that holds a blank. */
	while (*p) {
		char w[2048];
		size_t n;

		while (*p && blank(*p))
			p++;
		for (n = 0; p[n] && !blank(p[n]); n++)
			;
		if (!n)
			break;
		if (n >= sizeof(w))
			n = sizeof(w) - 1;
		memcpy(w, p, n);
		w[n] = '\0';
		p += n;
		if ((rc = word(a, w)))
			return rc;
	}
	if ((rc = pxh_answer_append_script(a, "; then\n")))
		return rc;
	if (initrd && *initrd) {
		if ((rc = pxh_answer_append_script(a, "  if ")) ||
		    (rc = file_cmd(a, "initrd", initrd)))
			return rc < 0 ? rc : 0;
		rc = pxh_answer_append_script(a, "; then\n    boot\n  fi\n");
	} else {
		rc = pxh_answer_append_script(a, "  boot\n");
	}
	if (!rc)
		rc = pxh_answer_append_script(a, "fi\n");
	return rc ? rc : fail_tail(a);
}

int pxh_grub_chain(struct pxh_answer *a, const char *url)
{
	char why[240];
	int rc;

	if ((rc = header(a)))
		return rc;
	/* GRUB runs EFI binaries and GRUB configurations; an iPXE script or
	 * anything else at the URL would be an EFI image it cannot check. */
	if (path_ends(url, ".efi")) {
		if ((rc = file_cmd(a, "if chainloader", url)))
			return rc < 0 ? rc : 0;
		rc = pxh_answer_append_script(a, "; then\n  boot\nfi\n");
		return rc ? rc : fail_tail(a);
	}
	if (path_ends(url, ".cfg") || path_ends(url, ".grub")) {
		if ((rc = file_cmd(a, "configfile", url)))
			return rc < 0 ? rc : 0;
		rc = pxh_answer_append_script(a, "\n");
		return rc ? rc : fail_tail(a);
	}
	snprintf(why, sizeof(why), "chain to %.100s: GRUB runs only EFI "
	         "binaries (.efi) and GRUB configurations (.cfg, .grub)", url);
	return pxh_answer_unrenderable(a, why);
}

int pxh_grub_exit(struct pxh_answer *a)
{
	int rc = header(a);

	/* exit leaves GRUB: the firmware goes on to its next boot option */
	return rc ? rc : pxh_answer_append_script(a, "exit\n");
}

int pxh_grub_shell(struct pxh_answer *a)
{
	int rc;

	if (a->grub_item)
		return pxh_answer_unrenderable(a, "a menu entry cannot open GRUB's "
		                                  "command line (press c in the menu)");
	/* a configuration without menu entries ends at GRUB's prompt */
	rc = header(a);
	return rc ? rc : pxh_answer_append_script(
		a, "echo 'pxehub: GRUB command line (exit: back to the firmware)'\n");
}

int pxh_grub_menu_begin(struct pxh_answer *a, const char *title,
                        unsigned timeout_ms, const char *default_id)
{
	int rc;

	if ((rc = header(a)))
		return rc;
	/* GRUB counts whole seconds; -1 waits */
	rc = pxh_answer_append_script(
		a, "set timeout_style=menu\nset timeout=%ld\n",
		timeout_ms ? (long)((timeout_ms + 999) / 1000) : -1L);
	if (!rc && default_id && *default_id) {
		rc = pxh_answer_append_script(a, "set default=");
		if (!rc)
			rc = glued(a, default_id);
		if (!rc)
			rc = pxh_answer_append_script(a, "\n");
	}
	if (!rc) {
		rc = pxh_answer_append_script(a, "echo");
		if (!rc)
			rc = word(a, title && *title ? title : "Boot menu");
		if (!rc)
			rc = pxh_answer_append_script(a, "\n");
	}
	if (!rc) {
		a->menu_open = true;
		a->grub_items = 0;
	}
	return rc;
}

int pxh_grub_menu_item(struct pxh_answer *a, const char *id, const char *label,
                       const char *script)
{
	const char *body = script ? script : "";
	int rc;

	/* the body is GRUB text: "#!grub" first (the helpers, a plugin's own
	 * GRUB item); anything else is an iPXE item that GRUB cannot run */
	if (strncmp(body, "#!grub", 6) != 0)
		return 0;
	body = strchr(body, '\n');
	body = body ? body + 1 : "";
	rc = pxh_answer_append_script(a, "menuentry");
	if (!rc)
		rc = word(a, label && *label ? label : id);
	if (!rc)
		rc = pxh_answer_append_script(a, " --id");
	if (!rc)
		rc = word(a, id);
	if (!rc)
		rc = pxh_answer_append_script(a, " {\n%s%s}\n", body,
		                              *body && body[strlen(body) - 1] != '\n'
		                                      ? "\n" : "");
	if (!rc)
		a->grub_items++;
	return rc;
}

int pxh_grub_menu_end(struct pxh_answer *a)
{
	a->menu_open = false;
	if (a->grub_items == 0)
		return pxh_answer_unrenderable(a, "no menu item can run in GRUB");
	return 0;
}
