/* libFuzzer target: the server mode lease file loader (a file an attacker
 * with write access to state_dir, or a crash, may have left), then the
 * table it built driven through offer, bind, decline, release and prune
 * with MACs and addresses taken from the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dhcp/dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pxh_dhcp_leases ls = {.max = 64, .max_offers = 4};
	struct pxh_dhcp_pool p = {
		.net = 0x0a4d0000u, .mask = 0xffffff00u,
		.first = 0x0a4d000au, .last = 0x0a4d0013u, .lease_secs = 60,
	};
	size_t bad = 0;
	int err;

	pxh_dhcp_leases_parse(&ls, (const char *)data, size, 1000, &bad);
	/* the table is consistent: every entry in a known state, one per
	 * address */
	for (size_t i = 0; i < ls.n; i++) {
		if (ls.v[i].state > PXH_LEASE_DECLINED)
			__builtin_trap();
		for (size_t j = i + 1; j < ls.n; j++)
			if (ls.v[i].state != PXH_LEASE_FREE &&
			    ls.v[j].state != PXH_LEASE_FREE && ls.v[i].ip == ls.v[j].ip)
				__builtin_trap();
	}
	/* then operations: 8 bytes each (MAC, op, address low byte) */
	for (size_t o = 0; o + 8 <= size && o < 8 * 64; o += 8) {
		const uint8_t *mac = data + o;
		uint32_t ip = p.net | data[o + 7];
		int64_t now = 1000 + (int64_t)o;
		switch (data[o + 6] % 5) {
		case 0: {
			uint32_t a = pxh_dhcp_lease_offer(&ls, &p, mac, ip, now, 10, &err);
			if (a && !pxh_dhcp_pool_in_range(&p, a))
				__builtin_trap();
			break;
		}
		case 1: pxh_dhcp_lease_bind(&ls, mac, ip, now, 60); break;
		case 2: pxh_dhcp_lease_decline(&ls, mac, ip, now, 30); break;
		case 3: pxh_dhcp_lease_release(&ls, mac, ip); break;
		case 4: pxh_dhcp_leases_prune(&ls, now, &p, 1); break;
		}
		if (ls.n > ls.max)
			__builtin_trap();
	}
	pxh_dhcp_leases_free(&ls);
	return 0;
}
