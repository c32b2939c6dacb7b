/* libFuzzer: one [server] listen item (core/listen_addr.c).  Checked: a
 * refusal always says why; an address item prints (pxh_sockaddr_text) to
 * text that parses back to the same address and zone name; the zone-less
 * form (pxh_sockaddr_ip) is what inet_pton reads; a link-local address
 * is never taken without its zone, a global one never with one; an
 * interface name fits IF_NAMESIZE and holds no '/', ':', '%' or space. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listen_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pxh_listen_item it, back;
	char in[128], why[256], text[INET6_ADDRSTRLEN + IF_NAMESIZE + 4];
	unsigned char raw[16];

	if (size >= sizeof(in) || memchr(data, 0, size))
		return 0;
	memcpy(in, data, size);
	in[size] = 0;
	why[0] = 0;
	if (pxh_listen_parse(in, false, &it, why, sizeof(why)) < 0) {
		if (!why[0] || !memchr(why, 0, sizeof(why)))
			__builtin_trap();
		return 0;
	}
	if (it.kind == PXH_LISTEN_IFACE) {
		size_t n = strlen(it.iface);

		if (n == 0 || n >= IF_NAMESIZE || strpbrk(it.iface, "/:% \t"))
			__builtin_trap();
		return 0;
	}
	if (it.kind != PXH_LISTEN_ADDR)
		__builtin_trap();
	pxh_sockaddr_ip(&it.a, text, sizeof(text));
	if (inet_pton(it.a.sa.sa_family, text, raw) != 1)
		__builtin_trap();
	if (it.a.sa.sa_family == AF_INET6) {
		bool ll = IN6_IS_ADDR_LINKLOCAL(&it.a.in6.sin6_addr);

		if (memcmp(raw, &it.a.in6.sin6_addr, 16) || ll != (it.iface[0] != 0))
			__builtin_trap();
		/* with the zone name as written (not checked: no scope id) */
		if (ll) {
			char again[96];

			snprintf(again, sizeof(again), "%s%%%s", text, it.iface);
			if (pxh_listen_parse(again, false, &back, why, sizeof(why)) < 0 ||
			    strcmp(back.iface, it.iface) ||
			    memcmp(&back.a.in6.sin6_addr, &it.a.in6.sin6_addr, 16))
				__builtin_trap();
			return 0;
		}
	} else if (memcmp(raw, &it.a.in.sin_addr, 4)) {
		__builtin_trap();
	}
	pxh_sockaddr_text(&it.a, text, sizeof(text));
	if (pxh_listen_parse(text, false, &back, why, sizeof(why)) < 0 ||
	    back.a.sa.sa_family != it.a.sa.sa_family ||
	    memcmp(&back.a, &it.a, pxh_sockaddr_len(&it.a)))
		__builtin_trap();
	return 0;
}
