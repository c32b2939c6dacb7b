/* INI configuration: main file plus plugins.d/NAME.conf, typed key tables,
 * errors as FILE:LINE: message. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pxehub/plugin.h"
#include "conf.h"
#include "log.h"
#include "access.h"
#include "listen_addr.h"

struct conf_entry {
	char *section;
	char *sub; /* NULL for [section] */
	char *key;
	char *value;
	char *file;
	int line;
	bool is_default;
	bool checked;
	long long ival;
	char **list;
	size_t nlist;
	uint32_t hash; /* of section, sub and key */
	int hnext;     /* next entry in the same bucket, -1 = none */
};

struct conf_schema {
	char *name;
	const pxh_conf_key *keys;
	const pxh_conf_key *sub_keys;
	bool plugin; /* [NAME] also takes enabled and priority */
};

struct conf_head {
	char *section; /* as written: "name" or "name.sub" */
	char *file;
	int line;
};

struct pxh_conf {
	struct conf_entry *e;
	size_t n, cap;
	struct conf_schema *schemas;
	size_t nschemas;
	char *main_path;
	char **plugin_files; /* names of plugins.d/NAME.conf, sorted */
	size_t nplugin_files;
	const char **enabled;
	size_t nenabled;
	int *bucket; /* hash index: getters run per packet */
	size_t nbuckets;
	struct conf_head *heads; /* where each [section] header is */
	size_t nheads, capheads;
	/* the core sections' bound structs (pxh_conf_core), filled once by
	 * pxh_conf_load; sub-section structs in pxh_cfg_sub_name order */
	void *core[PXH_SEC__MAX];
	void **core_subs[PXH_SEC__MAX];
	size_t ncore_subs[PXH_SEC__MAX];
};

/* The sections are the daemon's (core/conf_sections.c, which names the
 * modules); this file knows none of them. */
#define core_sections pxh_conf_sections
#define N_CORE_SECTIONS PXH_SEC__MAX

bool pxh_conf_strict;

/* ---- errors ------------------------------------------------------------- */
void pxh_conf_errors_add(struct pxh_conf_errors *e, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	char **n;

	if (!e)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		return;
	n = realloc(e->msg, (e->n + 1) * sizeof(*n));
	if (!n) {
		free(s);
		return;
	}
	e->msg = n;
	e->msg[e->n++] = s;
}

void pxh_conf_errors_free(struct pxh_conf_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
}

/* ---- value parsers ------------------------------------------------------ */
int pxh_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_int(const char *s, long long *out)
{
	char *end;

	if (!*s)
		return -EINVAL;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

int pxh_parse_duration_ms(const char *s, long long *out)
{
	char *end;
	double v;
	double mult = 1000.0; /* bare number = seconds */

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -EINVAL;
	if (!strcmp(end, "ms"))
		mult = 1;
	else if (!strcmp(end, "s") || !*end)
		mult = 1000;
	else if (!strcmp(end, "m"))
		mult = 60000;
	else if (!strcmp(end, "h"))
		mult = 3600000;
	else
		return -EINVAL;
	*out = (long long)(v * mult + 0.5);
	return 0;
}

static int split_list(const char *s, char ***out, size_t *n)
{
	char *dup = strdup(s), *tok, *save = NULL;
	char **v = NULL;
	size_t k = 0;

	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		char **nv = realloc(v, (k + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[k] = strdup(tok);
		if (v[k])
			k++;
	}
	free(dup);
	*out = v;
	*n = k;
	return 0;
}

/* Index of V among CHOICES ("a|b|c", any case), or -1. */
static int enum_index(const char *choices, const char *v)
{
	size_t len = strlen(v);
	const char *p = choices;

	for (int i = 0; p && *p; i++) {
		const char *bar = strchr(p, '|');
		size_t l = bar ? (size_t)(bar - p) : strlen(p);
		if (l == len && !strncasecmp(p, v, l))
			return i;
		p = bar ? bar + 1 : NULL;
	}
	return -1;
}

/* ---- storage ------------------------------------------------------------ */
static uint32_t key_hash(const char *section, const char *sub, const char *key)
{
	uint32_t h = 2166136261u;
	const char *parts[3] = {section, sub ? sub : "", key};

	for (int i = 0; i < 3; i++) {
		for (const char *p = parts[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		h = (h ^ 0xff) * 16777619u; /* separator */
	}
	return h;
}

/* Entries only ever grow; the index is rebuilt when it gets crowded. */
static int index_entry(struct pxh_conf *c, size_t i)
{
	if (c->n > c->nbuckets) {
		size_t nb = c->nbuckets ? c->nbuckets * 4 : 256;
		int *b = malloc(nb * sizeof(*b));
		if (!b)
			return -ENOMEM;
		for (size_t k = 0; k < nb; k++)
			b[k] = -1;
		free(c->bucket);
		c->bucket = b;
		c->nbuckets = nb;
		for (size_t k = 0; k < c->n; k++) {
			size_t slot = c->e[k].hash & (nb - 1);
			c->e[k].hnext = b[slot];
			b[slot] = (int)k;
		}
		return 0;
	}
	c->e[i].hnext = c->bucket[c->e[i].hash & (c->nbuckets - 1)];
	c->bucket[c->e[i].hash & (c->nbuckets - 1)] = (int)i;
	return 0;
}

static struct conf_entry *add_entry(struct pxh_conf *c, const char *section,
                                    const char *sub, const char *key,
                                    const char *value, const char *file,
                                    int line)
{
	struct conf_entry *e;

	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		struct conf_entry *ne = realloc(c->e, ncap * sizeof(*ne));
		if (!ne)
			return NULL;
		c->e = ne;
		c->cap = ncap;
	}
	e = &c->e[c->n];
	memset(e, 0, sizeof(*e));
	e->section = strdup(section);
	e->sub = sub ? strdup(sub) : NULL;
	e->key = strdup(key);
	e->value = strdup(value ? value : "");
	e->file = strdup(file);
	e->line = line;
	if (!e->section || (sub && !e->sub) || !e->key || !e->value || !e->file) {
		free(e->section);
		free(e->sub);
		free(e->key);
		free(e->value);
		free(e->file);
		return NULL;
	}
	e->hash = key_hash(section, sub, key);
	c->n++;
	if (index_entry(c, c->n - 1)) {
		c->n--;
		free(e->section);
		free(e->sub);
		free(e->key);
		free(e->value);
		free(e->file);
		return NULL;
	}
	return e;
}

static bool same_sub(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static struct conf_entry *find(const struct pxh_conf *c, const char *section,
                               const char *sub, const char *key)
{
	uint32_t h;

	if (!c || !c->nbuckets)
		return NULL;
	h = key_hash(section, sub, key);
	for (int i = c->bucket[h & (c->nbuckets - 1)]; i >= 0; i = c->e[i].hnext) {
		struct conf_entry *e = &c->e[i];
		if (e->hash == h && !strcmp(e->key, key) && !strcmp(e->section, section) &&
		    same_sub(e->sub, sub))
			return e;
	}
	return NULL;
}

void pxh_conf_free(struct pxh_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct conf_entry *e = &c->e[i];
		free(e->section);
		free(e->sub);
		free(e->key);
		free(e->value);
		free(e->file);
		for (size_t j = 0; j < e->nlist; j++)
			free(e->list[j]);
		free(e->list);
	}
	free(c->e);
	free(c->bucket);
	for (size_t i = 0; i < c->nheads; i++) {
		free(c->heads[i].section);
		free(c->heads[i].file);
	}
	free(c->heads);
	for (size_t i = 0; i < PXH_SEC__MAX; i++) {
		free(c->core[i]);
		for (size_t j = 0; j < c->ncore_subs[i]; j++)
			free(c->core_subs[i][j]);
		free(c->core_subs[i]);
	}
	for (size_t i = 0; i < c->nschemas; i++)
		free(c->schemas[i].name);
	free(c->schemas);
	for (size_t i = 0; i < c->nplugin_files; i++)
		free(c->plugin_files[i]);
	free(c->plugin_files);
	free(c->enabled);
	free(c->main_path);
	free(c);
}

/* ---- reading INI with line numbers -------------------------------------- */
struct reader {
	const char *file;
	struct pxh_conf *c;
	struct pxh_conf_errors *errs;
	const char *only; /* plugins.d: sections must be [only] / [only.SUB] */
	const char *text;
	int line;
	bool indented;   /* this line starts with a blank: inih continues the
	                  * previous key's value with it */
	long last_entry; /* index of the entry the previous key line made */
};

/* The first header of each section, for errors about keys it lacks. */
static bool add_head(struct pxh_conf *c, const char *section, const char *file,
                     int line)
{
	struct conf_head *h;

	for (size_t i = 0; i < c->nheads; i++)
		if (!strcmp(c->heads[i].section, section))
			return true;
	if (c->nheads == c->capheads) {
		size_t ncap = c->capheads ? c->capheads * 2 : 16;
		h = realloc(c->heads, ncap * sizeof(*h));
		if (!h)
			return false;
		c->heads = h;
		c->capheads = ncap;
	}
	h = &c->heads[c->nheads];
	h->section = strdup(section);
	h->file = strdup(file);
	h->line = line;
	if (!h->section || !h->file) {
		free(h->section);
		free(h->file);
		return false;
	}
	c->nheads++;
	return true;
}

static const struct conf_head *find_head(const struct pxh_conf *c,
                                         const char *section, const char *sub)
{
	size_t sl = strlen(section);

	for (size_t i = 0; i < c->nheads; i++) {
		const char *h = c->heads[i].section;
		if (strncmp(h, section, sl))
			continue;
		if (sub ? (h[sl] == '.' && !strcmp(h + sl + 1, sub)) : !h[sl])
			return &c->heads[i];
	}
	return NULL;
}

/* inih has no callback for a header line: read it here ("[name]" or
 * "[name.sub]", blanks around it allowed). */
static void note_head(struct reader *r, const char *line)
{
	const char *p = line, *q;
	char sec[128];

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '[' || !(q = strchr(p, ']')) || (size_t)(q - p) >= sizeof(sec))
		return;
	memcpy(sec, p, (size_t)(q - p));
	sec[q - p] = 0;
	add_head(r->c, sec, r->file, r->line);
}

static char *read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	int i = 0;

	if (!*r->text)
		return NULL;
	r->line++;
	while (*r->text && *r->text != '\n' && i < num - 2)
		str[i++] = *r->text++;
	if (*r->text && *r->text != '\n') {
		/* Longer than inih takes: skip the rest rather than parse it as
		 * a line of its own. */
		pxh_conf_errors_add(r->errs, "%s:%d: line longer than %d characters "
		                    "(continue a long value on indented lines)",
		                    r->file, r->line, num - 2);
		while (*r->text && *r->text != '\n')
			r->text++;
		i = 0;
	}
	if (*r->text == '\n')
		r->text++;
	str[i++] = '\n';
	str[i] = 0;
	r->indented = str[0] == ' ' || str[0] == '\t';
	note_head(r, str);
	return str;
}

static int on_key(void *user, const char *section, const char *name,
                  const char *value)
{
	struct reader *r = user;
	char sec[128];
	char *dot;
	const char *sub = NULL;

	if (!name)
		return 1;
	if (!*section) {
		pxh_conf_errors_add(r->errs, "%s:%d: key '%s' outside of any section",
		                    r->file, r->line, name);
		return 1;
	}
	snprintf(sec, sizeof(sec), "%s", section);
	dot = strchr(sec, '.');
	if (dot) {
		*dot = 0;
		sub = dot + 1;
		if (!*sub) {
			pxh_conf_errors_add(r->errs, "%s:%d: empty sub-section name in [%s]",
			                    r->file, r->line, section);
			return 1;
		}
	}
	if (r->only && strcmp(sec, r->only)) {
		pxh_conf_errors_add(r->errs,
		                    "%s:%d: section [%s] does not belong in this file (only [%s] and [%s.NAME])",
		                    r->file, r->line, section, r->only, r->only);
		return 1;
	}
	if (!r->only) {
		bool known = false;
		for (size_t i = 0; i < N_CORE_SECTIONS; i++)
			known |= !strcmp(core_sections[i]->name, sec) &&
			         (!sub || core_sections[i]->sub_keys);
		if (!known) {
			pxh_conf_errors_add(r->errs,
			                    "%s:%d: unknown section [%s] (plugin settings go in plugins.d/NAME.conf)",
			                    r->file, r->line, section);
			return 1;
		}
	}
	{
		struct conf_entry *old = find(r->c, sec, sub, name);

		/* an indented line right after a key continues its value,
		 * joined with one space (long lists, long values) */
		if (old && r->indented && r->last_entry >= 0 &&
		    old == &r->c->e[r->last_entry] && old->file && !strcmp(old->file, r->file)) {
			char *v;

			if (asprintf(&v, "%s %s", old->value, value ? value : "") < 0)
				return 0;
			free(old->value);
			old->value = v;
			return 1;
		}
		if (old) {
			pxh_conf_errors_add(r->errs, "%s:%d: key '%s' in [%s] set twice (first at %s:%d)",
			                    r->file, r->line, name, section, old->file, old->line);
			return 1;
		}
	}
	if (!add_entry(r->c, sec, sub, name, value, r->file, r->line))
		return 0;
	r->last_entry = (long)r->c->n - 1;
	return 1;
}

static char *slurp(const char *file, struct pxh_conf_errors *errs)
{
	FILE *fp = fopen(file, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!fp) {
		pxh_conf_errors_add(errs, "%s: cannot open: %s", file, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t n;
		if (cap - len < 4096) {
			char *nb;
			if (cap > (1u << 20)) {
				pxh_conf_errors_add(errs, "%s: larger than 1 MiB", file);
				free(buf);
				fclose(fp);
				return NULL;
			}
			nb = realloc(buf, cap + 8192);
			if (!nb)
				break;
			buf = nb;
			cap += 8192;
		}
		n = fread(buf + len, 1, cap - len - 1, fp);
		len += n;
		if (n == 0)
			break;
	}
	fclose(fp);
	if (buf)
		buf[len] = 0;
	return buf;
}

static int parse_into(struct pxh_conf *c, const char *file, const char *text,
                      const char *only, struct pxh_conf_errors *errs)
{
	struct reader r = {.file = file, .c = c, .errs = errs, .only = only, .last_entry = -1};
	char *owned = NULL;
	int rc;

	if (!text) {
		owned = slurp(file, errs);
		if (!owned)
			return -EINVAL;
		text = owned;
	}
	r.text = text;
	rc = ini_parse_stream(read_line, &r, on_key, &r);
	free(owned);
	if (rc > 0)
		pxh_conf_errors_add(errs, "%s:%d: syntax error (expected [section] or key = value)",
		                    file, rc);
	else if (rc < 0)
		pxh_conf_errors_add(errs, "%s: out of memory while reading", file);
	return rc ? -EINVAL : 0;
}

/* ---- validation --------------------------------------------------------- */
static const pxh_conf_key *key_in(const pxh_conf_key *keys, const char *name)
{
	for (; keys && keys->name; keys++)
		if (!strcmp(keys->name, name))
			return keys;
	return NULL;
}

/* "value   # note": the parser keeps the note (only " ; note" is cut off);
 * say so when it breaks a value. */
static const char *comment_hint(const char *value)
{
	for (const char *p = value; *p; p++)
		if (*p == '#' && p > value && isspace((unsigned char)p[-1]))
			return " (a '#' after a value is part of it: put the comment on a line of its own)";
	return "";
}

static int check_value(struct conf_entry *e, const pxh_conf_key *k,
                       struct pxh_conf_errors *errs)
{
	const char *hint = comment_hint(e->value);
	char sec[160];
	bool b;
	long long v;

	snprintf(sec, sizeof(sec), "%s%s%s", e->section, e->sub ? "." : "",
	         e->sub ? e->sub : "");
	switch (k->type) {
	case PXH_CONF_BOOL:
		if (pxh_parse_bool(e->value, &b)) {
			pxh_conf_errors_add(errs, "%s:%d: [%s] %s: '%s' is not yes or no%s",
			                    e->file, e->line, sec, e->key, e->value, hint);
			return -EINVAL;
		}
		e->ival = b;
		break;
	case PXH_CONF_INT:
	case PXH_CONF_DURATION:
		if (k->type == PXH_CONF_INT ? parse_int(e->value, &v)
		                            : pxh_parse_duration_ms(e->value, &v)) {
			pxh_conf_errors_add(errs, "%s:%d: [%s] %s: '%s' is not %s%s",
			                    e->file, e->line, sec, e->key, e->value,
			                    k->type == PXH_CONF_INT ? "a whole number"
			                                            : "a duration (500ms, 2s, 5m, 1h)",
			                    hint);
			return -EINVAL;
		}
		if ((k->min || k->max) && (v < k->min || v > k->max)) {
			if (k->type == PXH_CONF_INT)
				pxh_conf_errors_add(errs, "%s:%d: [%s] %s: %lld is out of range %lld..%lld",
				                    e->file, e->line, sec, e->key, v, k->min, k->max);
			else
				pxh_conf_errors_add(errs, "%s:%d: [%s] %s: %s is out of range %lldms..%lldms",
				                    e->file, e->line, sec, e->key, e->value, k->min, k->max);
			return -ERANGE;
		}
		e->ival = v;
		break;
	case PXH_CONF_ENUM:
		if (enum_index(k->choices, e->value) < 0) {
			pxh_conf_errors_add(errs, "%s:%d: [%s] %s: '%s' is not one of %s%s",
			                    e->file, e->line, sec, e->key, e->value, k->choices, hint);
			return -EINVAL;
		}
		break;
	case PXH_CONF_LIST:
		if (split_list(e->value, &e->list, &e->nlist))
			return -ENOMEM;
		break;
	case PXH_CONF_PATH:
		if ((k->flags & PXH_CONF_MUST_EXIST) && !e->is_default) {
			struct stat st;
			if (stat(e->value, &st)) {
				pxh_conf_errors_add(errs, "%s:%d: [%s] %s: %s: %s%s", e->file,
				                    e->line, sec, e->key, e->value, strerror(errno), hint);
				return -ENOENT;
			}
		}
		break;
	case PXH_CONF_STRING:
		break;
	}
	e->checked = true;
	return 0;
}

/* Check every key of [SECTION] or [SECTION.SUB] against KEYS (plus EXTRA),
 * then add defaults for keys not set. */
static int validate(struct pxh_conf *c, const char *section, const char *sub,
                    const pxh_conf_key *keys, const pxh_conf_key *extra,
                    const char *where, struct pxh_conf_errors *errs)
{
	int rc = 0;
	const pxh_conf_key *tables[2] = {extra, keys};

	for (size_t i = 0; i < c->n; i++) {
		struct conf_entry *e = &c->e[i];
		const pxh_conf_key *k;
		if (strcmp(e->section, section) || !same_sub(e->sub, sub) || e->is_default)
			continue;
		k = key_in(extra, e->key);
		if (!k)
			k = key_in(keys, e->key);
		if (!k) {
			pxh_conf_errors_add(errs, "%s:%d: unknown key '%s' in [%s%s%s]",
			                    e->file, e->line, e->key, section,
			                    sub ? "." : "", sub ? sub : "");
			rc = -EINVAL;
			continue;
		}
		if (check_value(e, k, errs))
			rc = -EINVAL;
	}
	for (size_t t = 0; t < 2; t++) {
		for (const pxh_conf_key *k = tables[t]; k && k->name; k++) {
			struct conf_entry *e;
			if (find(c, section, sub, k->name))
				continue;
			if (k->flags & PXH_CONF_REQUIRED) {
				const struct conf_head *h = find_head(c, section, sub);
				char at[640];

				if (h)
					snprintf(at, sizeof(at), "%s:%d", h->file, h->line);
				else
					snprintf(at, sizeof(at), "%s", where);
				pxh_conf_errors_add(errs, "%s: [%s%s%s] needs key '%s' (%s)",
				                    at, section, sub ? "." : "",
				                    sub ? sub : "", k->name, k->help ? k->help : "");
				rc = -EINVAL;
				continue;
			}
			if (!k->def)
				continue;
			e = add_entry(c, section, sub, k->name, k->def, "(default)", 0);
			if (!e)
				return -ENOMEM;
			e->is_default = true;
			if (check_value(e, k, errs))
				rc = -EINVAL;
		}
	}
	return rc;
}

static int add_schema(struct pxh_conf *c, const char *name, const pxh_conf_key *keys,
                      const pxh_conf_key *sub_keys, bool plugin)
{
	struct conf_schema *ns;

	for (size_t i = 0; i < c->nschemas; i++)
		if (!strcmp(c->schemas[i].name, name))
			return 0;
	ns = realloc(c->schemas, (c->nschemas + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	c->schemas = ns;
	ns[c->nschemas].name = strdup(name);
	ns[c->nschemas].keys = keys;
	ns[c->nschemas].sub_keys = sub_keys;
	ns[c->nschemas].plugin = plugin;
	c->nschemas++;
	return 0;
}

/* Sub-section names of SECTION, in file order (unique). */
static size_t subs_of(const struct pxh_conf *c, const char *section,
                      const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; c && i < c->n; i++) {
		const struct conf_entry *e = &c->e[i];
		bool seen = false;
		if (!e->sub || strcmp(e->section, section))
			continue;
		for (size_t j = 0; j < n; j++)
			seen |= !strcmp(out[j], e->sub);
		if (!seen && n < max)
			out[n++] = e->sub;
	}
	return n;
}

int pxh_conf_check_plugin(struct pxh_conf *c, const char *name,
                          const pxh_conf_key *keys, const pxh_conf_key *sub_keys,
                          struct pxh_conf_errors *errs)
{
	const char *subs[256];
	size_t nsubs;
	char where[600];
	int rc = 0;
	struct conf_entry *any = find(c, name, NULL, "enabled");

	snprintf(where, sizeof(where), "%s", any ? any->file : name);
	if (add_schema(c, name, keys, sub_keys, true))
		return -ENOMEM;
	if (validate(c, name, NULL, keys, pxh_plugin_common_keys, where, errs))
		rc = -EINVAL;
	nsubs = subs_of(c, name, subs, 256);
	for (size_t i = 0; i < nsubs; i++) {
		/* validate() may grow c->e: copy the name first. */
		char sub[128];
		snprintf(sub, sizeof(sub), "%s", subs[i]);
		if (!sub_keys) {
			struct conf_entry *e = NULL;
			for (size_t j = 0; j < c->n && !e; j++)
				if (c->e[j].sub && !strcmp(c->e[j].section, name) &&
				    !strcmp(c->e[j].sub, sub))
					e = &c->e[j];
			pxh_conf_errors_add(errs, "%s:%d: plugin %s takes no [%s.NAME] sections",
			                    e ? e->file : where, e ? e->line : 0, name, name);
			rc = -EINVAL;
			continue;
		}
		if (validate(c, name, sub, sub_keys, NULL, where, errs))
			rc = -EINVAL;
	}
	return rc;
}

/* ---- typed binding (PXH_CONF_BIND) ---------------------------------------- */
static bool int_fits(long long v, size_t size, bool is_signed)
{
	int bits = (int)size * 8;

	if (size == 0 || size > 8)
		return false;
	if (is_signed)
		return bits == 64 || (v >= -(1LL << (bits - 1)) && v < (1LL << (bits - 1)));
	return v >= 0 && (bits == 64 || (unsigned long long)v < (1ULL << bits));
}

static void store_int(void *p, size_t size, long long v)
{
	/* two's complement: the low SIZE bytes are the value for signed and
	 * unsigned members alike; memcpy, as the member's exact type (long or
	 * long long, ...) is not known here */
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;
	uint64_t u64 = (uint64_t)v;

	switch (size) {
	case 1: memcpy(p, &u8, 1); break;
	case 2: memcpy(p, &u16, 2); break;
	case 4: memcpy(p, &u32, 4); break;
	default: memcpy(p, &u64, 8); break;
	}
}

/* Which key types a member of kind F takes, and the member sizes. */
static const char *bind_mismatch(const pxh_conf_key *k)
{
	switch (k->field) {
	case PXH_CONF_FIELD_STR:
		if (k->type != PXH_CONF_STRING && k->type != PXH_CONF_PATH &&
		    k->type != PXH_CONF_ENUM)
			return "a const char * member takes only a text, path or choice key";
		return k->size == sizeof(const char *) ? NULL : "member is not a pointer";
	case PXH_CONF_FIELD_INT:
	case PXH_CONF_FIELD_UINT:
		if (k->type != PXH_CONF_INT && k->type != PXH_CONF_DURATION &&
		    k->type != PXH_CONF_BOOL && k->type != PXH_CONF_ENUM)
			return "an integer member takes only a number, duration, yes|no or choice key";
		if (k->size != 1 && k->size != 2 && k->size != 4 && k->size != 8)
			return "integer member of an odd size";
		if ((k->min || k->max) &&
		    (!int_fits(k->min, k->size, k->field == PXH_CONF_FIELD_INT) ||
		     !int_fits(k->max, k->size, k->field == PXH_CONF_FIELD_INT)))
			return "the key's bounds do not fit the member";
		return NULL;
	case PXH_CONF_FIELD_BOOL:
		if (k->type != PXH_CONF_BOOL)
			return "a bool member takes only a yes|no key";
		return k->size == sizeof(bool) ? NULL : "member is not a bool";
	case PXH_CONF_FIELD_DOUBLE:
		if (k->type != PXH_CONF_INT && k->type != PXH_CONF_DURATION)
			return "a double member takes only a number or duration key";
		return k->size == sizeof(double) ? NULL : "member is not a double";
	case PXH_CONF_FIELD_LIST:
		if (k->type != PXH_CONF_LIST)
			return "a pxh_conf_list member takes only a list key";
		return k->size == sizeof(pxh_conf_list) ? NULL : "member is not a pxh_conf_list";
	case PXH_CONF_FIELD_NONE:
		return k->size || k->offset ? "offset or size without a member type" : NULL;
	}
	return "unknown member type";
}

int pxh_conf_keys_check(const char *owner, const pxh_conf_key *keys, size_t size,
                        struct pxh_conf_errors *errs)
{
	int rc = 0;

	for (const pxh_conf_key *k = keys; k && k->name; k++) {
		const char *why = bind_mismatch(k);

		if (!why && k->field != PXH_CONF_FIELD_NONE &&
		    (k->offset > size || k->size > size - k->offset))
			why = size ? "member lies outside the config struct (conf_size)"
			           : "key is bound but there is no config struct (conf_size 0)";
		if (!why)
			continue;
		pxh_conf_errors_add(errs, "%s: key table: '%s': %s", owner, k->name, why);
		rc = -EINVAL;
	}
	return rc;
}

static int fill_one(const struct conf_entry *e, const pxh_conf_key *k, char *p,
                    struct pxh_conf_errors *errs)
{
	long long v = e->ival;

	switch (k->field) {
	case PXH_CONF_FIELD_STR:
		*(const char **)p = e->value;
		return 0;
	case PXH_CONF_FIELD_LIST:
		((pxh_conf_list *)p)->n = e->nlist;
		((pxh_conf_list *)p)->v = (const char *const *)e->list;
		return 0;
	case PXH_CONF_FIELD_BOOL:
		*(bool *)p = e->ival != 0;
		return 0;
	case PXH_CONF_FIELD_DOUBLE:
		*(double *)p = k->type == PXH_CONF_DURATION ? (double)v / 1000.0 : (double)v;
		return 0;
	case PXH_CONF_FIELD_INT:
	case PXH_CONF_FIELD_UINT:
		if (k->type == PXH_CONF_ENUM)
			v = enum_index(k->choices, e->value);
		if (!int_fits(v, k->size, k->field == PXH_CONF_FIELD_INT)) {
			pxh_conf_errors_add(errs, "%s:%d: [%s%s%s] %s: %s is too large here "
			                    "(give it a range: the setting is %u bytes)",
			                    e->is_default ? "(default)" : e->file, e->line,
			                    e->section, e->sub ? "." : "", e->sub ? e->sub : "",
			                    e->key, e->value, (unsigned)k->size);
			return -ERANGE;
		}
		store_int(p, k->size, v);
		return 0;
	}
	return 0;
}

int pxh_conf_fill(const struct pxh_conf *c, const char *section, const char *sub,
                  const pxh_conf_key *keys, void *out, size_t size,
                  struct pxh_conf_errors *errs)
{
	int rc = 0;

	memset(out, 0, size);
	for (const pxh_conf_key *k = keys; k && k->name; k++) {
		const struct conf_entry *e;

		if (k->field == PXH_CONF_FIELD_NONE || k->offset + k->size > size)
			continue;
		e = find(c, section, sub, k->name);
		/* unset without default, or a value validation refused: zero */
		if (!e || !e->checked)
			continue;
		if (fill_one(e, k, (char *)out + k->offset, errs))
			rc = -ERANGE;
	}
	return rc;
}

/* The core sections' structs, once per load.  -ENOMEM leaves some NULL:
 * the caller must not use the config then. */
static int bind_core(struct pxh_conf *c, struct pxh_conf_errors *errs)
{
	for (size_t i = 0; i < N_CORE_SECTIONS; i++) {
		const struct pxh_section_schema *s = core_sections[i];
		size_t nsubs;

		if (s->size) {
			c->core[i] = calloc(1, s->size);
			if (!c->core[i])
				return -ENOMEM;
			pxh_conf_fill(c, s->name, NULL, s->keys, c->core[i], s->size, errs);
		}
		if (!s->sub_size || !(nsubs = pxh_cfg_sub_count(c, s->name)))
			continue;
		c->core_subs[i] = calloc(nsubs, sizeof(void *));
		if (!c->core_subs[i])
			return -ENOMEM;
		for (size_t j = 0; j < nsubs; j++) {
			void *st = calloc(1, s->sub_size);

			if (!st)
				return -ENOMEM;
			c->core_subs[i][c->ncore_subs[i]++] = st;
			pxh_conf_fill(c, s->name, pxh_cfg_sub_name(c, s->name, j), s->sub_keys,
			              st, s->sub_size, errs);
		}
	}
	return 0;
}

const void *pxh_conf_core(const struct pxh_conf *c, enum pxh_core_section s)
{
	return (unsigned)s < N_CORE_SECTIONS ? c->core[s] : NULL;
}

const void *pxh_conf_core_sub(const struct pxh_conf *c, enum pxh_core_section s,
                              size_t i)
{
	if ((unsigned)s >= N_CORE_SECTIONS || i >= c->ncore_subs[s])
		return NULL;
	return c->core_subs[s][i];
}

int pxh_conf_bind_plugin(const struct pxh_conf *c, const char *name,
                         const pxh_conf_key *keys, const pxh_conf_key *sub_keys,
                         size_t size, size_t sub_size, struct pxh_conf_bound *out,
                         struct pxh_conf_errors *errs)
{
	char owner[64];
	size_t nsubs = pxh_cfg_sub_count(c, name);
	int rc = 0;

	memset(out, 0, sizeof(*out));
	snprintf(owner, sizeof(owner), "plugin %s", name);
	if (pxh_conf_keys_check(owner, keys, size, errs) ||
	    pxh_conf_keys_check(owner, sub_keys, sub_size, errs))
		return -EINVAL;
	if (size) {
		out->main = calloc(1, size);
		if (!out->main)
			return -ENOMEM;
		if (pxh_conf_fill(c, name, NULL, keys, out->main, size, errs))
			rc = -ERANGE;
	}
	if (!sub_size || !nsubs)
		return rc;
	out->subs = calloc(nsubs, sizeof(void *));
	if (!out->subs)
		return -ENOMEM;
	for (size_t i = 0; i < nsubs; i++) {
		void *st = calloc(1, sub_size);

		if (!st)
			return -ENOMEM;
		out->subs[out->nsubs++] = st;
		if (pxh_conf_fill(c, name, pxh_cfg_sub_name(c, name, i), sub_keys, st,
		                  sub_size, errs))
			rc = -ERANGE;
	}
	return rc;
}

void pxh_conf_bound_free(struct pxh_conf_bound *b)
{
	free(b->main);
	for (size_t i = 0; i < b->nsubs; i++)
		free(b->subs[i]);
	free(b->subs);
	memset(b, 0, sizeof(*b));
}

const void *pxh_conf_bound_get(const struct pxh_conf *c, const char *name,
                               const struct pxh_conf_bound *b, const char *sub)
{
	if (!sub)
		return b->main;
	for (size_t i = 0; i < b->nsubs; i++) {
		const char *n = pxh_cfg_sub_name(c, name, i);
		if (n && !strcmp(n, sub))
			return b->subs[i];
	}
	return NULL;
}

/* A getter found no value: is KEY declared for SECTION at all?  A key no
 * table declares is a bug in the caller (a typo): say so loudly, once per
 * key, and let the getter return a harmless value.  Sections without a
 * schema (a plugin not enabled) are only unset. */
static bool undeclared(const struct pxh_conf *c, const char *section,
                       const char *sub, const char *key)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static uint32_t said[64];
	static size_t nsaid;
	const struct conf_schema *sc = NULL;
	const pxh_conf_key *keys;
	uint32_t h;
	bool first = true;

	for (size_t i = 0; c && i < c->nschemas && !sc; i++)
		if (!strcmp(c->schemas[i].name, section))
			sc = &c->schemas[i];
	if (!sc)
		return false;
	keys = sub ? sc->sub_keys : sc->keys;
	if (key_in(keys, key) || (sc->plugin && !sub && key_in(pxh_plugin_common_keys, key)))
		return false;
	h = key_hash(section, sub ? "." : NULL, key);
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nsaid; i++)
		first &= said[i] != h;
	if (first && nsaid < 64)
		said[nsaid++] = h;
	pthread_mutex_unlock(&lock);
	if (pxh_conf_strict) {
		fprintf(stderr, "pxehub: lookup of undeclared config key '%s' in [%s%s]: "
		        "not in its key table (a typo?)\n", key, section, sub ? ".SUB" : "");
		abort();
	}
	if (first)
		pxh_err("conf: lookup of undeclared key '%s' in [%s%s] (not in %s's key table: "
		        "a typo?); it reads as empty", key, section, sub ? ".SUB" : "", section);
	return true;
}

/* ---- plugins.d ----------------------------------------------------------- */
static bool valid_plugin_name(const char *s, size_t len)
{
	if (!len || len > 31)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
		    s[i] != '_')
			return false;
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_plugin_dir(struct pxh_conf *c, const char *dir,
                            struct pxh_conf_errors *errs)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d) {
		if (errno != ENOENT)
			pxh_conf_errors_add(errs, "%s: cannot read plugin config directory: %s",
			                    dir, strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char **nf;
		if (len < 6 || strcmp(de->d_name + len - 5, ".conf"))
			continue;
		if (!valid_plugin_name(de->d_name, len - 5)) {
			pxh_conf_errors_add(errs, "%s/%s: plugin names are lower case letters, digits and _",
			                    dir, de->d_name);
			continue;
		}
		nf = realloc(c->plugin_files, (c->nplugin_files + 1) * sizeof(*nf));
		if (!nf)
			break;
		c->plugin_files = nf;
		c->plugin_files[c->nplugin_files] = strndup(de->d_name, len - 5);
		if (c->plugin_files[c->nplugin_files])
			c->nplugin_files++;
	}
	closedir(d);
	if (c->nplugin_files)
		qsort(c->plugin_files, c->nplugin_files, sizeof(char *), cmp_str);
	for (size_t i = 0; i < c->nplugin_files; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.conf", dir, c->plugin_files[i]);
		parse_into(c, path, NULL, c->plugin_files[i], errs);
	}
}

static int cmp_priority(const void *a, const void *b, void *arg)
{
	const struct pxh_conf *c = arg;
	const char *na = *(const char *const *)a, *nb = *(const char *const *)b;
	struct conf_entry *pa = find(c, na, NULL, "priority");
	struct conf_entry *pb = find(c, nb, NULL, "priority");
	long long va = pa ? pa->ival : 100, vb = pb ? pb->ival : 100;

	if (va != vb)
		return va < vb ? -1 : 1;
	return strcmp(na, nb);
}

static void find_enabled(struct pxh_conf *c, struct pxh_conf_errors *errs)
{
	for (size_t i = 0; i < c->nplugin_files; i++) {
		const char *name = c->plugin_files[i];
		struct conf_entry *en = find(c, name, NULL, "enabled");
		struct conf_entry *pr = find(c, name, NULL, "priority");
		bool on = false;
		long long prio;
		if (en && pxh_parse_bool(en->value, &on)) {
			pxh_conf_errors_add(errs, "%s:%d: [%s] enabled: '%s' is not yes or no",
			                    en->file, en->line, name, en->value);
			continue;
		}
		if (pr) {
			if (parse_int(pr->value, &prio)) {
				pxh_conf_errors_add(errs, "%s:%d: [%s] priority: '%s' is not a whole number",
				                    pr->file, pr->line, name, pr->value);
				continue;
			}
			pr->ival = prio;
			pr->checked = true;
		}
		if (on) {
			const char **ne = realloc(c->enabled, (c->nenabled + 1) * sizeof(*ne));
			if (!ne)
				return;
			c->enabled = ne;
			c->enabled[c->nenabled++] = name;
		}
	}
	if (c->nenabled)
		qsort_r(c->enabled, c->nenabled, sizeof(char *), cmp_priority, c);
}

/* [server] user = root (or any uid-0 name) passes the key table, but the
 * daemon then refuses to start ("could regain root"): say so at -t, with
 * what to write instead. */
static void check_server_user(struct pxh_conf *c, struct pxh_conf_errors *errs)
{
	struct conf_entry *e = find(c, "server", NULL, "user");
	struct passwd *pw;

	if (!e || !*e->value)
		return;
	pw = getpwnam(e->value);
	if (strcmp(e->value, "root") && (!pw || pw->pw_uid != 0))
		return;
	pxh_conf_errors_add(errs, "%s:%d: [server] user: '%s' is uid 0, so pxehubd would keep root "
	                    "after binding its ports: name an unprivileged user (user = pxehub), "
	                    "or leave it empty (user =) to stay as started",
	                    e->file, e->line, e->value);
}

struct pxh_conf *pxh_conf_load(const char *path, const char *text,
                               struct pxh_conf_errors *errs)
{
	struct pxh_conf *c = calloc(1, sizeof(*c));
	const char *pdir;

	if (!c)
		return NULL;
	c->main_path = strdup(path ? path : "(embedded)");
	parse_into(c, c->main_path, text, NULL, errs);
	for (size_t i = 0; i < N_CORE_SECTIONS; i++) {
		add_schema(c, core_sections[i]->name, core_sections[i]->keys,
		           core_sections[i]->sub_keys, false);
		validate(c, core_sections[i]->name, NULL, core_sections[i]->keys, NULL,
		         c->main_path, errs);
		if (!core_sections[i]->sub_keys)
			continue;
		size_t nsubs = pxh_cfg_sub_count(c, core_sections[i]->name);
		for (size_t j = 0; j < nsubs; j++) {
			/* validate() may grow c->e: copy the name first */
			char sub[128];
			snprintf(sub, sizeof(sub), "%s",
			         pxh_cfg_sub_name(c, core_sections[i]->name, j));
			validate(c, core_sections[i]->name, sub,
			         core_sections[i]->sub_keys, NULL, c->main_path, errs);
		}
	}
	if (bind_core(c, errs)) {
		pxh_conf_free(c);
		return NULL;
	}
	check_server_user(c, errs);
	pxh_access_conf_check(c, errs);
	pxh_listen_conf_check(c, errs);
	pxh_conf_check_sections(c, errs);
	pdir = pxh_cfg_str(c, "plugins", NULL, "conf_dir");
	if (pdir && *pdir)
		load_plugin_dir(c, pdir, errs);
	find_enabled(c, errs);
	return c;
}

/* ---- getters -------------------------------------------------------------- */
const char *pxh_cfg_str(const struct pxh_conf *c, const char *section,
                        const char *sub, const char *key)
{
	struct conf_entry *e = find(c, section, sub, key);

	if (!e)
		return undeclared(c, section, sub, key) ? "" : NULL;
	return e->value;
}

long long pxh_cfg_int(const struct pxh_conf *c, const char *section,
                      const char *sub, const char *key)
{
	struct conf_entry *e = find(c, section, sub, key);

	if (!e)
		undeclared(c, section, sub, key);
	return e && e->checked ? e->ival : 0;
}

bool pxh_cfg_bool(const struct pxh_conf *c, const char *section,
                  const char *sub, const char *key)
{
	struct conf_entry *e = find(c, section, sub, key);

	if (!e)
		undeclared(c, section, sub, key);
	return e && e->checked ? e->ival != 0 : false;
}

size_t pxh_cfg_list_len(const struct pxh_conf *c, const char *section,
                        const char *sub, const char *key)
{
	struct conf_entry *e = find(c, section, sub, key);

	if (!e)
		undeclared(c, section, sub, key);
	return e ? e->nlist : 0;
}

const char *pxh_cfg_list_item(const struct pxh_conf *c, const char *section,
                              const char *sub, const char *key, size_t i)
{
	struct conf_entry *e = find(c, section, sub, key);

	if (!e)
		undeclared(c, section, sub, key);
	return e && i < e->nlist ? e->list[i] : NULL;
}

const char *pxh_cfg_where(const struct pxh_conf *c, const char *section,
                          const char *sub, const char *key)
{
	static __thread char buf[600];
	struct conf_entry *e = find(c, section, sub, key);

	if (!e)
		return "(unset)";
	if (e->is_default)
		return "(default)";
	snprintf(buf, sizeof(buf), "%s:%d", e->file, e->line);
	return buf;
}

const char *pxh_cfg_section_where(const struct pxh_conf *c,
                                  const char *section, const char *sub)
{
	static __thread char buf[600];
	const struct conf_head *h = find_head(c, section, sub);

	if (!h)
		return c->main_path ? c->main_path : "(embedded)";
	snprintf(buf, sizeof(buf), "%s:%d", h->file, h->line);
	return buf;
}

size_t pxh_cfg_sub_count(const struct pxh_conf *c, const char *section)
{
	const char *subs[256];
	return subs_of(c, section, subs, 256);
}

const char *pxh_cfg_sub_name(const struct pxh_conf *c, const char *section,
                             size_t i)
{
	const char *subs[256];
	size_t n = subs_of(c, section, subs, 256);
	return i < n ? subs[i] : NULL;
}

size_t pxh_cfg_enabled_plugins(const struct pxh_conf *c, const char ***names)
{
	*names = c->enabled;
	return c->nenabled;
}

const char *pxh_cfg_main_path(const struct pxh_conf *c)
{
	return c->main_path;
}

/* ---- documentation from the key tables ------------------------------------ */
static const char *type_name(enum pxh_conf_type t)
{
	switch (t) {
	case PXH_CONF_STRING: return "text";
	case PXH_CONF_INT: return "number";
	case PXH_CONF_BOOL: return "yes|no";
	case PXH_CONF_LIST: return "list";
	case PXH_CONF_DURATION: return "duration";
	case PXH_CONF_PATH: return "path";
	case PXH_CONF_ENUM: return "choice";
	}
	return "?";
}

void pxh_conf_dump_keys(FILE *f, const char *section, const pxh_conf_key *keys)
{
	fprintf(f, "[%s]\n", section);
	for (const pxh_conf_key *k = keys; k && k->name; k++) {
		fprintf(f, "# %s (%s", k->name, k->type == PXH_CONF_ENUM ? k->choices : type_name(k->type));
		if ((k->type == PXH_CONF_INT || k->type == PXH_CONF_DURATION) && (k->min || k->max))
			fprintf(f, ", %lld..%lld%s", k->min, k->max,
			        k->type == PXH_CONF_DURATION ? " ms" : "");
		if (k->flags & PXH_CONF_REQUIRED)
			fprintf(f, ", required");
		fprintf(f, "):");
		{
			const char *h = k->help ? k->help : "";
			int col = 80; /* force a new line before the first word */
			while (*h) {
				const char *sp = strchr(h, ' ');
				int wl = sp ? (int)(sp - h) : (int)strlen(h);
				if (col + wl > 76) {
					fprintf(f, "\n#  ");
					col = 3;
				}
				fprintf(f, " %.*s", wl, h);
				col += wl + 1;
				h += wl;
				while (*h == ' ')
					h++;
			}
			fprintf(f, "\n");
		}
		fprintf(f, "#%s = %s\n", k->name, k->def ? k->def : "");
	}
	fprintf(f, "\n");
}

void pxh_conf_dump(FILE *f)
{
	for (size_t i = 0; i < N_CORE_SECTIONS; i++) {
		char sub[160];

		if (core_sections[i]->keys && core_sections[i]->keys->name)
			pxh_conf_dump_keys(f, core_sections[i]->name,
			                   core_sections[i]->keys);
		if (!core_sections[i]->sub_keys)
			continue;
		snprintf(sub, sizeof(sub), "%s.NAME", core_sections[i]->name);
		pxh_conf_dump_keys(f, sub, core_sections[i]->sub_keys);
	}
}
