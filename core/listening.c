/* The sockets this process listens on (TCP) or is bound to (UDP), read
 * from /proc, for the console's Health view: what the kernel says, not
 * what the configuration meant. */
#include <arpa/inet.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listening.h"

#define MAX_SOCKS 1024

static int cmp_ino(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Inodes of this process's sockets, sorted; returns how many. */
static size_t own_sockets(unsigned long *ino, size_t max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char path[300], link[64];
		ssize_t l;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		l = readlink(path, link, sizeof(link) - 1);
		if (l <= 0)
			continue;
		link[l] = 0;
		if (sscanf(link, "socket:[%lu]", &ino[n]) == 1)
			n++;
	}
	closedir(d);
	qsort(ino, n, sizeof(*ino), cmp_ino);
	return n;
}

/* One /proc/net table: rows whose inode is ours (and, for TCP, LISTEN). */
static void scan(const char *file, const char *proto, bool v6, bool tcp,
                 const unsigned long *ino, size_t n, json_t *out)
{
	FILE *f = fopen(file, "r");
	char line[512];

	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) { /* the header */
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char local[64], text[INET6_ADDRSTRLEN];
		unsigned port, state;
		unsigned long inode;
		json_t *o;

		if (sscanf(line, " %*u: %63[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*s %*s %lu",
		           local, &port, &state, &inode) != 4)
			continue;
		if ((tcp && state != 0x0A) || !bsearch(&inode, ino, n, sizeof(*ino), cmp_ino))
			continue;
		if (v6) {
			struct in6_addr a;

			for (int i = 0; i < 4; i++) {
				char w[9];

				memcpy(w, local + 8 * i, 8);
				w[8] = 0;
				a.s6_addr32[i] = (uint32_t)strtoul(w, NULL, 16);
			}
			inet_ntop(AF_INET6, &a, text, sizeof(text));
		} else {
			struct in_addr a = {.s_addr = (uint32_t)strtoul(local, NULL, 16)};

			inet_ntop(AF_INET, &a, text, sizeof(text));
		}
		o = json_object();
		json_object_set_new(o, "proto", json_string(proto));
		json_object_set_new(o, "address", json_string(text));
		json_object_set_new(o, "port", json_integer(port));
		json_array_append_new(out, o);
	}
	fclose(f);
}

json_t *pxh_listening_json(void)
{
	static unsigned long ino[MAX_SOCKS];
	json_t *a = json_array();
	size_t n = own_sockets(ino, MAX_SOCKS);

	scan("/proc/self/net/tcp", "tcp", false, true, ino, n, a);
	scan("/proc/self/net/tcp6", "tcp6", true, true, ino, n, a);
	scan("/proc/self/net/udp", "udp", false, false, ino, n, a);
	scan("/proc/self/net/udp6", "udp6", true, false, ino, n, a);
	return a;
}
