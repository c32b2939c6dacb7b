/* libFuzzer target: the answer parser (core/answer_parse.c, used by script_exec) (JSON, iPXE script and
 * verdict words) for both hooks, check pass and writing pass, on arbitrary
 * script output.  The first byte picks the hook. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pxehub/plugin.h"
#include "../../plugins/script_exec/script_exec.h"
#include "answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum se_hook hook;
	struct pxh_answer a;
	pxh_client c;
	char why[200];
	long ttl, ttl2;
	char *p;
	int dry, v;

	if (size < 1)
		return 0;
	hook = (data[0] & 1) ? SE_BOOT_IMAGES : SE_ALLOW_BOOT;
	/* an exact-size copy, not NUL terminated, so ASan sees overreads */
	p = malloc(size - 1 ? size - 1 : 1);
	if (!p)
		return 0;
	memcpy(p, data + 1, size - 1);
	memset(&c, 0, sizeof(c));
	c.struct_size = sizeof(c);
	pxh_answer_init(&a, NULL, &c);
	dry = pxh_answer_parse(se_phase(hook), p, size - 1, NULL, &ttl, why, sizeof(why));
	v = pxh_answer_parse(se_phase(hook), p, size - 1, &a, &ttl2, why, sizeof(why));
	/* what the check pass accepts, the writing pass accepts the same way */
	if (dry != v || (v >= 0 && ttl != ttl2))
		abort();
	if (v > PXH_IGNORE || (v < 0 && !why[0]))
		abort();
	if (ttl > SE_TTL_MAX)
		abort();
	pxh_answer_clear(&a);
	free(p);
	return 0;
}
