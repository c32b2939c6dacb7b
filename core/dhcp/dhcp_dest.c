/* Where a reply goes, and whether it may go there at all: no reply is
 * reflected to an address the packet merely names (giaddr, ciaddr) unless
 * a relay or the client itself could be there. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "dhcp.h"
#include "dhcp_proto.h"

/* Never a unicast host: 0/8 ("this network"), 224/4 multicast, 240/4
 * reserved and the limited broadcast (RFC 1122 3.2.1.3, RFC 5771). */
static bool not_a_host(uint32_t a)
{
	uint32_t h = ntohl(a);

	return (h >> 24) == 0 || (h >> 28) >= 14;
}

int pxh_dhcp_dest(const struct pxh_dhcp_msg *m, const struct sockaddr_in *src,
                  bool pxe_port, struct sockaddr_in *dst, bool *broadcast)
{
	struct in_addr ga = {.s_addr = m->giaddr};
	char name[IF_NAMESIZE];

	memset(dst, 0, sizeof(*dst));
	dst->sin_family = AF_INET;
	*broadcast = false;
	if (pxe_port) {
		/* PXE 2.1: the boot server answers the request's source, the
		 * only address the client can be at */
		if (not_a_host(src->sin_addr.s_addr) || src->sin_port == 0)
			return -EADDRNOTAVAIL;
		*dst = *src;
		return 0;
	}
	if (m->giaddr) {
		/* RFC 2131 4.1: relayed, back to the relay's server port.  A
		 * relay is a host elsewhere: not loopback, not one of ours
		 * (a forged giaddr would make us talk to ourselves) */
		if (not_a_host(m->giaddr) || (ntohl(m->giaddr) >> 24) == 127 ||
		    pxh_iface_of_addr(ga, name, sizeof(name)) == 0)
			return -EADDRNOTAVAIL;
		dst->sin_addr.s_addr = m->giaddr;
		dst->sin_port = htons(DHCP_SERVER_PORT);
		return 0;
	}
	if (m->ciaddr && m->ciaddr == src->sin_addr.s_addr && !not_a_host(m->ciaddr)) {
		/* a client with an address sends from it */
		dst->sin_addr.s_addr = m->ciaddr;
		dst->sin_port = htons(DHCP_CLIENT_PORT);
		return 0;
	}
	/* yiaddr is 0 in a proxy offer, and a ciaddr the packet did not come
	 * from is only a claim: a broadcast on the receiving link reaches the
	 * client and nobody elsewhere */
	dst->sin_addr.s_addr = htonl(INADDR_BROADCAST);
	dst->sin_port = htons(DHCP_CLIENT_PORT);
	*broadcast = true;
	return 0;
}
