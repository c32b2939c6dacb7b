/* [tftp] keys and their reading into the module's settings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tftp_server.h"
#include "conf.h"
#include "files.h"
#include "log.h"
#include "tftp_module.h"

#ifndef PXH_STATEDIR
#define PXH_STATEDIR "/var/lib/pxehub"
#endif

#define TB(m) PXH_CONF_BIND(struct pxh_tftp_conf, m)
const pxh_conf_key pxh_tftp_keys[] = {
	{"enabled", PXH_CONF_BOOL, "yes", 0, 0, 0, NULL,
	 "serve files over TFTP", TB(enabled)},
	{"port", PXH_CONF_INT, "69", 0, 0, 65535, NULL,
	 "UDP port for read requests (0 = TFTP off); restart to change", TB(port)},
	{"root", PXH_CONF_PATH, PXH_STATEDIR "/tftp", 0, 0, 0, NULL,
	 "directory served; nothing outside it is reachable", TB(root)},
	{"port_range", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "data ports for transfers, e.g. 64001-65000; empty = ephemeral", TB(port_range)},
	{"max_blksize", PXH_CONF_INT, "0", 0, 0, 65464, NULL,
	 "largest blksize granted (RFC 2348); 0 = what the path MTU allows", TB(max_blksize)},
	{"max_windowsize", PXH_CONF_INT, "64", 0, 1, 65535, NULL,
	 "largest windowsize granted (RFC 7440); 1 = lock-step only", TB(max_windowsize)},
	{"msftwindow", PXH_CONF_INT, "255", 0, 0, 255, NULL,
	 "largest window Microsoft's variable-window hints (Windows boot"
	 " programs) may ask; 0 = extension off", TB(msftwindow)},
	{"max_transfers", PXH_CONF_INT, "500", 0, 1, 100000, NULL,
	 "concurrent transfers; more requests get 'server busy'", TB(max_transfers)},
	{"max_per_client", PXH_CONF_INT, "16", 0, 0, 100000, NULL,
	 "concurrent transfers one client address may hold; more get 'too many"
	 " transfers from your address'; 0 = no limit", TB(max_per_client)},
	{"requests_per_client", PXH_CONF_INT, "20", 0, 0, 100000, NULL,
	 "packets to the request port per second per client address (as many at"
	 " once); more are dropped unanswered; 0 = no limit", TB(requests_per_client)},
	{"stall_timeout", PXH_CONF_DURATION, "60s", 0, 1000, 3600000, NULL,
	 "a transfer whose client acknowledged no new block for this long ends"
	 " (whatever timeout the client asked), freeing its slot", TB(stall_timeout_s)},
	{"timeout", PXH_CONF_DURATION, "1s", 0, 50, 255000, NULL,
	 "first retransmission timeout when the client sets none (doubles per try)", TB(timeout_ms)},
	{"retries", PXH_CONF_INT, "5", 0, 1, 50, NULL,
	 "retransmissions of one window before a transfer is given up", TB(retries)},
	{"gso", PXH_CONF_BOOL, "yes", 0, 0, 0, NULL,
	 "send a window's blocks in one UDP GSO send (the kernel cuts the"
	 " datagrams); no = one datagram per send (sendmmsg)", TB(gso)},
	{"casefold", PXH_CONF_BOOL, "yes", 0, 0, 0, NULL,
	 "match file names case-insensitively (Windows boot loaders)", TB(casefold)},
	{"backslash", PXH_CONF_BOOL, "yes", 0, 0, 0, NULL,
	 "treat '\\' in file names as a path separator (Windows boot loaders)", TB(backslash)},
	{"follow_symlinks", PXH_CONF_BOOL, "no", 0, 0, 0, NULL,
	 "serve symlinks that lead out of root", TB(follow_symlinks)},
	{"cache_size", PXH_CONF_INT, "64", 0, 0, 65536, NULL,
	 "MiB of hot files (loaders) kept in memory; 0 = page cache only", TB(cache_size)},
	{"cache_file_max", PXH_CONF_INT, "16", 0, 0, 4096, NULL,
	 "largest file (MiB) put in the memory cache", TB(cache_file_max)},
	PXH_CONF_END,
};

#undef TB

const struct pxh_section_schema pxh_tftp_section = {
	"tftp", pxh_tftp_keys, NULL, sizeof(struct pxh_tftp_conf), 0};

static int parse_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	char *end;
	unsigned long a, b;

	*lo = *hi = 0;
	if (!s || !*s)
		return 0;
	a = strtoul(s, &end, 10);
	if (end == s)
		return -EINVAL;
	b = a;
	if (*end == '-') {
		s = end + 1;
		b = strtoul(s, &end, 10);
		if (end == s)
			return -EINVAL;
	}
	if (*end || a == 0 || a > 65535 || b > 65535 || b < a)
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

int tftp_cfg_read(const struct pxh_conf *conf, struct tftp_cfg *cfg)
{
	const struct pxh_tftp_conf *tc = pxh_tftp_conf(conf);

	memset(cfg, 0, sizeof(*cfg));
	cfg->enabled = tc->enabled;
	cfg->port = tc->port;
	snprintf(cfg->root, sizeof(cfg->root), "%s", tc->root);
	if (parse_range(tc->port_range, &cfg->port_lo, &cfg->port_hi) < 0) {
		pxh_err("tftp: port_range '%s' (%s): expected LOW-HIGH, e.g. 64001-65000",
		        tc->port_range, pxh_cfg_where(conf, "tftp", NULL, "port_range"));
		return -EINVAL;
	}
	/* the key table's bounds hold every value in range: no fallbacks here */
	cfg->max_blksize = tc->max_blksize;
	cfg->max_windowsize = tc->max_windowsize;
	cfg->msftwindow = tc->msftwindow;
	cfg->max_transfers = tc->max_transfers;
	cfg->max_per_client = tc->max_per_client;
	cfg->requests_per_client = tc->requests_per_client;
	cfg->stall_s = tc->stall_timeout_s;
	cfg->timeout_ms = tc->timeout_ms;
	cfg->retries = tc->retries;
	cfg->gso = tc->gso;
	if (tc->casefold)
		cfg->file_flags |= PXH_FILE_CASEFOLD;
	if (tc->backslash)
		cfg->file_flags |= PXH_FILE_BACKSLASH;
	if (tc->follow_symlinks)
		cfg->file_flags |= PXH_FILE_SYMLINKS;
	cfg->cache_bytes = (uint64_t)tc->cache_size << 20;
	cfg->cache_file_max = (uint64_t)tc->cache_file_max << 20;
	return 0;
}
