/* Files (core/files.c): the TFTP and HTTP roots, resolver hooks, paths. */
#ifndef PXEHUB_FILES_H
#define PXEHUB_FILES_H

#include <stdint.h>
#include <time.h>

#include "pxehub/plugin.h"

struct pxh_server;

#define PXH_FILE_CASEFOLD 0x1  /* match names case-insensitively */
#define PXH_FILE_BACKSLASH 0x2 /* '\' is a separator (Windows loaders) */
#define PXH_FILE_SYMLINKS 0x4  /* follow symlinks that leave the root */

struct pxh_open_file {
	int fd;             /* -1 when served from memory */
	const uint8_t *mem; /* whole content when fd == -1 */
	uint64_t size;
	time_t mtime;
	char path[512]; /* normalised path relative to the root */
	const char *content_type;
	pxh_file vfile; /* resolver-provided content (release calls free_fn) */
};

/* Open PATH below ROOT for reading: resolver hooks first (when C is given),
 * then the file system.  Refuses ".." escapes, absolute paths, NUL, device
 * files, directories and (unless PXH_FILE_SYMLINKS) symlinks leading out of
 * ROOT.  Returns 0, -ENOENT, -EACCES, -EISDIR, -ENAMETOOLONG or -EINVAL. */
int pxh_file_open(struct pxh_server *s, const char *root, const char *path,
                  const pxh_client *c, unsigned flags,
                  struct pxh_open_file *out);
void pxh_file_close(struct pxh_open_file *f);
/* Normalise a request path into OUT ("a/b/c"); same refusals as above. */
int pxh_path_normalise(const char *in, unsigned flags, char *out, size_t len);
const char *pxh_mime_type(const char *path);

#endif /* PXEHUB_FILES_H */
