/* libFuzzer target: DHCP request parser, client facts, option reader and
 * reply builder on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp/dhcp.h"
#include "answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pxh_dhcp_msg m;
	static uint8_t out[1500];
	const char *why = NULL;
	pxh_client c;
	size_t len;

	/* an exact-size copy so ASan sees reads past the end */
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	if (pxh_dhcp_parse(p, size, &m, &why) == 0) {
		pxh_dhcp_fill_client(&c, &m, "eth0", "10.0.0.1");
		for (unsigned code = 1; code < 255; code += 7)
			(void)pxh_client_option(&c, (uint8_t)code, &len);
		(void)pxh_client_option(&c, DHCP_OPT_RELAY_AGENT, &len);
		char file[300];
		if (pxh_dhcp_boot_file(&c, "undionly.kpxe", "10.0.0.1", 8080,
		                       file, sizeof(file)) < 0)
			file[0] = '\0';
		struct pxh_dhcp_opt extra = {.code = 252, .len = 3,
		                             .data = (uint8_t *)"abc"};
		struct pxh_dhcp_reply r = {
			.msg_type = size & 1 ? DHCPOFFER : DHCPACK,
			.server_id = 0x0100000a,
			.siaddr = 0x0100000a,
			.file = file,
			.http_client = c.is_http_boot,
			.discovery_control = 8,
			.extra = &extra,
			.n_extra = 1,
		};
		(void)pxh_dhcp_build(&m, &r, out, sizeof(out));
	} else {
		uint8_t buf[64];
		(void)pxh_dhcp_find(p, size, DHCP_OPT_VENDOR_CLASS, buf,
		                    sizeof(buf), &len);
	}
	free(p);
	return 0;
}
