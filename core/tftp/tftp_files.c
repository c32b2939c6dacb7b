/* Opening the file a TFTP request names: the core's confined open, with the
 * case-insensitive lookup Windows loaders need done here component by
 * component (the name found is opened through pxh_file_open again, so
 * confinement and resolver hooks stay the core's). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tftp_server.h"

#define MAX_COMPONENTS 64

/* One component COMP in directory DFD, case-insensitively: the on-disk
 * spelling into OUT. */
static int find_entry(int dfd, const char *comp, char *out, size_t len)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd, rc = -ENOENT;

	if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		snprintf(out, len, "%s", comp); /* exact spelling first */
		return 0;
	}
	fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOENT;
	}
	while ((de = readdir(d))) {
		if (strcasecmp(de->d_name, comp) == 0 &&
		    strlen(de->d_name) < len) {
			snprintf(out, len, "%s", de->d_name);
			rc = 0;
			break;
		}
	}
	closedir(d);
	return rc;
}

/* NORM ("a/b/c") below ROOT ignoring case; REAL gets the spelling on disk.
 * Directories are entered without following symlinks: the final open is
 * the core's, which applies the confinement rules. */
static int casefold_path(const char *root, const char *norm, char *real,
                         size_t len)
{
	char comp[256], found[256];
	const char *p = norm;
	size_t o = 0;
	int dfd, nfd, rc = 0;

	dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -ENOENT;
	real[0] = 0;
	for (int i = 0; *p && i < MAX_COMPONENTS; i++) {
		const char *slash = strchr(p, '/');
		size_t clen = slash ? (size_t)(slash - p) : strlen(p);

		if (clen >= sizeof(comp)) {
			rc = -ENAMETOOLONG;
			break;
		}
		memcpy(comp, p, clen);
		comp[clen] = 0;
		rc = find_entry(dfd, comp, found, sizeof(found));
		if (rc)
			break;
		if (o + strlen(found) + 2 > len) {
			rc = -ENAMETOOLONG;
			break;
		}
		o += (size_t)snprintf(real + o, len - o, "%s%s", o ? "/" : "", found);
		p += clen;
		if (*p == '/')
			p++;
		if (!*p)
			break;
		nfd = openat(dfd, found, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
		dfd = nfd;
		if (dfd < 0) {
			rc = -ENOENT;
			break;
		}
	}
	if (dfd >= 0)
		close(dfd);
	if (!rc && *p)
		rc = -ENAMETOOLONG; /* more components than MAX_COMPONENTS */
	return rc;
}

int tftp_file_open(struct pxh_tftp *t, const char *req, const pxh_client *c,
                   struct pxh_open_file *f)
{
	unsigned flags = t->cfg.file_flags & ~(unsigned)PXH_FILE_CASEFOLD;
	char norm[512], real[512];
	int rc;

	rc = pxh_file_open(t->srv, t->cfg.root, req, c, flags, f);
	if (rc != -ENOENT || !(t->cfg.file_flags & PXH_FILE_CASEFOLD))
		return rc;
	if (pxh_path_normalise(req, flags, norm, sizeof(norm)) != 0 ||
	    casefold_path(t->cfg.root, norm, real, sizeof(real)) != 0 ||
	    strcmp(real, norm) == 0)
		return rc;
	return pxh_file_open(t->srv, t->cfg.root, real, c, flags, f);
}
