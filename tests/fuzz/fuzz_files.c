/* libFuzzer target: path normalisation and confined, case-insensitive
 * opening (core/files.c) on a small tree with symlinks in and out of the
 * root.  First byte: flags; the rest: the requested name. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[64];
static size_t root_len;

static void mk(const char *rel, const char *content)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
}

static const char *const entries[] = {
	"Boot/x64/BCD", "undionly.kpxe", "a b.txt", "inside", "etcdir", "up",
	"Boot/back", "Boot/x64", "Boot",
};

/* The tree goes with the process (a file, a link or an empty directory
 * each, in order). */
static void untree(void)
{
	char p[256];

	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, entries[i]);
		if (unlink(p))
			rmdir(p);
	}
	rmdir(root);
}

static void tree(void)
{
	char p[256];

	snprintf(root, sizeof(root), "/tmp/pxh-fuzz-files.XXXXXX");
	if (!mkdtemp(root))
		abort();
	root_len = strlen(root);
	atexit(untree);
	snprintf(p, sizeof(p), "%s/Boot", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/Boot/x64", root);
	mkdir(p, 0755);
	mk("Boot/x64/BCD", "bcd");
	mk("undionly.kpxe", "loader");
	mk("a b.txt", "space");
	snprintf(p, sizeof(p), "%s/inside", root);
	(void)!symlink("undionly.kpxe", p);
	snprintf(p, sizeof(p), "%s/etcdir", root);
	(void)!symlink("/etc", p);
	snprintf(p, sizeof(p), "%s/up", root);
	(void)!symlink("..", p);
	snprintf(p, sizeof(p), "%s/Boot/back", root);
	(void)!symlink("..", p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned flag_sets[4] = {
		0, PXH_FILE_BACKSLASH, PXH_FILE_CASEFOLD,
		PXH_FILE_CASEFOLD | PXH_FILE_BACKSLASH,
	};
	char name[1200], norm[512];
	struct pxh_open_file f;
	unsigned flags;
	int rc;

	if (!root[0])
		tree();
	if (size < 1 || size > sizeof(name))
		return 0;
	flags = flag_sets[data[0] & 3];
	memcpy(name, data + 1, size - 1);
	name[size - 1] = 0;

	rc = pxh_path_normalise(name, flags, norm, sizeof(norm));
	if (rc == 0) {
		/* relative, no empty, "." or ".." component, no control bytes */
		if (norm[0] == '/' || !norm[0])
			abort();
		for (const char *c = norm;; c = strchr(c, '/') + 1) {
			size_t l = strcspn(c, "/");

			if (l == 0 || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
				abort();
			if (!c[l])
				break;
		}
		for (const char *c = norm; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				abort();
	}
	rc = pxh_file_open(NULL, root, name, NULL, flags, &f);
	if (rc == 0) {
		char proc[64], real[4096];
		ssize_t n;

		/* whatever opened lies below the root (never /etc/...) */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f.fd);
		n = readlink(proc, real, sizeof(real) - 1);
		if (n > 0) {
			real[n] = 0;
			if (strncmp(real, root, root_len) != 0 || real[root_len] != '/')
				abort();
		}
		if (f.path[0] == '/')
			abort();
		pxh_file_close(&f);
	}
	return 0;
}
