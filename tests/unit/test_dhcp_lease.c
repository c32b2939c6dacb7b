/* Server mode: pool keys and their checks, pool choice, the lease table
 * (offer, bind, release, decline, flood bound) and the lease file. */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/stat.h>

#include "core_fixture.h"
#include "dhcp/dhcp.h"
#include "conf.h"

static const uint8_t MAC_A[6] = {0x52, 0x54, 0, 0x77, 0, 1};
static const uint8_t MAC_B[6] = {0x52, 0x54, 0, 0x77, 0, 2};

static uint32_t ip(const char *s)
{
	struct in_addr a;
	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

static struct pxh_dhcp_pool pool_of(const char *first, const char *last)
{
	struct pxh_dhcp_pool p = {0};

	snprintf(p.name, sizeof(p.name), "t");
	p.net = ip("10.77.0.0");
	p.mask = 0xffffff00u;
	p.first = ip(first);
	p.last = ip(last);
	p.lease_secs = 3600;
	return p;
}

/* ---- config ---------------------------------------------------------------- */
static struct pxh_conf *load(const char *text, struct pxh_conf_errors *e)
{
	struct pxh_conf *c = pxh_conf_load(NULL, text, e);
	assert_non_null(c);
	return c;
}

static void test_pool_keys_read(void **st)
{
	struct pxh_conf_errors e = {0};
	struct pxh_conf *c = load("[dhcp]\nmode = server\n"
	                          "[pool.lab]\nsubnet = 10.77.0.0/24\n"
	                          "range = 10.77.0.100-10.77.0.199\nrouter = 10.77.0.1\n"
	                          "dns = 10.77.0.53, 10.77.0.54\ndomain = lab.example\n"
	                          "lease_time = 2h\n"
	                          "[pool.far]\nsubnet = 10.88.0.0/16\n"
	                          "range = 10.88.1.0 - 10.88.1.255\n", &e);
	struct pxh_dhcp_pool *v = NULL;
	size_t n = 0;

	fx_print_errors(&e);
	assert_int_equal(e.n, 0);
	assert_int_equal(pxh_dhcp_pools_read(c, &v, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "lab");
	assert_int_equal(v[0].first, ip("10.77.0.100"));
	assert_int_equal(v[0].last, ip("10.77.0.199"));
	assert_int_equal(v[0].router, ip("10.77.0.1"));
	assert_int_equal(v[0].n_dns, 2);
	assert_int_equal(v[0].dns[1], ip("10.77.0.54"));
	assert_string_equal(v[0].domain, "lab.example");
	assert_int_equal(v[0].lease_secs, 7200);
	assert_int_equal(v[1].mask, 0xffff0000u);
	assert_int_equal(v[1].lease_secs, 3600);
	free(v);
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
}

static void test_pool_errors_with_file_line(void **st)
{
	struct pxh_conf_errors e = {0};
	struct pxh_conf *c = load(
		"[dhcp]\n"                                   /* 1 */
		"mode = server\n"                            /* 2 */
		"port = 0\n"                                 /* 3 */
		"[pool.a]\n"                                 /* 4 */
		"subnet = 10.77.0.0/24\n"                    /* 5 */
		"range = 10.77.0.100 - 10.78.0.5\n"          /* 6 */
		"[pool.b]\n"                                 /* 7 */
		"subnet = 10.77.1.1/24\n"                    /* 8 */
		"range = 10.77.1.0 - 10.77.1.10\n"           /* 9 */
		"router = 10.77.1.5\n"                       /* 10 */
		"[pool.c]\n"                                 /* 11 */
		"range = 1.2.3.4-1.2.3.5\n"                  /* 12 */
		"[pool.d]\n"                                 /* 13 */
		"subnet = 10.90.0.0/24\n"                    /* 14 */
		"range = 10.90.0.10 - 10.90.0.20\n"          /* 15 */
		"dns = 1.1.1.1, x\n"                         /* 16 */
		"[pool.e]\n"                                 /* 17 */
		"subnet = 10.90.0.0/25\n"                    /* 18 */
		"range = 10.90.0.15 - 10.90.0.30\n",         /* 19 */
		&e);

	fx_print_errors(&e);
	assert_true(fx_has_error(&e, "(embedded):6: [pool.a] range: '10.77.0.100 - 10.78.0.5' is not inside subnet"));
	assert_true(fx_has_error(&e, "(embedded):8: [pool.b] subnet: '10.77.1.1/24' has host bits set"));
	assert_true(fx_has_error(&e, "(embedded):11: [pool.c] needs key 'subnet'"));
	assert_true(fx_has_error(&e, "(embedded):16: [pool.d] dns: 'x' is not an IPv4 address"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);

	/* each checked alone, so earlier errors do not hide them */
	c = load("[pool.b]\nsubnet = 10.77.1.0/24\nrange = 10.77.1.0 - 10.77.1.10\n"
	         "router = 10.77.1.5\n", &e);
	assert_true(fx_has_error(&e, "(embedded):3: [pool.b] range: '10.77.1.0 - 10.77.1.10' holds the network"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	c = load("[pool.b]\nsubnet = 10.77.1.0/24\nrange = 10.77.1.2 - 10.77.1.10\n"
	         "router = 10.77.1.5\n", &e);
	assert_true(fx_has_error(&e, "(embedded):4: [pool.b] router: 10.77.1.5 is inside the range"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	c = load("[pool.d]\nsubnet = 10.90.0.0/24\nrange = 10.90.0.10 - 10.90.0.20\n"
	         "[pool.e]\nsubnet = 10.90.0.0/25\nrange = 10.90.0.15 - 10.90.0.30\n", &e);
	assert_true(fx_has_error(&e, "(embedded):6: [pool.e] range: overlaps the range of [pool.d] ((embedded):3)"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	c = load("[pool.d]\nsubnet = 10.90.0.0/24\nrange = 10.90.0.10 - 10.90.0.20\n"
	         "[pool.e]\nsubnet = 10.90.0.0/24\nrange = 10.90.0.30 - 10.90.0.40\n", &e);
	assert_true(fx_has_error(&e, "(embedded):5: [pool.e] subnet: overlaps the subnet of [pool.d]"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	c = load("[pool.d]\nsubnet = 10.90.0.0/31\nrange = 10.90.0.1 - 10.90.0.1\n", &e);
	assert_true(fx_has_error(&e, "(embedded):2: [pool.d] subnet: '10.90.0.0/31': the prefix must be /8 to /30"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	c = load("[pool.d]\nsubnet = 10.0.0.0/8\nrange = 10.0.0.1 - 10.1.0.1\n", &e);
	assert_true(fx_has_error(&e, "more than 65536 addresses"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	c = load("[pool.d]\nsubnet = 10.90.0.0/24\nrange = 10.90.0.10 - 10.90.0.20\nbogus = 1\n", &e);
	assert_true(fx_has_error(&e, "(embedded):4: unknown key 'bogus' in [pool.d]"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	/* [pool] alone takes no keys; other sections no sub-sections */
	c = load("[pool]\nsubnet = 10.0.0.0/8\n[dhcp.x]\nmode = server\n", &e);
	assert_true(fx_has_error(&e, "(embedded):2: unknown key 'subnet' in [pool]"));
	assert_true(fx_has_error(&e, "(embedded):4: unknown section [dhcp.x]"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
}

static void test_mode_server_needs(void **st)
{
	struct pxh_conf_errors e = {0};
	struct pxh_conf *c = load("[dhcp]\nmode = server\n", &e);

	assert_true(fx_has_error(&e, "(embedded):2: [dhcp] mode = server needs at least one [pool.NAME]"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	c = load("[dhcp]\nmode = server\nport = 0\n[pool.a]\nsubnet = 10.1.0.0/24\n"
	         "range = 10.1.0.5 - 10.1.0.9\n", &e);
	assert_true(fx_has_error(&e, "(embedded):2: [dhcp] mode = server needs port = 67 ((embedded):3)"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	c = load("[dhcp]\nmode = server\nenabled = no\n[pool.a]\nsubnet = 10.1.0.0/24\n"
	         "range = 10.1.0.5 - 10.1.0.9\n", &e);
	assert_true(fx_has_error(&e, "mode = server with enabled = no ((embedded):3)"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	/* proxy mode with a pool is fine (the pool waits for mode = server) */
	c = load("[pool.a]\nsubnet = 10.1.0.0/24\nrange = 10.1.0.5 - 10.1.0.9\n", &e);
	fx_print_errors(&e);
	assert_int_equal(e.n, 0);
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
}

static void test_pool_choice(void **st)
{
	struct pxh_dhcp_pool v[3] = {pool_of("10.77.0.10", "10.77.0.20"),
	                             pool_of("10.88.0.10", "10.88.0.20"),
	                             pool_of("10.99.0.10", "10.99.0.20")};

	v[1].net = ip("10.88.0.0");
	v[2].net = ip("10.99.0.0");
	snprintf(v[2].iface, sizeof(v[2].iface), "prov0");
	/* relayed: by giaddr's subnet */
	assert_ptr_equal(pxh_dhcp_pool_for(v, 3, htonl(ip("10.88.0.1")), "eth0",
	                                   htonl(ip("10.77.0.1"))), &v[1]);
	assert_null(pxh_dhcp_pool_for(v, 3, htonl(ip("10.55.0.1")), "eth0",
	                              htonl(ip("10.77.0.1"))));
	/* direct: the interface named, else our address on it */
	assert_ptr_equal(pxh_dhcp_pool_for(v, 3, 0, "prov0", htonl(ip("192.0.2.1"))), &v[2]);
	assert_ptr_equal(pxh_dhcp_pool_for(v, 3, 0, "eth0", htonl(ip("10.77.0.1"))), &v[0]);
	assert_null(pxh_dhcp_pool_for(v, 3, 0, "eth1", htonl(ip("192.0.2.1"))));
	/* a pool tied to an interface is not served on another one */
	assert_null(pxh_dhcp_pool_for(v, 3, 0, "eth1", htonl(ip("10.99.0.1"))));
}

/* ---- the lease table --------------------------------------------------------- */
static void test_offer_bind_release(void **st)
{
	struct pxh_dhcp_leases ls = {.max = 100, .max_offers = 64};
	struct pxh_dhcp_pool p = pool_of("10.77.0.10", "10.77.0.20");
	int err;
	uint32_t a = pxh_dhcp_lease_offer(&ls, &p, MAC_A, 0, 1000, 10, &err);

	assert_true(pxh_dhcp_pool_in_range(&p, a));
	/* the same client is offered the same address again */
	assert_int_equal(pxh_dhcp_lease_offer(&ls, &p, MAC_A, 0, 1001, 10, &err), a);
	/* another is not offered it, even when it asks for it */
	uint32_t b = pxh_dhcp_lease_offer(&ls, &p, MAC_B, a, 1001, 10, &err);
	assert_true(b && b != a);
	assert_int_equal(pxh_dhcp_lease_bind(&ls, MAC_B, a, 1002, 3600), -EADDRINUSE);
	assert_int_equal(pxh_dhcp_lease_bind(&ls, MAC_A, a, 1002, 3600), 0);
	assert_true(ls.dirty);
	assert_int_equal(pxh_dhcp_leases_count(&ls, PXH_LEASE_BOUND, 1003), 1);
	/* an offer unclaimed past its hold is free for others */
	assert_int_equal(pxh_dhcp_lease_offer(&ls, &p, MAC_A, b, 1012, 10, &err), a);
	assert_true(pxh_dhcp_lease_ip_free(&ls, b, MAC_A, 1012));
	/* a bound lease lives out its time, then is free */
	assert_false(pxh_dhcp_lease_ip_free(&ls, a, MAC_B, 1002 + 3599));
	assert_true(pxh_dhcp_lease_ip_free(&ls, a, MAC_B, 1002 + 3601));
	/* release: only by its holder */
	assert_int_equal(pxh_dhcp_lease_release(&ls, MAC_B, a), -ENOENT);
	assert_int_equal(pxh_dhcp_lease_release(&ls, MAC_A, a), 0);
	assert_true(pxh_dhcp_lease_ip_free(&ls, a, MAC_B, 1003));
	/* a new client asking for a free address gets it (RFC 2131 4.3.1);
	 * one with an earlier offer gets that one again */
	uint8_t mac_c[6] = {2, 0, 0, 0, 0, 3};
	assert_int_equal(pxh_dhcp_lease_offer(&ls, &p, mac_c, ip("10.77.0.15"), 1020, 10, &err),
	                 ip("10.77.0.15"));
	assert_int_equal(pxh_dhcp_lease_offer(&ls, &p, MAC_B, ip("10.77.0.17"), 1020, 10, &err), b);
	/* one entry per MAC: binding another address drops its offer */
	assert_int_equal(pxh_dhcp_lease_bind(&ls, mac_c, ip("10.77.0.16"), 1021, 60), 0);
	assert_true(pxh_dhcp_lease_ip_free(&ls, ip("10.77.0.15"), MAC_A, 1021));
	pxh_dhcp_leases_free(&ls);
}

static void test_decline_and_exhaustion(void **st)
{
	struct pxh_dhcp_leases ls = {.max = 100, .max_offers = 64};
	struct pxh_dhcp_pool p = pool_of("10.77.0.10", "10.77.0.11");
	int err;
	uint32_t a = pxh_dhcp_lease_offer(&ls, &p, MAC_A, 0, 1000, 10, &err);

	assert_int_equal(pxh_dhcp_lease_bind(&ls, MAC_A, a, 1000, 3600), 0);
	/* only the holder can decline */
	assert_int_equal(pxh_dhcp_lease_decline(&ls, MAC_B, a, 1001, 600), -ENOENT);
	assert_int_equal(pxh_dhcp_lease_decline(&ls, MAC_A, a, 1001, 600), 0);
	assert_int_equal(pxh_dhcp_leases_count(&ls, PXH_LEASE_DECLINED, 1002), 1);
	assert_false(pxh_dhcp_lease_ip_free(&ls, a, MAC_A, 1002));
	/* the client gets the other address, and then the pool is empty */
	uint32_t b = pxh_dhcp_lease_offer(&ls, &p, MAC_A, a, 1002, 10, &err);
	assert_true(b && b != a);
	assert_int_equal(pxh_dhcp_lease_offer(&ls, &p, MAC_B, 0, 1003, 10, &err), 0);
	assert_int_equal(err, PXH_LEASE_EXHAUSTED);
	/* the declined address comes back after decline_time */
	assert_true(pxh_dhcp_lease_ip_free(&ls, a, MAC_B, 1001 + 601));
	assert_int_equal(pxh_dhcp_lease_offer(&ls, &p, MAC_B, a, 1001 + 601, 10, &err), a);
	pxh_dhcp_leases_free(&ls);
}

/* An offered address that answers a probe is in use: declined, and the
 * client it was offered to cannot bind it; a bound one is its client's. */
static void test_conflict(void **st)
{
	struct pxh_dhcp_leases ls = {.max = 100, .max_offers = 64};
	struct pxh_dhcp_pool p = pool_of("10.77.0.10", "10.77.0.20");
	int err;
	uint32_t a = pxh_dhcp_lease_offer(&ls, &p, MAC_A, ip("10.77.0.12"), 1000, 10, &err);

	assert_int_equal(a, ip("10.77.0.12"));
	assert_int_equal(pxh_dhcp_lease_conflict(&ls, a, 1001, 600), 0);
	assert_int_equal(pxh_dhcp_lease_bind(&ls, MAC_A, a, 1001, 3600), -EADDRINUSE);
	assert_int_not_equal(pxh_dhcp_lease_offer(&ls, &p, MAC_A, a, 1002, 10, &err), a);
	assert_int_equal(pxh_dhcp_lease_conflict(&ls, ip("10.77.0.19"), 1002, 600), -ENOENT);
	uint32_t b = pxh_dhcp_lease_offer(&ls, &p, MAC_B, 0, 1003, 10, &err);
	assert_int_equal(pxh_dhcp_lease_bind(&ls, MAC_B, b, 1003, 3600), 0);
	assert_int_equal(pxh_dhcp_lease_conflict(&ls, b, 1004, 600), -ENOENT);
	pxh_dhcp_leases_free(&ls);
}

/* Made-up MACs that never REQUEST hold at most max_offers addresses. */
static void test_flood_bounded(void **st)
{
	struct pxh_dhcp_leases ls = {.max = 1000, .max_offers = 8};
	struct pxh_dhcp_pool p = pool_of("10.77.0.10", "10.77.0.29");
	int err;

	for (unsigned i = 0; i < 500; i++) {
		uint8_t mac[6] = {2, 0, 0, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
		assert_int_not_equal(pxh_dhcp_lease_offer(&ls, &p, mac, 0, 1000, 10, &err), 0);
	}
	assert_true(pxh_dhcp_leases_count(&ls, PXH_LEASE_OFFERED, 1000) <= 8);
	/* a real client still gets an address and can bind it */
	uint32_t a = pxh_dhcp_lease_offer(&ls, &p, MAC_A, 0, 1000, 10, &err);
	assert_int_not_equal(a, 0);
	assert_int_equal(pxh_dhcp_lease_bind(&ls, MAC_A, a, 1000, 3600), 0);
	/* the table never grows past max */
	struct pxh_dhcp_leases small = {.max = 4, .max_offers = 0};
	for (unsigned i = 0; i < 4; i++) {
		uint8_t mac[6] = {2, 0, 0, 0, 1, (uint8_t)i};
		assert_int_equal(pxh_dhcp_lease_bind(&small, mac, p.first + i, 1000, 3600), 0);
	}
	assert_int_equal(pxh_dhcp_lease_offer(&small, &p, MAC_A, 0, 1000, 10, &err), 0);
	assert_int_equal(err, PXH_LEASE_TABLE_FULL);
	assert_true(small.n <= 4);
	pxh_dhcp_leases_free(&small);
	pxh_dhcp_leases_free(&ls);
}

/* ---- the lease file ------------------------------------------------------------ */
static void test_file_round_trip(void **st)
{
	char *dir = fx_mkdtemp();
	char path[256];
	struct pxh_dhcp_leases ls = {.max = 100, .max_offers = 64};
	struct pxh_dhcp_leases back = {.max = 100};
	struct pxh_dhcp_pool p = pool_of("10.77.0.10", "10.77.0.20");
	struct stat sb;
	int err;

	snprintf(path, sizeof(path), "%s/dhcp-leases", dir);
	assert_int_equal(pxh_dhcp_lease_bind(&ls, MAC_A, ip("10.77.0.12"), 1000, 3600), 0);
	assert_int_equal(pxh_dhcp_lease_bind(&ls, MAC_B, ip("10.77.0.13"), 1000, 3600), 0);
	assert_int_equal(pxh_dhcp_lease_decline(&ls, MAC_B, ip("10.77.0.13"), 1000, 600), 0);
	/* offers are not written */
	uint8_t mac_c[6] = {2, 0, 0, 0, 0, 3};
	assert_int_not_equal(pxh_dhcp_lease_offer(&ls, &p, mac_c, 0, 1000, 10, &err), 0);
	assert_int_equal(pxh_dhcp_leases_save(&ls, path, 1001), 0);
	assert_false(ls.dirty);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640);
	snprintf(path + strlen(path), 8, ".tmp");
	assert_int_not_equal(stat(path, &sb), 0); /* renamed away */
	path[strlen(path) - 4] = 0;

	assert_int_equal(pxh_dhcp_leases_load(&back, path, 1002), 0);
	assert_int_equal(back.n, 2);
	struct pxh_dhcp_lease *l = pxh_dhcp_lease_by_mac(&back, &p, MAC_A);
	assert_non_null(l);
	assert_int_equal(l->ip, ip("10.77.0.12"));
	assert_int_equal(l->expires, 4600);
	assert_false(pxh_dhcp_lease_ip_free(&back, ip("10.77.0.13"), MAC_B, 1002));
	/* the client gets its address back after a restart */
	assert_int_equal(pxh_dhcp_lease_offer(&back, &p, MAC_A, ip("10.77.0.19"), 1003, 10, &err),
	                 ip("10.77.0.12"));
	pxh_dhcp_leases_free(&back);
	/* loaded after they expired: gone */
	assert_int_equal(pxh_dhcp_leases_load(&back, path, 5000), 0);
	assert_int_equal(back.n, 0);
	pxh_dhcp_leases_free(&back);
	pxh_dhcp_leases_free(&ls);
	fx_rmrf(dir);
	free(dir);
}

static void test_file_hostile(void **st)
{
	struct pxh_dhcp_leases ls = {.max = 2};
	size_t bad = 0;
	static const char text[] =
		"# comment\n"
		"lease 10.77.0.12 52:54:00:77:00:01 5000\n"
		"lease 10.77.0.12 52:54:00:77:00:02 5000\n"   /* same address twice */
		"lease 10.77.0.13 52:54:00:77:00:0 5000\n"    /* short MAC */
		"lease 10.77.0.14 52:54:00:77:00:01:00 5000\n"
		"lease 10.77.0.15 zz:54:00:77:00:01 5000\n"
		"lease 300.1.1.1 52:54:00:77:00:03 5000\n"
		"lease 10.77.0.16 52:54:00:77:00:04 -5\n"
		"lease 10.77.0.17 52:54:00:77:00:04 99999999999999999999999\n"
		"declined 10.77.0.18 52:54:00:77:00:04 5000\n" /* declined has no MAC */
		"lease 10.77.0.19 52:54:00:77:00:05 5000 extra\n"
		"nonsense\n"
		"lease 0.0.0.0 52:54:00:77:00:06 5000\n"
		"declined 10.77.0.20 - 5000\n"
		"lease 10.77.0.21 52:54:00:77:00:07 5000\n";   /* beyond max */

	assert_int_equal(pxh_dhcp_leases_parse(&ls, text, sizeof(text) - 1, 1000, &bad), 0);
	assert_int_equal(ls.n, 2);
	assert_int_equal(bad, 12);
	assert_non_null(pxh_dhcp_lease_by_ip(&ls, ip("10.77.0.12")));
	assert_non_null(pxh_dhcp_lease_by_ip(&ls, ip("10.77.0.20")));
	pxh_dhcp_leases_free(&ls);
	/* NUL bytes and a line longer than any we write */
	char junk[600];
	memset(junk, 'a', sizeof(junk));
	junk[10] = 0;
	junk[300] = '\n';
	assert_int_equal(pxh_dhcp_leases_parse(&ls, junk, sizeof(junk), 1000, &bad), 0);
	assert_int_equal(ls.n, 0);
	pxh_dhcp_leases_free(&ls);
}

static void test_grant_options(void **st)
{
	struct pxh_dhcp_pool p = pool_of("10.77.0.10", "10.77.0.20");
	struct pxh_dhcp_grant g = {.reply = DHCPACK, .pool = &p, .lease_secs = 600};
	uint8_t out[128];
	size_t n;
	static const uint8_t want[] = {
		1, 4, 255, 255, 255, 0, 3, 4, 10, 77, 0, 1, 6, 4, 10, 77, 0, 53,
		15, 3, 'l', 'a', 'b', 28, 4, 10, 77, 0, 255, 51, 4, 0, 0, 2, 88,
		58, 4, 0, 0, 1, 44, 59, 4, 0, 0, 2, 13,
	};

	p.router = ip("10.77.0.1");
	p.dns[0] = ip("10.77.0.53");
	p.n_dns = 1;
	snprintf(p.domain, sizeof(p.domain), "lab");
	n = pxh_dhcp_grant_options(&g, out, sizeof(out));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	g.reply = DHCPNAK;
	assert_int_equal(pxh_dhcp_grant_options(&g, out, sizeof(out)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_keys_read),
		cmocka_unit_test(test_pool_errors_with_file_line),
		cmocka_unit_test(test_mode_server_needs),
		cmocka_unit_test(test_pool_choice),
		cmocka_unit_test(test_offer_bind_release),
		cmocka_unit_test(test_decline_and_exhaustion),
		cmocka_unit_test(test_conflict),
		cmocka_unit_test(test_flood_bounded),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_file_hostile),
		cmocka_unit_test(test_grant_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
