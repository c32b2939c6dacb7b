/* Confined file opening: normalisation, traversal, symlinks, devices,
 * directories, case-insensitive lookup, resolver hooks. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core_fixture.h"
#include "files.h"

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
	snprintf(p, sizeof(p), "%s/etcdir", root); /* a directory symlink out */
	assert_int_equal(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/Boot/x64/bootdir", root); /* one inside */
	assert_int_equal(symlink("..", p), 0);
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

/* Confinement as the fallback walk gives it (and openat2 agrees). */
static void check_confined(void)
{
	assert_int_equal(open_rc("undionly.kpxe", 0), 0);
	assert_int_equal(open_rc("Boot/x64/BCD", 0), 0);
	assert_int_equal(open_rc("etcdir/passwd", 0), -EACCES); /* dir symlink out */
	assert_int_equal(open_rc("etcdir/hostname", PXH_FILE_CASEFOLD), -EACCES);
	assert_int_equal(open_rc("up/etc/passwd", 0), -EACCES);
	assert_int_equal(open_rc("outside", 0), -EACCES);
	assert_int_equal(open_rc("Boot", 0), -EISDIR);
	assert_int_equal(open_rc("fifo", 0), -EACCES);
	assert_int_equal(open_rc("missing/x", 0), -ENOENT);
	assert_int_equal(open_rc("undionly.kpxe/x", 0), -ENOENT);
}

/* In a child under a seccomp filter that answers openat2 with ERR (ENOSYS
 * as on kernels before 5.6, EPERM as some container runtimes): the walk
 * takes over, and no symlink leads out of the root. */
static void run_without_openat2(int err)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct open_how how = {.flags = O_RDONLY};

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(2);
		/* the filter is in force */
		if (syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how)) >= 0 || errno != err)
			_exit(3);
		check_confined();
		/* no symlink at all without openat2, inside the root neither */
		assert_int_equal(open_rc("inside", 0), -EACCES);
		assert_int_equal(open_rc("Boot/x64/bootdir/x64/BCD", 0), -EACCES);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_no_openat2(void **st)
{
	check_confined(); /* with openat2 */
	assert_int_equal(open_rc("Boot/x64/bootdir/x64/BCD", 0), 0); /* inside: fine */
	run_without_openat2(ENOSYS);
	run_without_openat2(EPERM);
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
		cmocka_unit_test(test_no_openat2),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
