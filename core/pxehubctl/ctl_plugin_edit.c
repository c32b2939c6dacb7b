/* Editing plugins.d/NAME.conf in place: only the "enabled" line changes, so
 * the admin's comments, order and other keys survive. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

#define MAX_CONF_SIZE (1 << 20)

static int read_all(const char *path, char **out, size_t *len, struct stat *st)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n;
	int rc = 0;

	*out = NULL;
	*len = 0;
	if (!f)
		return -errno;
	if (fstat(fileno(f), st)) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st->st_mode) || st->st_size > MAX_CONF_SIZE) {
		rc = -EINVAL;
		goto out;
	}
	buf = malloc((size_t)st->st_size + 1);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	n = fread(buf, 1, (size_t)st->st_size, f);
	if (ferror(f)) {
		rc = -EIO;
		goto out;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return rc;
}

/* Whether LINE opens section [NAME]; *IS_HEADER whether it opens any. */
static bool header_is(const char *line, size_t len, const char *name,
                      bool *is_header)
{
	size_t i = 0, nl = strlen(name);

	*is_header = false;
	while (i < len && isblank((unsigned char)line[i]))
		i++;
	if (i >= len || line[i] != '[')
		return false;
	*is_header = true;
	i++;
	while (i < len && isblank((unsigned char)line[i]))
		i++;
	if (len - i < nl || strncmp(line + i, name, nl))
		return false;
	i += nl;
	while (i < len && isblank((unsigned char)line[i]))
		i++;
	return i < len && line[i] == ']';
}

/* Offset and length of the value of an "enabled = X" line, or false. */
static bool enabled_value(const char *line, size_t len, size_t *voff,
                          size_t *vlen)
{
	size_t i = 0, end;

	while (i < len && isblank((unsigned char)line[i]))
		i++;
	if (len - i < 7 || strncmp(line + i, "enabled", 7))
		return false;
	i += 7;
	while (i < len && isblank((unsigned char)line[i]))
		i++;
	if (i >= len || (line[i] != '=' && line[i] != ':'))
		return false;
	i++;
	while (i < len && isblank((unsigned char)line[i]))
		i++;
	end = i;
	/* The value ends at the line end or an inline comment. */
	while (end < len && line[end] != '\n' && line[end] != '\r' &&
	       line[end] != ';' && line[end] != '#')
		end++;
	while (end > i && isblank((unsigned char)line[end - 1]))
		end--;
	*voff = i;
	*vlen = end - i;
	return true;
}

/* Walk the lines of TEXT; for each, tell whether it is a section header,
 * whether it opens [NAME], and whether it is an "enabled" line there. */
struct line {
	const char *p;
	size_t len;
	bool hdr, mine, enabled;
	size_t voff, vlen;
};

static const char *next_line(const char *p, const char *end, bool *in_sec,
                             const char *name, struct line *l)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	l->p = p;
	l->len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
	l->mine = header_is(p, l->len, name, &l->hdr);
	if (l->hdr)
		*in_sec = l->mine;
	l->enabled = !l->hdr && *in_sec &&
	             enabled_value(p, l->len, &l->voff, &l->vlen);
	return p + l->len;
}

static void edit(FILE *o, const char *text, size_t len, const char *name,
                 const char *val)
{
	const char *p, *end = text + len;
	bool in_sec = false, has_sec = false, has_enabled = false, done = false;
	struct line l;

	for (p = text; p < end;) {
		p = next_line(p, end, &in_sec, name, &l);
		has_sec |= l.mine;
		has_enabled |= l.enabled;
	}
	in_sec = false;
	for (p = text; p < end;) {
		p = next_line(p, end, &in_sec, name, &l);
		/* No [NAME] yet: add it above the first section, below the
		 * file's opening comments. */
		if (l.hdr && !has_sec && !done) {
			fprintf(o, "[%s]\nenabled = %s\n\n", name, val);
			done = true;
		}
		if (l.enabled) {
			fwrite(l.p, 1, l.voff, o);
			fputs(val, o);
			fwrite(l.p + l.voff + l.vlen, 1, l.len - l.voff - l.vlen, o);
			continue;
		}
		fwrite(l.p, 1, l.len, o);
		if (l.mine && !has_enabled && !done) {
			if (l.p[l.len - 1] != '\n')
				fputc('\n', o);
			fprintf(o, "enabled = %s\n", val);
			done = true;
		}
	}
	if (!has_sec && !done) {
		if (len && text[len - 1] != '\n')
			fputc('\n', o);
		fprintf(o, "%s[%s]\nenabled = %s\n", len ? "\n" : "", name, val);
	}
}

static int write_replace(const char *path, const char *data, size_t len,
                         const struct stat *st, bool existed)
{
	char tmp[4096];
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, existed ? st->st_mode & 07777 : 0644) ||
	    (existed && fchown(fd, st->st_uid, st->st_gid) && errno != EPERM) ||
	    write(fd, data, len) != (ssize_t)len || fsync(fd)) {
		rc = -errno;
		if (!rc)
			rc = -EIO;
	}
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

int ctl_set_enabled(const char *path, const char *name, bool on)
{
	struct stat st = {0};
	char *text = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	bool existed = true;
	FILE *o;
	int rc;

	rc = read_all(path, &text, &len, &st);
	if (rc == -ENOENT) {
		existed = false;
		rc = 0;
	}
	if (rc)
		goto out;
	o = open_memstream(&out, &olen);
	if (!o) {
		rc = -ENOMEM;
		goto out;
	}
	if (!existed)
		fprintf(o, "# pxehub plugin %s (created by pxehubctl)\n", name);
	edit(o, text ? text : "", len, name, on ? "yes" : "no");
	if (fclose(o)) {
		rc = -ENOMEM;
		goto out;
	}
	rc = write_replace(path, out, olen, &st, existed);
out:
	free(text);
	free(out);
	return rc;
}
