/* Confined file opening: normalisation, traversal, symlinks, devices,
 * directories, case-insensitive lookup, resolver hooks. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core_fixture.h"

static char *root;

static int setup(void **st)
{
	char p[600];

	root = fx_mkdtemp();
	snprintf(p, sizeof(p), "%s/Boot", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/Boot/x64", root);
	mkdir(p, 0755);
	fx_write(root, "Boot/x64/BCD", "bcd-data");
	fx_write(root, "undionly.kpxe", "loader");
	snprintf(p, sizeof(p), "%s/inside", root);
	assert_int_equal(symlink("undionly.kpxe", p), 0);
	snprintf(p, sizeof(p), "%s/outside", root);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/up", root);
	assert_int_equal(symlink("../", p), 0);
	snprintf(p, sizeof(p), "%s/fifo", root);
	assert_int_equal(mkfifo(p, 0644), 0);
	return 0;
}

static int teardown(void **st)
{
	fx_rmrf(root);
	free(root);
	return 0;
}

static int open_rc(const char *path, unsigned flags)
{
	struct pxh_open_file f;
	int rc = pxh_file_open(NULL, root, path, NULL, flags, &f);

	if (rc == 0)
		pxh_file_close(&f);
	return rc;
}

static void test_normalise(void **st)
{
	char out[64];

	assert_int_equal(pxh_path_normalise("/a//b/./c", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "a/b/c");
	assert_int_equal(pxh_path_normalise("\\Boot\\x64\\BCD", PXH_FILE_BACKSLASH, out, sizeof(out)), 0);
	assert_string_equal(out, "Boot/x64/BCD");
	/* without the mapping a backslash is part of the name */
	assert_int_equal(pxh_path_normalise("\\Boot\\BCD", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "\\Boot\\BCD");
	assert_int_equal(pxh_path_normalise("a/../../etc/passwd", 0, out, sizeof(out)), -EACCES);
	assert_int_equal(pxh_path_normalise("..\\x", PXH_FILE_BACKSLASH, out, sizeof(out)), -EACCES);
	assert_int_equal(pxh_path_normalise("a\nb", 0, out, sizeof(out)), -EINVAL);
	assert_int_equal(pxh_path_normalise("/", 0, out, sizeof(out)), -EISDIR);
	assert_int_equal(pxh_path_normalise("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	                                    0, out, sizeof(out)), -ENAMETOOLONG);
}

static void test_confinement(void **st)
{
	struct pxh_open_file f;

	assert_int_equal(pxh_file_open(NULL, root, "/undionly.kpxe", NULL, 0, &f), 0);
	assert_int_equal(f.size, 6);
	assert_true(f.fd >= 0);
	pxh_file_close(&f);
	assert_int_equal(open_rc("inside", 0), 0);            /* symlink within the root */
	assert_int_equal(open_rc("outside", 0), -EACCES);     /* symlink out of it */
	assert_int_equal(open_rc("outside", PXH_FILE_SYMLINKS), 0); /* unless configured */
	assert_int_equal(open_rc("up/etc/passwd", 0), -EACCES);
	assert_int_equal(open_rc("../etc/passwd", 0), -EACCES);
	assert_int_equal(open_rc("/etc/passwd", 0), -ENOENT); /* rooted, not absolute */
	assert_int_equal(open_rc("Boot", 0), -EISDIR);
	assert_int_equal(open_rc("fifo", 0), -EACCES);        /* no devices, fifos */
	assert_int_equal(open_rc("%2e%2e/etc/passwd", 0), -ENOENT); /* no decoding here */
	assert_int_equal(open_rc("missing", 0), -ENOENT);
}

static void test_casefold(void **st)
{
	struct pxh_open_file f;
	unsigned win = PXH_FILE_CASEFOLD | PXH_FILE_BACKSLASH;

	assert_int_equal(open_rc("boot/X64/bcd", 0), -ENOENT);
	assert_int_equal(pxh_file_open(NULL, root, "\\BOOT\\x64\\bcd", NULL, win, &f), 0);
	assert_string_equal(f.path, "Boot/x64/BCD");
	assert_int_equal(f.size, 8);
	pxh_file_close(&f);
	/* a missing file stays "not found" (not another error) */
	assert_int_equal(open_rc("\\BOOT\\x64\\nothere", win), -ENOENT);
	assert_int_equal(open_rc("nodir/x", win), -ENOENT);
	/* case folding does not open a way out */
	assert_int_equal(open_rc("OUTSIDE", win), -EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_confinement),
		cmocka_unit_test(test_casefold),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
