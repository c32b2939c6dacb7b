/* sccm_sql: a result set held as text cells. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sccm_sql.h"

#define SS_MAX_ROWS 4096 /* a device never has more deployments than this */

void ss_table_free(struct ss_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->names && i < t->ncols; i++)
		free(t->names[i]);
	for (size_t i = 0; t->cells && i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->names);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

int ss_table_set_names(struct ss_table *t, size_t ncols)
{
	ss_table_free(t);
	if (ncols == 0 || ncols > 256)
		return -EINVAL;
	t->names = calloc(ncols, sizeof(*t->names));
	if (!t->names)
		return -ENOMEM;
	t->ncols = ncols;
	return 0;
}

int ss_table_add_row(struct ss_table *t)
{
	if (!t->ncols || t->nrows >= SS_MAX_ROWS)
		return -E2BIG;
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		char **c = realloc(t->cells, cap * t->ncols * sizeof(*c));
		if (!c)
			return -ENOMEM;
		t->cells = c;
		t->cap = cap;
	}
	memset(t->cells + t->nrows * t->ncols, 0, t->ncols * sizeof(*t->cells));
	t->nrows++;
	return 0;
}

int ss_table_col(const struct ss_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (t->names[i] && !strcasecmp(t->names[i], name))
			return (int)i;
	return -1;
}

const char *ss_table_get(const struct ss_table *t, size_t r, const char *name)
{
	int c = ss_table_col(t, name);

	if (c < 0 || r >= t->nrows)
		return NULL;
	return t->cells[r * t->ncols + (size_t)c];
}

void ss_row_text(const struct ss_table *t, size_t r, char *out, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	out[0] = '\0';
	for (size_t c = 0; r < t->nrows && c < t->ncols && o + 1 < len; c++) {
		const char *v = t->cells[r * t->ncols + c];
		const char *name = t->names[c] ? t->names[c] : "";
		int k = snprintf(out + o, len - o, "%s%s=", c ? ", " : "", name[0] ? name : "?");
		if (k < 0 || (size_t)k >= len - o)
			break;
		o += (size_t)k;
		if (!v) {
			k = snprintf(out + o, len - o, "NULL");
			o += k > 0 && (size_t)k < len - o ? (size_t)k : 0;
			continue;
		}
		for (; *v && o + 5 < len; v++) {
			unsigned char ch = (unsigned char)*v;
			if (ch < 0x20 || ch >= 0x7f || ch == '\\')
				o += (size_t)snprintf(out + o, len - o, "\\x%02x", ch);
			else
				out[o++] = (char)ch;
		}
		out[o] = '\0';
	}
}

int ss_table_copy(struct ss_table *dst, const struct ss_table *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!src->ncols)
		return 0;
	if (ss_table_set_names(dst, src->ncols))
		return -ENOMEM;
	for (size_t c = 0; c < src->ncols; c++)
		if (src->names[c] && !(dst->names[c] = strdup(src->names[c])))
			goto oom;
	for (size_t r = 0; r < src->nrows; r++) {
		if (ss_table_add_row(dst))
			goto oom;
		for (size_t c = 0; c < src->ncols; c++) {
			const char *v = src->cells[r * src->ncols + c];
			if (v && !(dst->cells[r * src->ncols + c] = strdup(v)))
				goto oom;
		}
	}
	return 0;
oom:
	ss_table_free(dst);
	return -ENOMEM;
}
