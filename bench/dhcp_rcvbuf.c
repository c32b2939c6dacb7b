/* LD_PRELOAD shim for the DHCP benchmark's client: perfdhcp's UDP sockets
 * get a receive buffer of PXH_RCVBUF bytes (SO_RCVBUFFORCE, so above
 * net.core.rmem_max too).  perfdhcp -g single sends and receives on one
 * thread and leaves the default buffer (rmem_default, ~200 KiB, which a
 * network namespace cannot change): while it sends a burst to catch up with
 * its rate, a server that answers at once overflows it, and the replies it
 * dropped count against the server.  The same shim serves every server
 * measured.
 *
 *   cc -shared -fPIC -o dhcp_rcvbuf.so dhcp_rcvbuf.c -ldl
 *   PXH_RCVBUF=8388608 LD_PRELOAD=./dhcp_rcvbuf.so perfdhcp ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>

int socket(int domain, int type, int protocol)
{
	static int (*real)(int, int, int);
	int fd;

	if (!real)
		real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	if (!real)
		return -1;
	fd = real(domain, type, protocol);
	if (fd >= 0 && domain == AF_INET && (type & 0xf) == SOCK_DGRAM) {
		const char *v = getenv("PXH_RCVBUF");
		int size = v ? atoi(v) : 0;
		if (size > 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
			                 sizeof(size));
	}
	return fd;
}
