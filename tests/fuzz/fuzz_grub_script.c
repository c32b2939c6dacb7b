/* libFuzzer target: the GRUB renderer (core/http/grub_script.c) with
 * hostile URLs, command lines, titles, labels and ids.  Each output is
 * read back by an independent GRUB tokenizer (grub_lex.h) and must have
 * exactly the expected skeleton: every value one quoted word that decodes
 * to the value given (control characters as blanks), nothing expanded,
 * no command added.  Input: fields separated by NUL bytes: kernel,
 * initrd, cmdline, title, default id, item id, item label. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pxehub/plugin.h"
#include "grub_lex.h"
#include "answer.h"
#include "conf.h"
#include "server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pxh_server srv;
static struct pxh_conf *conf;

static void setup(void)
{
	struct pxh_conf_errors errs = {0};

	if (conf)
		return;
	conf = pxh_conf_load("fuzz.conf", "[http]\nport = 8080\n[plugins]\nconf_dir =\n",
	                     &errs);
	pxh_conf_errors_free(&errs);
	if (!conf)
		abort();
	srv.conf = conf;
}

/* What a value must read back as: control characters are blanks. */
static char *cleaned(const char *in)
{
	char *o = strdup(in);

	for (char *p = o; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return o;
}

static void expect_value(const struct gl_word *w, int k, const char *want)
{
	char *c = cleaned(want);

	if (k >= w->n_values || strcmp(w->value[k], c) != 0)
		abort();
	free(c);
}

static bool blank(char c)
{
	return (unsigned char)c <= ' ' || c == 0x7f;
}

static void check_kernel(const pxh_client *c, const char *k, const char *i,
                         const char *cl)
{
	struct pxh_answer a;
	static struct gl_script s;
	char sk[8192], want[8192];
	size_t o;
	int words = 0, rc;

	pxh_answer_init(&a, &srv, c);
	rc = pxh_script_kernel(&a, k, i, cl);
	if (rc < 0 || a.unrendered || !a.script) {
		pxh_answer_clear(&a);
		return;
	}
	gl_lex(a.script, &s);
	if (s.error)
		abort();
	/* the skeleton: one quoted word per command line word */
	/* "#!grub" is a comment: its line leaves a newline */
	o = (size_t)snprintf(want, sizeof(want), "NL if linux \1");
	for (const char *p = cl; *p;) {
		while (*p && blank(*p))
			p++;
		if (!*p)
			break;
		while (*p && !blank(*p))
			p++;
		o += (size_t)snprintf(want + o, sizeof(want) - o, " \1");
		words++;
		if (o > sizeof(want) - 100)
			break;
	}
	snprintf(want + o, sizeof(want) - o, "%s",
	         *i ? " ; then NL if initrd \1 ; then NL boot NL fi NL fi NL"
	              " echo \1 NL sleep 10 NL exit NL"
	            : " ; then NL boot NL fi NL echo \1 NL sleep 10 NL exit NL");
	gl_skeleton(&s, sk, sizeof(sk));
	if (o <= sizeof(want) - 100 && strcmp(sk, want) != 0) {
		fprintf(stderr, "skeleton\n%s\nwanted\n%s\nscript\n%s\n", sk, want, a.script);
		abort();
	}
	/* the command line words read back as given */
	for (int n = 0, wi = 4; n < words && wi < s.n; n++, wi++) {
		const char *p = cl;
		char word[2048];
		size_t len;

		for (int skip = 0;; skip++) {
			while (*p && blank(*p))
				p++;
			for (len = 0; p[len] && !blank(p[len]); len++)
				;
			if (skip == n)
				break;
			p += len;
		}
		if (len >= sizeof(word))
			break;
		memcpy(word, p, len);
		word[len] = '\0';
		expect_value(&s.w[wi], 0, word);
	}
	gl_free(&s);
	pxh_answer_clear(&a);
}

static void check_menu(const pxh_client *c, const char *title, const char *def,
                       const char *id, const char *label)
{
	struct pxh_answer a;
	static struct gl_script s;
	char sk[4096];
	const char *want_def =
		"NL set timeout_style=menu NL set timeout=3 NL set default=\1 NL "
		"echo \1 NL menuentry \1 --id \1 { NL exit NL } NL "
		"menuentry \1 --id \1 { NL reboot NL } NL";
	const char *want_nodef =
		"NL set timeout_style=menu NL set timeout=3 NL "
		"echo \1 NL menuentry \1 --id \1 { NL exit NL } NL "
		"menuentry \1 --id \1 { NL reboot NL } NL";
	int base;

	if (!*id)
		return;
	pxh_answer_init(&a, &srv, c);
	if (pxh_script_menu_begin(&a, title, 2500, def) ||
	    pxh_script_menu_item(&a, id, label, "#!grub\nexit\n") ||
	    pxh_script_menu_item(&a, "reboot", "Reboot", "#!grub\nreboot\n") ||
	    pxh_script_menu_end(&a))
		abort();
	gl_lex(a.script, &s);
	if (s.error)
		abort();
	gl_skeleton(&s, sk, sizeof(sk));
	if (strcmp(sk, *def ? want_def : want_nodef) != 0) {
		fprintf(stderr, "skeleton\n%s\nscript\n%s\n", sk, a.script);
		abort();
	}
	base = *def ? 10 : 7; /* where "echo" is */
	if (*def)
		expect_value(&s.w[8], 0, def);
	expect_value(&s.w[base + 1], 0, *title ? title : "Boot menu");
	expect_value(&s.w[base + 4], 0, *label ? label : id);
	expect_value(&s.w[base + 6], 0, id);
	gl_free(&s);
	pxh_answer_clear(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[7] = {"", "", "", "", "", "", ""};
	char *buf;
	pxh_client c;
	size_t n = 0;

	if (size > 16384)
		return 0;
	setup();
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *p = buf; n < 7 && p <= buf + size; p += strlen(p) + 1)
		f[n++] = p;
	memset(&c, 0, sizeof(c));
	c.struct_size = sizeof(c);
	c.phase = PXH_PHASE_IPXE;
	snprintf(c.user_class, sizeof(c.user_class), "GRUB");
	snprintf(c.server_ip, sizeof(c.server_ip), "10.0.0.1");
	c.is_http_boot = size & 1; /* with and without HTTP */
	if (*f[0])
		check_kernel(&c, f[0], f[1], f[2]);
	check_menu(&c, f[3], f[4], f[5], f[6]);
	free(buf);
	return 0;
}
