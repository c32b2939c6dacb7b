/* libFuzzer: referral's facts in the upstream URL (ref_facts_url in
 * plugins/referral/ref_rules.c, compiled in here; the rules themselves are
 * [access]-form match lists, fuzzed by fuzz_access).  Each text fact holds
 * arbitrary bytes.  Checked: the URL after the base holds only unreserved
 * characters, ':', '%XX', '=', '&' and one '?', so no value can end the
 * iPXE line or add a command (no space, quote, '$', '#', ';', '|', '&&'
 * inside a value); decoded by an independent reader, each key=value pair
 * gives back exactly the fact that went in, in /boot.ipxe's key order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/referral/ref_rules.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ref_rules.c's neighbours, never reached from ref_facts_url */
bool ups_usable(struct ref *r, const struct upstream *u)
{
	(void)r;
	(void)u;
	return false;
}

void ref_emit(struct ref *r, const pxh_client *c, int sev, const char *action,
              const char *file, const char *fmt, ...)
{
	(void)r, (void)c, (void)sev, (void)action, (void)file, (void)fmt;
}

enum pxh_verdict ref_ask_service(struct ref *r, struct rule *ru,
                                 enum pxh_phase phase, const pxh_client *c,
                                 pxh_request *req)
{
	(void)r, (void)ru, (void)phase, (void)c, (void)req;
	return PXH_NEXT;
}

static int hexv(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char base[] = "http://10.0.0.2/boot.ipxe";
	const char *keys[] = {"mac", "uuid", "arch", "platform", "manufacturer",
	                      "product", "serial", "asset"};
	pxh_client c;
	char *vals[8];
	size_t sizes[8] = {sizeof(c.mac), sizeof(c.uuid), sizeof(c.buildarch),
	                   sizeof(c.platform), sizeof(c.manufacturer),
	                   sizeof(c.product), sizeof(c.serial), sizeof(c.asset)};
	char url[2048], dec[256];
	size_t off = 0, k = 0;
	const char *p;
	int rc;

	memset(&c, 0, sizeof(c));
	vals[0] = c.mac, vals[1] = c.uuid, vals[2] = c.buildarch, vals[3] = c.platform;
	vals[4] = c.manufacturer, vals[5] = c.product, vals[6] = c.serial, vals[7] = c.asset;
	/* facts separated by 0xff bytes, each cut to its field */
	for (int i = 0; i < 8; i++) {
		size_t n = 0;

		while (off < size && data[off] != 0xff) {
			if (data[off] && n + 1 < sizes[i])
				vals[i][n++] = (char)data[off];
			off++;
		}
		vals[i][n] = 0;
		off++;
	}
	rc = ref_facts_url(base, &c, url, sizeof(url));
	if (rc == -ENAMETOOLONG)
		return 0;
	if (rc || strncmp(url, base, sizeof(base) - 1))
		__builtin_trap();
	p = url + sizeof(base) - 1;
	for (const char *q = p; *q; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		      (*q >= '0' && *q <= '9') || strchr("-._~:%=&?", *q)))
			__builtin_trap();
	/* read it back: ?k=v&k=v..., only the non-empty facts, in order */
	while (*p) {
		const char *eq, *end;
		size_t n = 0;

		if (*p != (k == 0 && p == url + sizeof(base) - 1 ? '?' : '&'))
			__builtin_trap();
		p++;
		eq = strchr(p, '=');
		end = strchr(p, '&');
		if (!end)
			end = p + strlen(p);
		if (!eq || eq > end)
			__builtin_trap();
		while (k < 8 && !vals[k][0])
			k++;
		if (k == 8 || (size_t)(eq - p) != strlen(keys[k]) || strncmp(p, keys[k], (size_t)(eq - p)))
			__builtin_trap();
		for (const char *q = eq + 1; q < end; q++) {
			int ch = (unsigned char)*q;

			if (ch == '%') {
				if (q + 2 >= end || hexv(q[1]) < 0 || hexv(q[2]) < 0)
					__builtin_trap();
				ch = hexv(q[1]) * 16 + hexv(q[2]);
				q += 2;
			}
			if (n + 1 >= sizeof(dec))
				__builtin_trap();
			dec[n++] = (char)ch;
		}
		dec[n] = 0;
		if (strcmp(dec, vals[k]))
			__builtin_trap();
		k++;
		p = end;
	}
	while (k < 8 && !vals[k][0])
		k++;
	if (k != 8) /* a fact went missing */
		__builtin_trap();
	return 0;
}
