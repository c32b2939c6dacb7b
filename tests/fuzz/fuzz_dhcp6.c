/* libFuzzer target: DHCPv6 parser (nested Relay-Forward), client facts and
 * the Advertise/Reply builder with Relay-Reply wrapping, on arbitrary
 * bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp6/dhcp6.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pxh_dhcp6_msg m;
	static uint8_t out[1500];
	static const uint8_t duid[10] = {0, 3, 0, 1, 2, 0, 0, 0, 0, 5};
	const char *why = NULL;
	struct in6_addr src = {{{0xfe, 0x80, [8] = 0x50, 0x54, 0, 0xff, 0xfe, 1, 2, 3}}};
	pxh_client c;
	size_t len;

	/* an exact-size copy so ASan sees reads past the end */
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	/* the option reader on the raw bytes, well formed or not */
	(void)pxh_dhcp6_find(p, size, DHCP6_OPT_CLIENTID, &len);
	(void)pxh_dhcp6_count(p, size, DHCP6_OPT_RELAY_MSG);
	if (pxh_dhcp6_parse(p, size, &m, &why) == 0) {
		(void)pxh_dhcp6_is_boot_client(&m);
		(void)pxh_dhcp6_fill_client(&c, &m, &src, "eth0", "2001:db8::1");
		struct pxh_dhcp6_reply r = {
			.type = size & 1 ? DHCP6_ADVERTISE : DHCP6_REPLY,
			.server_duid = duid,
			.server_duid_len = sizeof(duid),
			.url = "tftp://[2001:db8::1]/snponly.efi",
			.params = size & 2 ? "a=b" : NULL,
			.http_client = c.is_http_boot,
			.ia_status = size & 4 ? DHCP6_STATUS_NO_ADDRS_AVAIL : 0,
		};
		int n = pxh_dhcp6_build(&m, &r, out, sizeof(out));
		/* what we build parses back, as a Relay-Forward nesting */
		if (n > 0 && m.n_relay) {
			struct pxh_dhcp6_msg back;
			for (size_t o = 0; o + DHCP6_RELAY_HDR_LEN <= (size_t)n &&
			                   out[o] == DHCP6_RELAY_REPL;) {
				out[o] = DHCP6_RELAY_FORW;
				size_t il = 0;
				const uint8_t *in = pxh_dhcp6_find(
					out + o + DHCP6_RELAY_HDR_LEN,
					(size_t)n - o - DHCP6_RELAY_HDR_LEN,
					DHCP6_OPT_RELAY_MSG, &il);
				if (!in)
					abort();
				o = (size_t)(in - out);
			}
			(void)pxh_dhcp6_parse(out, (size_t)n, &back, &why);
		}
	}
	free(p);
	return 0;
}
