/* Unit tests: the TFTP memory cache keeps hot files, revalidates them
 * against the file on every open, and never holds more than cache_size,
 * counting copies that running transfers still send from. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tftp/tftp_server.h"
#include "files.h"

static char dir[] = "/tmp/pxh-cache.XXXXXX";

static void put_file(const char *name, size_t len, char fill)
{
	char path[600], *buf = malloc(len);
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	memset(buf, fill, len);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
	free(buf);
}

static struct pxh_open_file open_file(const char *name)
{
	struct pxh_open_file f = {.fd = -1};
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f.fd = open(path, O_RDONLY);
	assert_true(f.fd >= 0);
	snprintf(f.path, sizeof(f.path), "%s", name);
	return f;
}

static struct tftp_cache_entry *get(struct tftp_cache *c, const char *name, bool *hit)
{
	struct pxh_open_file f = open_file(name);
	struct tftp_cache_entry *e = tftp_cache_get(c, &f, hit);

	close(f.fd);
	return e;
}

static void hit_then_revalidate(void **st)
{
	struct tftp_cache *c = tftp_cache_new();
	struct tftp_cache_entry *e;
	bool hit;

	tftp_cache_limits(c, 10000, 5000);
	put_file("a", 1000, 'a');
	e = get(c, "a", &hit);
	assert_non_null(e);
	assert_false(hit);
	assert_int_equal(tftp_cache_data(e)[999], 'a');
	tftp_cache_put(c, e);
	e = get(c, "a", &hit);
	assert_true(hit);
	tftp_cache_put(c, e);
	/* changed on disk (size): a fresh copy, not the old one */
	put_file("a", 1200, 'b');
	e = get(c, "a", &hit);
	assert_false(hit);
	assert_int_equal(tftp_cache_data(e)[1199], 'b');
	tftp_cache_put(c, e);
	assert_int_equal(tftp_cache_used(c), 1200);
	/* above cache_file_max: not cached */
	put_file("big", 6000, 'x');
	assert_null(get(c, "big", &hit));
	tftp_cache_free(c);
}

/* Entries in use are not evicted (that frees nothing) and count against
 * the limit; a file that does not fit then is not cached at all. */
static void held_entries_bound_memory(void **st)
{
	struct tftp_cache *c = tftp_cache_new();
	struct tftp_cache_entry *a, *b, *x;
	bool hit;

	tftp_cache_limits(c, 3000, 3000);
	put_file("a", 1500, 'a');
	put_file("b", 1500, 'b');
	a = get(c, "a", &hit);
	b = get(c, "b", &hit);
	assert_non_null(a);
	assert_non_null(b);
	put_file("c", 1000, 'c');
	assert_null(get(c, "c", &hit)); /* both held: no room */
	/* a changes on disk while a transfer still sends it: the old copy
	 * stays counted until that transfer is done */
	put_file("a", 1400, 'A');
	assert_null(get(c, "a", &hit));
	assert_int_equal(tftp_cache_used(c), 3000);
	tftp_cache_put(c, a); /* the old copy goes */
	assert_int_equal(tftp_cache_used(c), 1500);
	x = get(c, "a", &hit);
	assert_non_null(x);
	assert_int_equal(tftp_cache_data(x)[0], 'A');
	tftp_cache_put(c, x);
	tftp_cache_put(c, b);
	/* nothing held: the LRU goes to make room */
	x = get(c, "c", &hit);
	assert_non_null(x);
	assert_true(tftp_cache_used(c) <= 3000);
	tftp_cache_put(c, x);
	tftp_cache_free(c);
}

static int setup(void **st)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
	const char *names[] = {"a", "b", "c", "big"};
	char path[600];

	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hit_then_revalidate),
		cmocka_unit_test(held_entries_bound_memory),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
