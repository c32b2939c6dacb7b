/* The [dhcp] section's keys. */
#include "dhcp.h"
#include "dhcp_module.h"

#define DB(m) PXH_CONF_BIND(struct pxh_dhcp_conf, m)
const pxh_conf_key pxh_dhcp_keys[] = {
	{"enabled", PXH_CONF_BOOL, "yes", 0, 0, 0, NULL,
	 "answer PXE clients at all (proxyDHCP on port, boot server on pxe_port)", DB(enabled)},
	{"port", PXH_CONF_INT, "67", 0, 0, 65535, NULL,
	 "proxyDHCP port for broadcast and relayed DISCOVERs; 0 = off (e.g. a "
	 "DHCP server runs on this host: answer on pxe_port only)", DB(port)},
	{"pxe_port", PXH_CONF_INT, "4011", 0, 0, 65535, NULL,
	 "PXE boot server port for the clients' follow-up REQUEST; 0 = off", DB(pxe_port)},
	{"discovery_control", PXH_CONF_INT, "8", 0, -1, 255, NULL,
	 "PXE option 43 sub-option 6 in offers: 8 = boot the offered file "
	 "directly, 0 = clients ask on pxe_port first, -1 = leave it out", DB(discovery_control)},
	{"rate_per_mac", PXH_CONF_INT, "5", 0, 0, 100000, NULL,
	 "requests per second answered per client MAC (token bucket); 0 = no "
	 "limit", DB(rate_per_mac)},
	{"rate_burst", PXH_CONF_INT, "10", 0, 1, 100000, NULL,
	 "requests a MAC may send at once before rate_per_mac applies", DB(rate_burst)},
	{"replies_per_destination", PXH_CONF_INT, "500", 0, 0, 1000000, NULL,
	 "replies per second to one relay (giaddr) or PXE-port client address "
	 "(twice as many at once); beyond, requests are dropped; 0 = no limit", DB(replies_per_destination)},
	{"duplicate_window", PXH_CONF_DURATION, "1s", 0, 0, 60000, NULL,
	 "a retransmission (same MAC, xid, type and port) within this time is "
	 "dropped as a duplicate; 0 = off", DB(duplicate_window_ms)},
	{"relays", PXH_CONF_LIST, "", 0, 0, 0, NULL,
	 "relay agents (addresses or a.b.c.d/n) that send relayed requests from an "
	 "address other than their giaddr (a router relaying from its upstream "
	 "interface); a request with a giaddr is taken when it comes from that "
	 "giaddr or from one of these, else dropped (reason relay)", DB(relays)},
	{"max_pending", PXH_CONF_INT, "1024", 0, 1, 1000000, NULL,
	 "decisions in flight at most; requests beyond are dropped (busy)", DB(max_pending)},
	{"mode", PXH_CONF_ENUM, "proxy", 0, 0, 0, "proxy|server",
	 "proxy = proxyDHCP beside the site's DHCP server (no addresses); "
	 "server = also give addresses from the [pool.NAME] sections, as the "
	 "network's DHCP server (see docs/dhcp.md)", DB(mode)},
	{"offer_hold", PXH_CONF_DURATION, "10s", 0, 1000, 300000, NULL,
	 "server mode: an offered address is kept for the client this long; "
	 "unclaimed, it goes back to the pool", DB(offer_hold_ms)},
	{"max_offers", PXH_CONF_INT, "64", 0, 1, 65536, NULL,
	 "server mode: offers outstanding at once; beyond, the oldest is taken "
	 "back (a flood of made-up MACs cannot hold the pool)", DB(max_offers)},
	{"max_leases", PXH_CONF_INT, "4096", 0, 1, 1000000, NULL,
	 "server mode: leases (bound, offered, declined) kept at most, all pools "
	 "together; the lease file never holds more", DB(max_leases)},
	{"decline_time", PXH_CONF_DURATION, "10m", 0, 1000, 86400000, NULL,
	 "server mode: an address a client declined (in use by another host) "
	 "is not handed out for this long", DB(decline_time_ms)},
	{"conflict_probe", PXH_CONF_BOOL, "yes", 0, 0, 0, NULL,
	 "server mode: ping each address offered afresh; one that answers "
	 "before the client's REQUEST is in use by another host (declined for "
	 "decline_time, the REQUEST gets a NAK); needs the ICMP socket opened "
	 "at start (root or CAP_NET_RAW, else net.ipv4.ping_group_range)", DB(conflict_probe)},
	PXH_CONF_END,
};

const struct pxh_section_schema pxh_dhcp_section = {
	"dhcp", pxh_dhcp_keys, NULL, sizeof(struct pxh_dhcp_conf), 0};
