/* Serving files: path normalisation and confinement below a root, resolver
 * hooks for virtual files, case-insensitive lookup for Windows loaders. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "files.h"
#include "plugins.h"
#include "server.h"
#include "str.h"

int pxh_path_normalise(const char *in, unsigned flags, char *out, size_t len)
{
	size_t o = 0;
	const char *p = in;

	if (!in || !out || len < 2)
		return -EINVAL;
	while (*p) {
		const char *start;
		size_t clen;
		/* Separators; a leading one means "from the root", as TFTP and
		 * Windows loaders send it. */
		while (*p == '/' || ((flags & PXH_FILE_BACKSLASH) && *p == '\\'))
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != '/' && !((flags & PXH_FILE_BACKSLASH) && *p == '\\')) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return -EINVAL;
			p++;
		}
		clen = (size_t)(p - start);
		if (clen > 255)
			return -ENAMETOOLONG;
		if (clen == 1 && start[0] == '.')
			continue;
		if (clen == 2 && start[0] == '.' && start[1] == '.')
			return -EACCES;
		if (o + clen + 2 > len)
			return -ENAMETOOLONG;
		if (o)
			out[o++] = '/';
		memcpy(out + o, start, clen);
		o += clen;
	}
	if (!o)
		return -EISDIR;
	out[o] = 0;
	return 0;
}

#define MAX_COMPONENTS 64

/* Without openat2 (a kernel before 5.6 says ENOSYS; a seccomp filter that
 * refuses it, as some container runtimes have, says EPERM): component by
 * component from ROOTFD, every directory and the file itself opened with
 * O_NOFOLLOW, so no symlink is followed at all, inside the root neither
 * (confinement before convenience); ".." is refused.  -1 with errno:
 * ELOOP for a symlink on the way (the caller's "access denied"). */
static int open_walk(int rootfd, const char *path)
{
	char comp[256];
	const char *p = path;
	int dfd = rootfd, fd = -1, e = 0;

	for (int i = 0;; i++) {
		const char *slash = strchr(p, '/');
		size_t clen = slash ? (size_t)(slash - p) : strlen(p);
		struct stat st;

		if (i >= MAX_COMPONENTS || clen >= sizeof(comp)) {
			e = ENAMETOOLONG;
			break;
		}
		memcpy(comp, p, clen);
		comp[clen] = 0;
		if (!clen || !strcmp(comp, ".") || !strcmp(comp, "..")) {
			e = EACCES;
			break;
		}
		if (!slash) {
			fd = openat(dfd, comp, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
			e = fd < 0 ? errno : 0;
			break;
		}
		fd = openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) || !S_ISDIR(st.st_mode)) {
			e = fd < 0 ? errno : ENOTDIR;
			/* a symlink where a directory should be: refused, not
			 * "not found" */
			if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				e = ELOOP;
			if (fd >= 0)
				close(fd);
			fd = -1;
			break;
		}
		if (dfd != rootfd)
			close(dfd);
		dfd = fd;
		fd = -1;
		p = slash + 1;
	}
	if (dfd != rootfd)
		close(dfd);
	errno = e;
	return fd;
}

static int open_beneath(int rootfd, const char *path, bool follow_out)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (follow_out)
		return openat(rootfd, path, (int)how.flags);
	fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		return open_walk(rootfd, path);
	if (fd < 0 && errno == EXDEV)
		errno = EACCES; /* escaped the root */
	return (int)fd;
}

/* One component COMP in directory DFD, case-insensitively: the on-disk
 * spelling into OUT. */
static int find_entry(int dfd, const char *comp, char *out, size_t len)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd, rc = -ENOENT;

	if (fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		pxh_strcpy(out, len, comp); /* exact spelling first */
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
		if (strcasecmp(de->d_name, comp) == 0 && strlen(de->d_name) < len) {
			pxh_strcpy(out, len, de->d_name);
			rc = 0;
			break;
		}
	}
	closedir(d);
	return rc;
}

/* PATH ("a/b/c") below ROOTFD ignoring case; REAL gets the spelling on
 * disk.  Directories are entered without following symlinks: the final
 * open applies the confinement rules. */
static int casefold_lookup(int rootfd, const char *path, char *real, size_t len)
{
	char comp[256], found[256];
	const char *p = path;
	size_t o = 0;
	int dfd, nfd, rc = 0;

	/* ROOTFD is O_PATH: a directory that can be read needs its own fd. */
	dfd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

static int try_resolvers(struct pxh_server *s, const char *path,
                         const pxh_client *c, struct pxh_open_file *out)
{
	pxh_client none;

	if (!c) {
		memset(&none, 0, sizeof(none));
		none.struct_size = sizeof(none);
		c = &none;
	}
	for (struct pxh_hook *k = pxh_hooks(s, PXH_HOOK_RESOLVE); k; k = k->next) {
		pxh_file f = {.struct_size = sizeof(f)};
		int rc = k->fn.resolve(k->ud, c, path, &f);
		if (rc == -ENOENT)
			continue;
		if (rc)
			return rc < 0 ? rc : -EACCES;
		out->fd = -1;
		out->mem = f.data;
		out->size = f.len;
		out->mtime = (time_t)ev_now(s->loop);
		out->content_type = f.content_type ? f.content_type : pxh_mime_type(path);
		out->vfile = f;
		return 0;
	}
	return -ENOENT;
}

int pxh_file_open(struct pxh_server *s, const char *root, const char *path,
                  const pxh_client *c, unsigned flags,
                  struct pxh_open_file *out)
{
	char norm[512], real[512];
	struct stat st;
	int rootfd = -1, fd = -1, rc;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	rc = pxh_path_normalise(path, flags, norm, sizeof(norm));
	if (rc)
		return rc;
	snprintf(out->path, sizeof(out->path), "%s", norm);
	if (s) {
		/* GRUB's generated stage 1 first ([boot] grub_prefixes
		 * decides, not a grub.cfg in the root), then the resolvers.
		 * A resolver that refuses (anything but -ENOENT) decides: the
		 * file system copy is not served behind its back. */
		rc = s->proto.generated_file
		     ? s->proto.generated_file(s, norm, c, out) : -ENOENT;
		if (rc == -ENOENT)
			rc = try_resolvers(s, norm, c, out);
		if (rc != -ENOENT)
			return rc;
	}
	if (!root || !*root)
		return -ENOENT;
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -ENOENT;
	fd = open_beneath(rootfd, norm, flags & PXH_FILE_SYMLINKS);
	if (fd < 0 && errno == ENOENT && (flags & PXH_FILE_CASEFOLD)) {
		if (casefold_lookup(rootfd, norm, real, sizeof(real)) == 0 &&
		    strcmp(real, norm) != 0) {
			fd = open_beneath(rootfd, real, flags & PXH_FILE_SYMLINKS);
			if (fd >= 0)
				pxh_strcpy(out->path, sizeof(out->path), real);
		} else {
			errno = ENOENT; /* the lookup must not change the answer */
		}
	}
	if (fd < 0) {
		rc = errno == ENOENT || errno == ENOTDIR ? -ENOENT
		     : errno == ELOOP ? -EACCES : -errno;
		goto out;
	}
	if (fstat(fd, &st)) {
		rc = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EACCES;
		goto out;
	}
	/* O_NONBLOCK (there so that opening a FIFO cannot hang) stays: it
	 * changes nothing for reads of a regular file. */
	out->fd = fd;
	fd = -1;
	out->size = (uint64_t)st.st_size;
	out->mtime = st.st_mtime;
	out->content_type = pxh_mime_type(out->path);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rootfd >= 0)
		close(rootfd);
	return rc;
}

void pxh_file_close(struct pxh_open_file *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->vfile.free_fn)
		f->vfile.free_fn(f->vfile.free_arg);
	memset(&f->vfile, 0, sizeof(f->vfile));
	f->mem = NULL;
}

const char *pxh_mime_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{".ipxe", "text/plain; charset=utf-8"},
		{".txt", "text/plain; charset=utf-8"},
		{".cfg", "text/plain; charset=utf-8"},
		{".html", "text/html; charset=utf-8"},
		{".json", "application/json"},
		{".xml", "application/xml"},
		{".efi", "application/efi"},
		{".iso", "application/x-iso9660-image"},
		{".gz", "application/gzip"},
		{".tar", "application/x-tar"},
	};
	const char *dot = strrchr(path, '.');

	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcasecmp(dot, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}
