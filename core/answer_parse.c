/* pxehub's answer format (docs/answer-format.md): the text a script, a web
 * service or an upstream returns (JSON, an iPXE script or one verdict
 * word), checked and turned into a verdict and an answer.  Shared by
 * script_exec, referral and any plugin through pxh_answer_parse(). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <jansson.h>

#include "pxehub/plugin.h"
#include "answer.h"
#include "grub_script.h"

#define ANS_URL_MAX 1000     /* the SDK helpers keep 1 KiB per URL */
#define ANS_CMDLINE_MAX 2000 /* and 2 KiB of kernel command line */
#define ANS_ITEMS_MAX 64
#define ANS_OPTIONS_MAX 32

/* What one parse pass needs; A == NULL checks only. */
struct pctx {
	enum pxh_phase phase;
	pxh_answer *a;
	char *why;
	size_t why_len;
	unsigned parts; /* helper sections appended after a menu */
	bool started;   /* the answer's script has its "#!ipxe" line */
};

static int bad(struct pctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int bad(struct pctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->why, x->why_len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int pxh_verdict_parse(const char *w, size_t n)
{
	static const struct {
		const char *w;
		int v;
	} t[] = {
		{"boot", PXH_BOOT}, {"local", PXH_LOCAL},
		{"ignore", PXH_IGNORE}, {"next", PXH_NEXT},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].w) == n && !memcmp(t[i].w, w, n))
			return t[i].v;
	return -1;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* ---- JSON field readers ---------------------------------------------------- */
/* A string member KEY of O, or NULL when absent; -EINVAL via *RC when it
 * is there but not a string (or longer than MAX). */
static const char *get_str(struct pctx *x, json_t *o, const char *key,
                           size_t max, int *rc)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*rc = bad(x, "\"%s\" must be a string", key);
		return NULL;
	}
	s = json_string_value(v);
	if (json_string_length(v) > max) {
		*rc = bad(x, "\"%s\" is longer than %zu bytes", key, max);
		return NULL;
	}
	return s;
}

static int get_int(struct pctx *x, json_t *o, const char *key, long long lo,
                   long long hi, long long *out)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return bad(x, "\"%s\" must be a whole number", key);
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return bad(x, "\"%s\" must be within %lld..%lld", key, lo, hi);
	*out = json_integer_value(v);
	return 0;
}

/* JSON true/false (or absent: 0). */
static int get_bool(struct pctx *x, json_t *o, const char *key, int *out)
{
	json_t *v = json_object_get(o, key);

	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return bad(x, "\"%s\" must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

/* Every member of O must be in KEYS (a NULL-terminated list) or start
 * with '_' (the script's own notes). */
static int only_keys(struct pctx *x, json_t *o, const char *where,
                     const char *const *keys)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		size_t i;

		if (k[0] == '_')
			continue;
		for (i = 0; keys[i]; i++)
			if (!strcmp(keys[i], k))
				break;
		if (!keys[i])
			return bad(x, "unknown key \"%.40s\" in %s", k, where);
	}
	return 0;
}

static int get_action(struct pctx *x, json_t *o)
{
	int rc = 0;
	const char *s = get_str(x, o, "action", 16, &rc);
	int v;

	if (rc)
		return rc;
	if (!s)
		return PXH_BOOT;
	v = pxh_verdict_parse(s, strlen(s));
	if (v < 0)
		return bad(x, "\"action\" must be boot, local, ignore or next, not \"%.20s\"", s);
	return v;
}

/* What every JSON answer has: its keys, "action", "ttl", "reason".
 * Returns the verdict or -errno. */
static int answer_head(struct pctx *x, json_t *o, const char *const *keys,
                       long *ttl)
{
	long long t = -1;
	const char *reason;
	int v, rc;

	if (!json_is_object(o))
		return bad(x, "the answer must be a JSON object");
	if ((rc = only_keys(x, o, "the answer", keys)))
		return rc;
	if ((v = get_action(x, o)) < 0)
		return v;
	if ((rc = get_int(x, o, "ttl", 0, PXH_TTL_MAX, &t)))
		return rc;
	*ttl = (long)t;
	reason = get_str(x, o, "reason", 200, &rc);
	if (rc)
		return rc;
	if (reason && x->a && (rc = pxh_answer_set_reason(x->a, reason)))
		return rc;
	return v;
}

/* ---- allow_boot ------------------------------------------------------------- */
static int one_option(struct pctx *x, json_t *o, size_t i)
{
	static const char *const keys[] = {"code", "text", "hex", NULL};
	uint8_t buf[1024];
	long long code = -1;
	const char *text, *hex;
	size_t len = 0;
	int rc = 0;

	if (!json_is_object(o))
		return bad(x, "options[%zu] must be an object", i);
	if ((rc = only_keys(x, o, "an option", keys)))
		return rc;
	if ((rc = get_int(x, o, "code", 1, 254, &code)))
		return rc;
	if (code < 0)
		return bad(x, "options[%zu] needs a \"code\"", i);
	text = get_str(x, o, "text", sizeof(buf), &rc);
	if (!rc)
		hex = get_str(x, o, "hex", 2 * sizeof(buf), &rc);
	if (rc)
		return rc;
	if (!!text == !!hex)
		return bad(x, "options[%zu] needs one of \"text\" or \"hex\"", i);
	if (text) {
		len = strlen(text);
		memcpy(buf, text, len);
	} else {
		size_t n = strlen(hex);

		if (n % 2)
			return bad(x, "options[%zu]: odd number of hex digits", i);
		if (strspn(hex, "0123456789abcdefABCDEF") != n)
			return bad(x, "options[%zu]: \"hex\" is not hex", i);
		for (size_t k = 0; k < n; k += 2) {
			char two[3] = {hex[k], hex[k + 1], 0};

			buf[len++] = (uint8_t)strtoul(two, NULL, 16);
		}
	}
	/* the responder owns message type and server identifier */
	if (code == 53 || code == 54)
		return bad(x, "options[%zu]: option %lld is the server's own", i, code);
	if (!x->a)
		return 0;
	rc = pxh_answer_add_option(x->a, (uint8_t)code, buf, len);
	return rc ? bad(x, "options[%zu]: refused (%s)", i, strerror(-rc)) : 0;
}

static int allow_json(struct pctx *x, json_t *o, long *ttl)
{
	static const char *const keys[] = {"action", "loader", "next_server",
	                                   "ttl", "reason", "options", NULL};
	const char *loader, *ns;
	json_t *opts;
	struct in_addr ia;
	int v, rc = 0;

	if ((v = answer_head(x, o, keys, ttl)) < 0)
		return v;
	loader = get_str(x, o, "loader", ANS_URL_MAX, &rc);
	if (!rc)
		ns = get_str(x, o, "next_server", 15, &rc);
	if (rc)
		return rc;
	if (loader && !*loader)
		return bad(x, "\"loader\" is empty");
	if (ns && inet_pton(AF_INET, ns, &ia) != 1)
		return bad(x, "\"next_server\" must be an IPv4 address");
	opts = json_object_get(o, "options");
	if (opts && !json_is_null(opts) && !json_is_array(opts))
		return bad(x, "\"options\" must be a list");
	if (opts && json_array_size(opts) > ANS_OPTIONS_MAX)
		return bad(x, "more than %d options", ANS_OPTIONS_MAX);
	if (v != PXH_BOOT)
		return v; /* loader and options only go with boot */
	for (size_t i = 0; opts && i < json_array_size(opts); i++)
		if ((rc = one_option(x, json_array_get(opts, i), i)))
			return rc;
	if (x->a && loader && (rc = pxh_answer_set_loader(x->a, loader)))
		return rc;
	if (x->a && ns && (rc = pxh_answer_set_next_server(x->a, ns)))
		return rc;
	return v;
}

/* ---- boot_images: the built-in helpers ---------------------------------------- */
static int wimboot_part(struct pctx *x, json_t *o)
{
	static const char *const keys[] = {"wimboot", "bcd", "boot_sdi",
	                                   "boot_wim", "extra", "gui", "pause",
	                                   "rawbcd", "index", NULL};
	pxh_wimboot w;
	long long index = 0;
	json_t *extra;
	int rc;

	if (!json_is_object(o))
		return bad(x, "\"wimboot\" must be an object");
	if ((rc = only_keys(x, o, "\"wimboot\"", keys)))
		return rc;
	memset(&w, 0, sizeof(w));
	w.struct_size = sizeof(w);
	rc = 0;
	w.wimboot = get_str(x, o, "wimboot", ANS_URL_MAX, &rc);
	if (!rc)
		w.bcd = get_str(x, o, "bcd", ANS_URL_MAX, &rc);
	if (!rc)
		w.boot_sdi = get_str(x, o, "boot_sdi", ANS_URL_MAX, &rc);
	if (!rc)
		w.boot_wim = get_str(x, o, "boot_wim", ANS_URL_MAX, &rc);
	if (!rc)
		rc = get_bool(x, o, "gui", &w.gui);
	if (!rc)
		rc = get_bool(x, o, "pause", &w.pause);
	if (!rc)
		rc = get_bool(x, o, "rawbcd", &w.rawbcd);
	if (!rc)
		rc = get_int(x, o, "index", 0, 1000, &index);
	if (rc)
		return rc;
	w.index = (int)index;
	if (!w.boot_wim || !*w.boot_wim)
		return bad(x, "\"wimboot\" needs \"boot_wim\"");
	extra = json_object_get(o, "extra");
	if (extra && !json_is_null(extra)) {
		if (!json_is_array(extra) || json_array_size(extra) > 8)
			return bad(x, "\"extra\" must be a list of at most 8 URLs");
		for (size_t i = 0; i < json_array_size(extra); i++) {
			json_t *e = json_array_get(extra, i);

			if (!json_is_string(e) || !json_string_length(e) ||
			    json_string_length(e) > ANS_URL_MAX)
				return bad(x, "\"extra\"[%zu] must be a URL", i);
			w.extra[i] = json_string_value(e);
		}
	}
	return x->a ? pxh_script_wimboot(x->a, &w) : 0;
}

static int kernel_part(struct pctx *x, json_t *o)
{
	static const char *const keys[] = {"kernel", "initrd", "cmdline", NULL};
	const char *k, *i = NULL, *cl = NULL;
	int rc = 0;

	if (json_is_string(o)) {
		k = json_string_value(o);
		if (json_string_length(o) > ANS_URL_MAX)
			return bad(x, "\"kernel\" is too long");
	} else if (json_is_object(o)) {
		if ((rc = only_keys(x, o, "\"kernel\"", keys)))
			return rc;
		k = get_str(x, o, "kernel", ANS_URL_MAX, &rc);
		if (!rc)
			i = get_str(x, o, "initrd", ANS_URL_MAX, &rc);
		if (!rc)
			cl = get_str(x, o, "cmdline", ANS_CMDLINE_MAX, &rc);
		if (rc)
			return rc;
	} else {
		return bad(x, "\"kernel\" must be a URL or an object");
	}
	if (!k || !*k)
		return bad(x, "\"kernel\" needs a kernel URL");
	return x->a ? pxh_script_kernel(x->a, k, i, cl) : 0;
}

static int chain_part(struct pctx *x, json_t *o)
{
	if (!json_is_string(o) || !json_string_length(o) ||
	    json_string_length(o) > ANS_URL_MAX)
		return bad(x, "\"chain\" must be a URL");
	return x->a ? pxh_script_chain(x->a, json_string_value(o)) : 0;
}

static int flag_part(struct pctx *x, json_t *o, const char *key)
{
	if (!json_is_true(o))
		return bad(x, "\"%s\" must be true when given", key);
	if (!x->a)
		return 0;
	if (!strcmp(key, "local"))
		return pxh_script_exit(x->a);
	if (pxh_answer_is_grub(x->a))
		return pxh_grub_shell(x->a);
	return pxh_answer_append_script(x->a, "%sshell\n",
	                                x->started ? "" : "#!ipxe\n");
}

/* The helper keys of a part; "script" is raw iPXE text. */
static const char *const helper_keys[] = {"wimboot", "kernel", "chain",
                                          "local", "shell", NULL};

static int helper(struct pctx *x, const char *key, json_t *v)
{
	if (!strcmp(key, "wimboot"))
		return wimboot_part(x, v);
	if (!strcmp(key, "kernel"))
		return kernel_part(x, v);
	if (!strcmp(key, "chain"))
		return chain_part(x, v);
	return flag_part(x, v, key);
}

/* The one helper key O holds (NULL for none, "" for more than one). */
static const char *which_helper(json_t *o)
{
	const char *found = NULL;

	for (size_t i = 0; helper_keys[i]; i++) {
		if (!json_object_get(o, helper_keys[i]))
			continue;
		if (found)
			return "";
		found = helper_keys[i];
	}
	return found;
}

static int item_check(struct pctx *x, json_t *it, size_t i, const char **id,
                      const char **label, const char **script,
                      const char **help)
{
	static const char *const keys[] = {"id", "label", "script", "wimboot",
	                                   "kernel", "chain", "local", "shell",
	                                   NULL};
	int rc = 0;

	if (!json_is_object(it))
		return bad(x, "menu item %zu must be an object", i);
	if ((rc = only_keys(x, it, "a menu item", keys)))
		return rc;
	*id = get_str(x, it, "id", 32, &rc);
	if (!rc)
		*label = get_str(x, it, "label", 200, &rc);
	if (!rc)
		*script = get_str(x, it, "script", 1 << 20, &rc);
	if (rc)
		return rc;
	if (!*id || !**id)
		return bad(x, "menu item %zu needs an \"id\"", i);
	*help = which_helper(it);
	if ((*help && !**help) || (*help && *script) || (!*help && !*script))
		return bad(x, "menu item \"%s\" needs exactly one of script, "
		               "wimboot, kernel, chain, local or shell", *id);
	return 0;
}

/* GRUB: a menu item's helper rendered on its own into a "#!grub" text for
 * its menuentry (GRUB has no goto); *TEXT stays NULL when it cannot run in
 * GRUB, and the menu leaves the item out. */
static int grub_item_text(struct pctx *x, const char *key, json_t *v,
                          char **text)
{
	struct pctx sub = *x;
	struct pxh_answer t;
	int rc;

	*text = NULL;
	pxh_answer_init(&t, x->a->srv, x->a->client);
	t.grub_item = true;
	sub.a = &t;
	rc = helper(&sub, key, v);
	if (!rc && t.unrendered) {
		/* the item is left out; its reason goes with the answer */
		rc = pxh_answer_set_reason(x->a, t.unrendered);
	} else if (!rc && t.script) {
		*text = t.script;
		t.script = NULL;
	}
	pxh_answer_clear(&t);
	return rc;
}

static int grub_menu_items(struct pctx *x, json_t *items, size_t n)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++) {
		const char *id = NULL, *label = NULL, *script = NULL, *help = NULL;
		char *text = NULL;

		if ((rc = item_check(x, json_array_get(items, i), i, &id, &label,
		                     &script, &help)))
			return rc;
		if (help)
			rc = grub_item_text(x, help,
			                    json_object_get(json_array_get(items, i), help),
			                    &text);
		if (!rc)
			rc = pxh_script_menu_item(x->a, id, label, help ? text : script);
		free(text);
	}
	return rc;
}

static int menu_part(struct pctx *x, json_t *m)
{
	static const char *const keys[] = {"title", "timeout", "default",
	                                   "items", NULL};
	const char *title, *def;
	long long timeout = 0;
	json_t *items;
	size_t n;
	unsigned first = x->parts;
	int rc = 0;

	if (!json_is_object(m))
		return bad(x, "\"menu\" must be an object");
	if ((rc = only_keys(x, m, "\"menu\"", keys)))
		return rc;
	title = get_str(x, m, "title", 200, &rc);
	if (!rc)
		def = get_str(x, m, "default", 32, &rc);
	if (!rc)
		rc = get_int(x, m, "timeout", 0, 3600000, &timeout);
	if (rc)
		return rc;
	items = json_object_get(m, "items");
	n = json_array_size(items);
	if (!json_is_array(items) || n == 0 || n > ANS_ITEMS_MAX)
		return bad(x, "\"menu\" needs \"items\": a list of 1 to %d items",
		            ANS_ITEMS_MAX);
	if (x->a && (rc = pxh_script_menu_begin(x->a, title, (unsigned)timeout, def)))
		return rc;
	x->started = true;
	if (pxh_answer_is_grub(x->a)) {
		rc = grub_menu_items(x, items, n);
		return rc ? rc : pxh_script_menu_end(x->a);
	}
	for (size_t i = 0; i < n; i++) {
		const char *id = NULL, *label = NULL, *script = NULL, *help = NULL;
		char jump[48];

		if ((rc = item_check(x, json_array_get(items, i), i, &id, &label,
		                     &script, &help)))
			return rc;
		if (help)
			snprintf(jump, sizeof(jump), "goto pxh_part_%u\n", x->parts++);
		if (x->a && (rc = pxh_script_menu_item(x->a, id, label,
		                                       help ? jump : script)))
			return rc;
	}
	if (x->a && (rc = pxh_script_menu_end(x->a)))
		return rc;
	/* The helpers' sections follow the menu (which ends in exit): an item
	 * jumps to its section; a section that returns shows the menu again. */
	for (size_t i = 0; i < n; i++) {
		json_t *it = json_array_get(items, i);
		const char *help = which_helper(it);

		if (!help)
			continue;
		if (x->a && (rc = pxh_answer_append_script(x->a, ":pxh_part_%u\n", first++)))
			return rc;
		if ((rc = helper(x, help, json_object_get(it, help))))
			return rc;
		if (x->a && (rc = pxh_answer_append_script(x->a, "goto pxh_menu\n")))
			return rc;
	}
	return 0;
}

static int images_json(struct pctx *x, json_t *o, long *ttl)
{
	static const char *const keys[] = {"action", "ttl", "reason", "script",
	                                   "menu", "wimboot", "kernel", "chain",
	                                   "local", "shell", NULL};
	const char *script, *help;
	json_t *menu;
	int v, rc = 0;

	if ((v = answer_head(x, o, keys, ttl)) < 0)
		return v;
	script = get_str(x, o, "script", 1 << 24, &rc);
	if (rc)
		return rc;
	help = which_helper(o);
	menu = json_object_get(o, "menu");
	if ((help && !*help) || (help && menu))
		return bad(x, "give one of menu, wimboot, kernel, chain, local or shell");
	if (v != PXH_BOOT)
		return v;
	if (script && x->a) {
		/* the text comes first; a helper below adds no second header */
		if (strncmp(script, "#!ipxe", 6) && strncmp(script, "#!grub", 6))
			rc = pxh_answer_append_script(x->a, "#!ipxe\n");
		if (!rc)
			rc = pxh_answer_append_script(x->a, "%s%s", script,
			                              *script && script[strlen(script) - 1] != '\n'
			                                      ? "\n" : "");
		if (rc)
			return rc;
		x->started = true;
	}
	if (menu)
		rc = menu_part(x, menu);
	else if (help)
		rc = helper(x, help, json_object_get(o, help));
	return rc ? rc : v;
}

/* ---- plain text forms ------------------------------------------------------------ */
static int text_answer(struct pctx *x, const char *p, size_t n)
{
	size_t w = 0, s, e;
	int v;

	/* a raw script: iPXE's, or GRUB's ("#!grub") */
	if (x->phase == PXH_PHASE_IPXE && n >= 6 &&
	    (!memcmp(p, "#!ipxe", 6) || !memcmp(p, "#!grub", 6)) &&
	    (n == 6 || is_space(p[6]))) {
		char *t;
		int rc;

		if (!x->a)
			return PXH_BOOT;
		t = strndup(p, n);
		if (!t)
			return -ENOMEM;
		rc = pxh_answer_set_script(x->a, t);
		if (!rc && t[n - 1] != '\n')
			rc = pxh_answer_append_script(x->a, "\n");
		free(t);
		return rc ? rc : PXH_BOOT;
	}
	/* WORD [LOADER] on a single line */
	while (w < n && !is_space(p[w]))
		w++;
	v = pxh_verdict_parse(p, w);
	for (s = w; s < n && (p[s] == ' ' || p[s] == '\t'); s++)
		;
	for (e = s; e < n && !is_space(p[e]); e++)
		;
	if (v < 0 || e != n) {
		char ex[41];
		size_t k;

		/* the first line, printable, for the log */
		for (k = 0; k < n && k < sizeof(ex) - 1 && p[k] != '\n' && p[k] != '\r'; k++)
			ex[k] = (unsigned char)p[k] >= 0x20 && (unsigned char)p[k] < 0x7f
			                ? p[k] : '?';
		ex[k] = 0;
		return bad(x, "not JSON, %sand not a verdict word: \"%s\"",
		           x->phase == PXH_PHASE_IPXE ? "not a script (#!ipxe, #!grub) " : "",
		           ex);
	}
	if (s == e)
		return v;
	if (x->phase != PXH_PHASE_DHCP || v != PXH_BOOT)
		return bad(x, "only \"boot LOADER\" takes an argument");
	if (e - s > ANS_URL_MAX)
		return bad(x, "loader is too long");
	if (x->a) {
		char *l = strndup(p + s, e - s);
		int rc = l ? pxh_answer_set_loader(x->a, l) : -ENOMEM;

		free(l);
		if (rc)
			return rc;
	}
	return v;
}

int pxh_answer_parse(enum pxh_phase phase, const char *out, size_t len,
                    pxh_answer *a, long *ttl, char *why, size_t why_len)
{
	struct pctx x = {.phase = phase, .a = a, .why = why, .why_len = why_len};
	const char *p = out;
	size_t n = len;
	json_error_t jerr;
	json_t *j;
	int v;

	*ttl = -1;
	if (why_len)
		why[0] = 0;
	if (memchr(out, 0, len))
		return bad(&x, "output holds a NUL byte");
	while (n && is_space(*p)) {
		p++;
		n--;
	}
	while (n && is_space(p[n - 1]))
		n--;
	if (!n)
		return PXH_NEXT; /* no output: no opinion */
	if (*p != '{')
		return text_answer(&x, p, n);
	j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return bad(&x, "bad JSON at line %d column %d: %.80s", jerr.line,
		            jerr.column, jerr.text);
	if (phase == PXH_PHASE_DHCP)
		v = allow_json(&x, j, ttl);
	else
		v = images_json(&x, j, ttl);
	json_decref(j);
	if (v < 0 && why_len && !why[0])
		snprintf(why, why_len, "answer refused: %s", strerror(-v));
	return v;
}
