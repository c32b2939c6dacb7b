/* The DHCP benchmark's yardstick: the least a server can do per request.
 * It turns every DISCOVER into an OFFER in place (op, option 53) and sends
 * it back to the relay (giaddr:67), one recvfrom and one sendto per packet,
 * no parsing beyond that.  perfdhcp's best rate against it is the ceiling
 * of the measuring instrument on this machine: a server close to it is
 * limited by perfdhcp, not by itself.
 *
 *   dhcp_reflect [PORT]      (67 by default; runs until killed)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define OFF_GIADDR 24
#define OFF_OPTIONS 240

int main(int argc, char **argv)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, rcvbuf = 4 << 20;
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(argc > 1 ? (uint16_t)atoi(argv[1])
	                                                   : 67)};
	uint8_t b[1500];

	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 1;
	for (;;) {
		ssize_t n = recv(fd, b, sizeof(b), 0);
		struct sockaddr_in to = {.sin_family = AF_INET,
		                         .sin_port = htons(67)};

		if (n < OFF_OPTIONS)
			continue;
		b[0] = 2; /* BOOTREPLY */
		for (ssize_t i = OFF_OPTIONS; i + 2 < n;) {
			if (b[i] == 0) {
				i++;
				continue;
			}
			if (b[i] == 255)
				break;
			if (b[i] == 53) {
				b[i + 2] = 2; /* DHCPOFFER */
				break;
			}
			i += 2 + b[i + 1];
		}
		memcpy(&to.sin_addr, b + OFF_GIADDR, 4);
		if (!to.sin_addr.s_addr)
			continue;
		sendto(fd, b, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to));
	}
}
