/* Configuration Manager plugins: the boot media hand-over to WinPE.  The
 * admin exports a boot media's TsmBootstrap.ini and Variables.dat (ConfigMgr
 * console, Create Task Sequence Media, Bootable media) and names them in
 * media_bootstrap_ini / media_variables; they are read once at load (a missing or odd file is a load error, so -t names
 * it), served from memory at /files/sccm/media/NAME and injected by wimboot
 * into X:\Windows\System32 (docs/plugins/sccm_sql.md, "The hand-over to
 * WinPE"). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>

#include "sccm_conf.h"
#include "sccm_media.h"

static const char *const helpers[] = {"winpeshl.ini", "pxehub-media.js"};

/* The entry of DIR named NAME in any case into OUT; 0 or -ENOENT. */
static int find_ci(const char *dir, const char *name, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = -ENOENT;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (!strcasecmp(e->d_name, name)) {
			snprintf(out, len, "%s/%s", dir, e->d_name);
			rc = 0;
			break;
		}
	closedir(d);
	return rc;
}

static int read_all(const char *path, uint8_t **data, size_t *len, char *why, size_t why_len)
{
	struct stat st;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 || fstat(fd, &st)) {
		snprintf(why, why_len, "%.300s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > SCCM_MEDIA_MAX_BYTES) {
		snprintf(why, why_len, "%.300s: not a regular file of 1 to %d bytes", path,
		         SCCM_MEDIA_MAX_BYTES);
		close(fd);
		return -EINVAL;
	}
	*len = (size_t)st.st_size;
	if (!(*data = malloc(*len))) {
		close(fd);
		return -ENOMEM;
	}
	got = read(fd, *data, *len);
	close(fd);
	if (got != (ssize_t)*len) {
		snprintf(why, why_len, "%.300s: short read", path);
		free(*data);
		*data = NULL;
		return -EINVAL;
	}
	return 0;
}

/* TsmBootstrap.ini names the media ([MediaInfo] MediaType=..., as PXEThief
 * reads it); anything else is not a boot media's file. */
static int check_ini(const struct sccm_media *m, size_t i, pxh_host *h, char *why, size_t len)
{
	char *t = strndup((const char *)m->f[i].data, m->f[i].len);
	const char *mt, *pw;
	int rc = 0;

	if (!t)
		return -ENOMEM;
	mt = strcasestr(t, "MediaType=");
	if (!strcasestr(t, "[MediaInfo]") || !mt) {
		snprintf(why, len, "TsmBootstrap.ini has no [MediaInfo] MediaType: not a boot "
		         "media's file");
		rc = -EINVAL;
	} else {
		pw = strcasestr(t, "PasswordRequired=");
		pxh_log(h, PXH_LOG_INFO, NULL, "boot media hand-over: %.*s%s", (int)strcspn(mt, "\r\n"),
		        mt, pw && !strncasecmp(pw + 17, "true", 4)
		                    ? " (PasswordRequired: WinPE will ask for the media password)" : "");
	}
	free(t);
	return rc;
}

/* KEY's file V (or NAME in KEY's folder V when NAME is set) as the next
 * file, injected as AS. */
static int add(pxh_host *h, struct sccm_media *m, const char *key, const char *v,
               const char *name, const char *as, char *why, size_t why_len)
{
	char path[600], one[400];
	int rc = 0;

	snprintf(path, sizeof(path), "%s", v);
	if (name && (rc = find_ci(v, name, path, sizeof(path))))
		snprintf(one, sizeof(one), "%.300s has no %s", v, name);
	if (!rc && (rc = read_all(path, &m->f[m->n].data, &m->f[m->n].len, one, sizeof(one))) ==
	                   -ENOMEM)
		snprintf(one, sizeof(one), "out of memory");
	if (!rc) {
		m->f[m->n].name = as;
		m->n++;
		if (!name && !strcmp(as, "TsmBootstrap.ini"))
			rc = check_ini(m, m->n - 1, h, one, sizeof(one));
	}
	if (rc)
		snprintf(why, why_len, "%s (%s): %s", key, pxh_conf_where(h, NULL, key), one);
	return rc;
}

int sccm_media_load(pxh_host *h, struct sccm_media *m, char *why, size_t why_len)
{
	const struct sccm_conf *cf = sccm_conf(h);
	int ini = *cf->media_bootstrap_ini != '\0';
	int vars = *cf->media_variables != '\0';
	int rc = 0;

	memset(m, 0, sizeof(*m));
	if (ini != vars) {
		snprintf(why, why_len, "%s (%s): the boot media hand-over needs both "
		         "media_bootstrap_ini and media_variables",
		         ini ? "media_bootstrap_ini" : "media_variables",
		         pxh_conf_where(h, NULL, ini ? "media_bootstrap_ini" : "media_variables"));
		return -EINVAL;
	}
	if (!ini) {
		if (*cf->media_helper_dir) {
			snprintf(why, why_len, "media_helper_dir (%s): set media_bootstrap_ini and "
			         "media_variables too", pxh_conf_where(h, NULL, "media_helper_dir"));
			return -EINVAL;
		}
		return 0;
	}
	rc = add(h, m, "media_bootstrap_ini", cf->media_bootstrap_ini, NULL, "TsmBootstrap.ini",
	         why, why_len);
	if (!rc)
		rc = add(h, m, "media_variables", cf->media_variables, NULL, "Variables.dat", why,
		         why_len);
	for (size_t i = 0; !rc && *cf->media_helper_dir && i < 2; i++)
		rc = add(h, m, "media_helper_dir", cf->media_helper_dir, helpers[i], helpers[i], why,
		         why_len);
	if (rc)
		sccm_media_free(m);
	return rc < 0 ? rc : rc ? -EINVAL : 0;
}

void sccm_media_free(struct sccm_media *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->f[i].data);
	memset(m, 0, sizeof(*m));
}

int sccm_media_open(const struct sccm_media *m, const char *name, pxh_file *out)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->f[i].name, name)) {
			/* a copy: a reload may free M while a transfer runs */
			void *copy = malloc(m->f[i].len);
			if (!copy)
				return -ENOMEM;
			memcpy(copy, m->f[i].data, m->f[i].len);
			out->data = copy;
			out->len = m->f[i].len;
			out->content_type = "application/octet-stream";
			out->free_fn = free;
			out->free_arg = copy;
			return 0;
		}
	return -ENOENT;
}
