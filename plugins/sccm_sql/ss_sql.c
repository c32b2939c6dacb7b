/* sccm_sql: SQL templates from the admin's files, :name placeholders
 * expanded into literals (the only place query text is built). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sccm_sql.h"

#define SS_SQL_MAX (64 * 1024)

struct buf {
	char *p;
	size_t len, cap;
};

static int put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > SS_SQL_MAX)
		return -E2BIG;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* N'text' with quotes doubled; control characters refused, since no
 * identifier the plugin sends has any. */
static int put_text(struct buf *b, const char *s)
{
	int rc = put(b, "N'", 2);

	for (; !rc && *s; s++) {
		if ((unsigned char)*s < 0x20)
			return -EINVAL;
		rc = *s == '\'' ? put(b, "''", 2) : put(b, s, 1);
	}
	return rc ? rc : put(b, "'", 1);
}

static const struct ss_param *find(const struct ss_param *p, size_t n,
                                   const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(p[i].name) == len && !strncmp(p[i].name, name, len))
			return &p[i];
	return NULL;
}

char *ss_sql_expand(const char *t, size_t len, const struct ss_param *params,
                    size_t n, char *why, size_t why_len)
{
	struct buf b = {0};
	size_t i = 0;
	int rc = 0;

	while (i < len && !rc) {
		size_t start = i;
		char ch = t[i];

		if (ch == '\0') {
			snprintf(why, why_len, "NUL byte in the SQL file");
			rc = -EINVAL;
			break;
		}
		if (ch == '\'' || ch == '"' || ch == '[') {
			char close = ch == '[' ? ']' : ch;
			for (i++; i < len && t[i] != close; i++)
				;
			if (i >= len) {
				snprintf(why, why_len, "unterminated %c", ch);
				rc = -EINVAL;
				break;
			}
			i++;
			rc = put(&b, t + start, i - start);
		} else if (ch == '-' && i + 1 < len && t[i + 1] == '-') {
			while (i < len && t[i] != '\n')
				i++;
			rc = put(&b, t + start, i - start);
		} else if (ch == '/' && i + 1 < len && t[i + 1] == '*') {
			const char *end = NULL;
			for (size_t k = i + 2; k + 1 < len; k++)
				if (t[k] == '*' && t[k + 1] == '/') {
					end = t + k + 2;
					break;
				}
			if (!end) {
				snprintf(why, why_len, "unterminated comment");
				rc = -EINVAL;
				break;
			}
			i = (size_t)(end - t);
			rc = put(&b, t + start, i - start);
		} else if (ch == ':' && i + 1 < len &&
		           (isalpha((unsigned char)t[i + 1]) || t[i + 1] == '_') &&
		           !(i > 0 && t[i - 1] == ':')) {
			const struct ss_param *p;
			for (i++; i < len && (isalnum((unsigned char)t[i]) || t[i] == '_'); i++)
				;
			p = find(params, n, t + start + 1, i - start - 1);
			if (!p) {
				snprintf(why, why_len, "unknown placeholder :%.*s",
				         (int)(i - start - 1 > 40 ? 40 : i - start - 1),
				         t + start + 1);
				rc = -EINVAL;
				break;
			}
			if (p->is_int) {
				char num[32];
				int k = snprintf(num, sizeof(num), "%lld", p->num);
				rc = put(&b, num, (size_t)k);
			} else if (!p->text) {
				rc = put(&b, "NULL", 4);
			} else if ((rc = put_text(&b, p->text)) == -EINVAL) {
				snprintf(why, why_len, "value of :%s not valid text", p->name);
			}
		} else {
			i++;
			rc = put(&b, t + start, 1);
		}
		if (rc == -E2BIG)
			snprintf(why, why_len, "statement longer than %d bytes", SS_SQL_MAX);
	}
	if (!rc && !b.p)
		rc = put(&b, "", 0);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(why, why_len, "out of memory");
		free(b.p);
		return NULL;
	}
	return b.p;
}
