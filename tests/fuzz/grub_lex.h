/* A small GRUB script tokenizer for tests, written from GRUB's manual
 * ("Shell-like scripting": blanks, newline and ';' separate, '#' at the
 * start of a word comments to the end of the line, '\' escapes one
 * character, '...' is literal, "..." expands $ and takes \ escapes,
 * metacharacters { } | & $ ; < >), not from pxehub's renderer.
 *
 * Each word comes out as a SHAPE and its quoted VALUES: bare characters
 * stay in the shape, each run of quoted text (single quotes and escaped
 * characters next to each other) becomes one '\1' in the shape and one
 * entry in the values.  A double quote or an unquoted '$' stays visible
 * in the shape ('"', '$'), so a test sees any expansion.  Separators are
 * words of their own: ";" and "\n". */
#ifndef PXH_TEST_GRUB_LEX_H
#define PXH_TEST_GRUB_LEX_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define GL_MAX_WORDS 4096

struct gl_word {
	char shape[64];
	char *value[8]; /* malloc'd, decoded quoted runs */
	int n_values;
};

struct gl_script {
	struct gl_word w[GL_MAX_WORDS];
	int n;
	int error; /* unterminated quote, too many words, ... */
};

static void gl_free(struct gl_script *s)
{
	for (int i = 0; i < s->n; i++)
		for (int k = 0; k < s->w[i].n_values; k++)
			free(s->w[i].value[k]);
	s->n = 0;
}

static void gl_shape(struct gl_word *w, char ch, int *err)
{
	size_t n = strlen(w->shape);

	if (n + 1 >= sizeof(w->shape)) {
		*err = 1;
		return;
	}
	w->shape[n] = ch;
	w->shape[n + 1] = '\0';
}

/* Appends CH to the quoted run now open in W (opening one if needed). */
static void gl_quoted(struct gl_word *w, bool *run, char ch, int *err)
{
	size_t n;
	char *v;

	if (!*run) {
		if (w->n_values >= 8) {
			*err = 1;
			return;
		}
		gl_shape(w, '\1', err);
		w->value[w->n_values++] = calloc(1, 1);
		*run = true;
	}
	v = w->value[w->n_values - 1];
	n = v ? strlen(v) : 0;
	v = realloc(v, n + 2);
	if (!v) {
		*err = 1;
		return;
	}
	v[n] = ch;
	v[n + 1] = '\0';
	w->value[w->n_values - 1] = v;
}

static void gl_lex(const char *p, struct gl_script *s)
{
	struct gl_word *w = NULL;
	bool run = false;

	memset(s, 0, sizeof(*s));
#define GL_NEW() do { if (!w) { if (s->n >= GL_MAX_WORDS) { s->error = 1; return; } \
		w = &s->w[s->n++]; run = false; } } while (0)
#define GL_END() do { w = NULL; run = false; } while (0)
	while (*p && !s->error) {
		char ch = *p;

		if (ch == ' ' || ch == '\t') {
			GL_END();
			p++;
		} else if (ch == '\n' || ch == ';') {
			GL_END();
			GL_NEW();
			gl_shape(w, ch, &s->error);
			GL_END();
			p++;
		} else if (ch == '#' && !w) {
			while (*p && *p != '\n')
				p++;
		} else if (ch == '\'') {
			GL_NEW();
			p++;
			while (*p && *p != '\'')
				gl_quoted(w, &run, *p++, &s->error);
			if (*p != '\'') {
				s->error = 1;
				return;
			}
			if (!w->n_values || !run)
				gl_quoted(w, &run, 0, &s->error); /* '' */
			p++;
		} else if (ch == '\\') {
			GL_NEW();
			if (!p[1]) {
				s->error = 1;
				return;
			}
			gl_quoted(w, &run, p[1], &s->error);
			p += 2;
		} else {
			/* bare text, double quotes and $ included: visible */
			GL_NEW();
			run = false;
			gl_shape(w, ch, &s->error);
			p++;
		}
	}
#undef GL_NEW
#undef GL_END
}

/* The shapes joined by blanks ("if linux \1 \1 ; then \n ..."), for
 * comparing a script's skeleton; OUT is cut to LEN. */
static void gl_skeleton(const struct gl_script *s, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; i < s->n && o + 1 < len; i++) {
		const char *sh = s->w[i].shape;
		size_t n = strlen(sh);

		if (o + n + 2 >= len)
			break;
		if (o)
			out[o++] = ' ';
		memcpy(out + o, sh[0] == '\n' ? "NL" : sh, sh[0] == '\n' ? 2 : n);
		o += sh[0] == '\n' ? 2 : n;
		out[o] = '\0';
	}
}

#endif
