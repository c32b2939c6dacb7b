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

const pxh_conf_key pxh_tftp_keys[] = {
	{"enabled", PXH_CONF_BOOL, "yes", 0, 0, 0, NULL,
	 "serve files over TFTP", PXH_CONF_UNBOUND},
	{"port", PXH_CONF_INT, "69", 0, 0, 65535, NULL,
	 "UDP port for read requests (0 = TFTP off); restart to change", PXH_CONF_UNBOUND},
	{"root", PXH_CONF_PATH, PXH_STATEDIR "/tftp", 0, 0, 0, NULL,
	 "directory served; nothing outside it is reachable", PXH_CONF_UNBOUND},
	{"port_range", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "data ports for transfers, e.g. 64001-65000; empty = ephemeral", PXH_CONF_UNBOUND},
	{"max_blksize", PXH_CONF_INT, "0", 0, 0, 65464, NULL,
	 "largest blksize granted (RFC 2348); 0 = what the path MTU allows", PXH_CONF_UNBOUND},
	{"max_windowsize", PXH_CONF_INT, "64", 0, 1, 65535, NULL,
	 "largest windowsize granted (RFC 7440); 1 = lock-step only", PXH_CONF_UNBOUND},
	{"msftwindow", PXH_CONF_INT, "255", 0, 0, 255, NULL,
	 "largest window Microsoft's variable-window hints (Windows boot"
	 " programs) may ask; 0 = extension off", PXH_CONF_UNBOUND},
	{"max_transfers", PXH_CONF_INT, "500", 0, 1, 100000, NULL,
	 "concurrent transfers; more requests get 'server busy'", PXH_CONF_UNBOUND},
	{"max_per_client", PXH_CONF_INT, "16", 0, 0, 100000, NULL,
	 "concurrent transfers one client address may hold; more get 'too many"
	 " transfers from your address'; 0 = no limit", PXH_CONF_UNBOUND},
	{"requests_per_client", PXH_CONF_INT, "20", 0, 0, 100000, NULL,
	 "packets to the request port per second per client address (as many at"
	 " once); more are dropped unanswered; 0 = no limit", PXH_CONF_UNBOUND},
	{"stall_timeout", PXH_CONF_DURATION, "60s", 0, 1000, 3600000, NULL,
	 "a transfer whose client acknowledged no new block for this long ends"
	 " (whatever timeout the client asked), freeing its slot", PXH_CONF_UNBOUND},
	{"timeout", PXH_CONF_DURATION, "1s", 0, 50, 255000, NULL,
	 "first retransmission timeout when the client sets none (doubles per try)", PXH_CONF_UNBOUND},
	{"retries", PXH_CONF_INT, "5", 0, 1, 50, NULL,
	 "retransmissions of one window before a transfer is given up", PXH_CONF_UNBOUND},
	{"gso", PXH_CONF_BOOL, "yes", 0, 0, 0, NULL,
	 "send a window's blocks in one UDP GSO send (the kernel cuts the"
	 " datagrams); no = one datagram per send (sendmmsg)", PXH_CONF_UNBOUND},
	{"casefold", PXH_CONF_BOOL, "yes", 0, 0, 0, NULL,
	 "match file names case-insensitively (Windows boot loaders)", PXH_CONF_UNBOUND},
	{"backslash", PXH_CONF_BOOL, "yes", 0, 0, 0, NULL,
	 "treat '\\' in file names as a path separator (Windows boot loaders)", PXH_CONF_UNBOUND},
	{"follow_symlinks", PXH_CONF_BOOL, "no", 0, 0, 0, NULL,
	 "serve symlinks that lead out of root", PXH_CONF_UNBOUND},
	{"cache_size", PXH_CONF_INT, "64", 0, 0, 65536, NULL,
	 "MiB of hot files (loaders) kept in memory; 0 = page cache only", PXH_CONF_UNBOUND},
	{"cache_file_max", PXH_CONF_INT, "16", 0, 0, 4096, NULL,
	 "largest file (MiB) put in the memory cache", PXH_CONF_UNBOUND},
	PXH_CONF_END,
};

const struct pxh_section_schema pxh_tftp_section = {"tftp", pxh_tftp_keys, NULL, 0, 0};

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
	const char *s;
	long long v;

	memset(cfg, 0, sizeof(*cfg));
	cfg->enabled = pxh_cfg_bool(conf, "tftp", NULL, "enabled");
	cfg->port = (int)pxh_cfg_int(conf, "tftp", NULL, "port");
	s = pxh_cfg_str(conf, "tftp", NULL, "root");
	snprintf(cfg->root, sizeof(cfg->root), "%s", s ? s : PXH_STATEDIR "/tftp");
	s = pxh_cfg_str(conf, "tftp", NULL, "port_range");
	if (parse_range(s, &cfg->port_lo, &cfg->port_hi) < 0) {
		pxh_err("tftp: port_range '%s' (%s): expected LOW-HIGH, e.g. 64001-65000",
		        s, pxh_cfg_where(conf, "tftp", NULL, "port_range") ?: "");
		return -EINVAL;
	}
	cfg->max_blksize = (uint32_t)pxh_cfg_int(conf, "tftp", NULL, "max_blksize");
	v = pxh_cfg_int(conf, "tftp", NULL, "max_windowsize");
	cfg->max_windowsize = v < 1 ? 1 : (uint32_t)v;
	cfg->msftwindow = (uint32_t)pxh_cfg_int(conf, "tftp", NULL, "msftwindow");
	v = pxh_cfg_int(conf, "tftp", NULL, "max_transfers");
	cfg->max_transfers = v < 1 ? 500 : (uint32_t)v;
	cfg->max_per_client = (uint32_t)pxh_cfg_int(conf, "tftp", NULL, "max_per_client");
	cfg->requests_per_client = (uint32_t)pxh_cfg_int(conf, "tftp", NULL, "requests_per_client");
	v = pxh_cfg_int(conf, "tftp", NULL, "stall_timeout");
	cfg->stall_s = v < 1000 ? 60.0 : (double)v / 1000.0;
	v = pxh_cfg_int(conf, "tftp", NULL, "timeout");
	cfg->timeout_ms = v < 50 ? 1000 : (uint32_t)v;
	v = pxh_cfg_int(conf, "tftp", NULL, "retries");
	cfg->retries = v < 1 ? 5 : (uint32_t)v;
	cfg->gso = pxh_cfg_bool(conf, "tftp", NULL, "gso");
	if (pxh_cfg_bool(conf, "tftp", NULL, "casefold"))
		cfg->file_flags |= PXH_FILE_CASEFOLD;
	if (pxh_cfg_bool(conf, "tftp", NULL, "backslash"))
		cfg->file_flags |= PXH_FILE_BACKSLASH;
	if (pxh_cfg_bool(conf, "tftp", NULL, "follow_symlinks"))
		cfg->file_flags |= PXH_FILE_SYMLINKS;
	cfg->cache_bytes = (uint64_t)pxh_cfg_int(conf, "tftp", NULL, "cache_size") << 20;
	cfg->cache_file_max = (uint64_t)pxh_cfg_int(conf, "tftp", NULL, "cache_file_max") << 20;
	return 0;
}
