/* peer plugin: heartbeat encoding and authentication, the replay window,
 * weighted rendezvous ranking, manifest parsing and signatures; and the
 * plugin in the test kit talking to this test over loopback UDP (election,
 * stand-down for a stronger peer, replay/forgery/stale counters, failover
 * with its events, status JSON, seed files taken into the cache). */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "pxehub/testkit.h"

/* the pure parts are tested directly */
#include "../../plugins/peer/peer_elect.c"
#include "../../plugins/peer/peer_manifest.c"
#include "../../plugins/peer/peer_msg.c"

static const char KEY[] = "0123456789abcdef-test-key";

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void fill(struct peer_msg *m, uint8_t idbyte, const char *name)
{
	memset(m, 0, sizeof(*m));
	m->type = PEER_T_HELLO;
	memset(m->id, idbyte, PEER_ID_LEN);
	m->seq = 1;
	m->time_ms = now_ms();
	m->addr = htonl(0x7f000001);
	m->http_port = 80;
	m->weight = m->next_weight = 100000;
	m->serial = 7;
	snprintf(m->name, sizeof(m->name), "%s", name);
}

/* ---- wire format ----------------------------------------------------------------- */
static void test_msg_roundtrip(void **state)
{
	struct peer_msg m, d;
	uint8_t b[PEER_MSG_MAX];
	int n;

	fill(&m, 0xab, "branch-pc-17");
	m.flags = PEER_F_READY;
	m.seq = 0x0102030405060708ull;
	m.held = 3;
	m.total = 4;
	m.load100 = 57;
	n = peer_msg_encode(&m, KEY, strlen(KEY), b, sizeof(b));
	assert_int_equal(n, PEER_HDR_LEN + 12 + PEER_HMAC_LEN);
	/* fixed offsets (docs/plugins/peer.md) */
	assert_memory_equal(b, "PXHP\x01\x01\x00\x02", 8);
	assert_memory_equal(b + 24, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_int_equal(b[88], 12);
	assert_int_equal(peer_msg_decode(b, (size_t)n, KEY, strlen(KEY), &d), 0);
	assert_string_equal(d.name, "branch-pc-17");
	assert_int_equal(d.seq, m.seq);
	assert_int_equal(d.flags, PEER_F_READY);
	assert_int_equal(d.held, 3);
	assert_int_equal(d.total, 4);
	assert_int_equal(d.load100, 57);
	assert_int_equal(d.next_weight, 100000);
	assert_int_equal(d.addr, m.addr);
	/* another key, any flipped bit: not authentic */
	assert_int_equal(peer_msg_decode(b, (size_t)n, "another-key-0123", 16, &d),
	                 -EPERM);
	for (int i = 8; i < n; i += 7) {
		if (i == 88)
			continue; /* the name length: malformed, see below */
		b[i] ^= 0x10;
		assert_int_equal(peer_msg_decode(b, (size_t)n, KEY, strlen(KEY), &d),
		                 -EPERM);
		b[i] ^= 0x10;
	}
	/* lengths, magic, version, type */
	assert_int_equal(peer_msg_decode(b, (size_t)n - 1, KEY, strlen(KEY), &d), -EBADMSG);
	assert_int_equal(peer_msg_decode(b, 10, KEY, strlen(KEY), &d), -EBADMSG);
	b[88] = 13;
	assert_int_equal(peer_msg_decode(b, (size_t)n, KEY, strlen(KEY), &d), -EBADMSG);
	b[88] = 12;
	b[4] = 2;
	assert_int_equal(peer_msg_decode(b, (size_t)n, KEY, strlen(KEY), &d), -EBADMSG);
	b[4] = 1;
	b[5] = 9;
	assert_int_equal(peer_msg_decode(b, (size_t)n, KEY, strlen(KEY), &d), -EBADMSG);
	/* names: printable, no spaces, at most 63 bytes */
	snprintf(m.name, sizeof(m.name), "a b");
	assert_int_equal(peer_msg_encode(&m, KEY, strlen(KEY), b, sizeof(b)), -EINVAL);
	memset(m.name, 'x', PEER_NAME_MAX);
	m.name[PEER_NAME_MAX] = '\0';
	assert_int_equal(peer_msg_encode(&m, KEY, strlen(KEY), b, sizeof(b)), PEER_MSG_MAX);
}

/* ---- replay window ---------------------------------------------------------------------- */
static void test_replay(void **state)
{
	static struct peer_replay r;
	uint8_t a[PEER_ID_LEN], b[PEER_ID_LEN];
	uint64_t t = 1800000000000ull;

	memset(a, 1, sizeof(a));
	memset(b, 2, sizeof(b));
	peer_replay_init(&r, 30);
	assert_int_equal(peer_replay_check(&r, a, 10, t, t, 100), PEER_RP_OK);
	assert_int_equal(peer_replay_check(&r, a, 10, t, t, 100.1), PEER_RP_REPLAY);
	assert_int_equal(peer_replay_check(&r, a, 9, t, t, 100.1), PEER_RP_REPLAY);
	assert_int_equal(peer_replay_check(&r, a, 11, t, t, 100.2), PEER_RP_OK);
	assert_int_equal(peer_replay_check(&r, b, 1, t, t, 100.2), PEER_RP_OK);
	/* outside the window either way */
	assert_int_equal(peer_replay_check(&r, a, 12, t - 30001, t, 101), PEER_RP_STALE);
	assert_int_equal(peer_replay_check(&r, a, 12, t + 30001, t, 101), PEER_RP_STALE);
	assert_int_equal(peer_replay_check(&r, a, 12, t - 30000, t, 101), PEER_RP_OK);
	/* a's slot lives 2 windows past its last heartbeat: a datagram
	 * captured before is stale by then */
	assert_int_equal(peer_replay_check(&r, a, 12, t + 55000, t + 55000, 155),
	                 PEER_RP_REPLAY);
	assert_int_equal(peer_replay_check(&r, a, 12, t, t + 61000, 162), PEER_RP_STALE);
	/* a full table drops newcomers until slots expire */
	peer_replay_init(&r, 30);
	for (int i = 0; i < PEER_REPLAY_SLOTS; i++) {
		uint8_t id[PEER_ID_LEN] = {0};
		id[0] = (uint8_t)i;
		id[1] = 0x55;
		assert_int_equal(peer_replay_check(&r, id, 1, t, t, 10), PEER_RP_OK);
	}
	assert_int_equal(peer_replay_check(&r, a, 1, t, t, 10), PEER_RP_FULL);
	assert_int_equal(peer_replay_check(&r, a, 1, t, t, 71), PEER_RP_OK);
}

/* ---- election ------------------------------------------------------------------------------- */
static void test_rank(void **state)
{
	uint8_t ids[4][PEER_ID_LEN];
	struct peer_cand c[4];
	size_t order[4], order3[3];
	unsigned wins[4] = {0}, moved = 0, total = 20000;
	uint8_t mac[6];

	for (int i = 0; i < 4; i++) {
		memset(ids[i], 0x10 * (i + 1), PEER_ID_LEN);
		c[i].id = ids[i];
		c[i].weight = i == 0 ? 300 : 100;
	}
	assert_int_equal(peer_mac_parse("52:54:00:AA:bb:0c", mac), 0);
	assert_memory_equal(mac, "\x52\x54\x00\xaa\xbb\x0c", 6);
	assert_int_equal(peer_mac_parse("52-54-00-aa-bb-0c", mac), 0);
	assert_int_equal(peer_mac_parse("52:54:00:aa:bb", mac), -EINVAL);
	assert_int_equal(peer_mac_parse("52:54:00:aa:bb:0c:", mac), -EINVAL);
	for (unsigned k = 0; k < total; k++) {
		mac[0] = 0x52; mac[1] = 0x54; mac[2] = 0;
		mac[3] = (uint8_t)(k >> 16); mac[4] = (uint8_t)(k >> 8); mac[5] = (uint8_t)k;
		peer_rank(c, 4, mac, order);
		wins[order[0]]++;
		/* input order does not matter */
		struct peer_cand rev[4] = {c[3], c[2], c[1], c[0]};
		size_t o2[4];
		peer_rank(rev, 4, mac, o2);
		assert_ptr_equal(rev[o2[0]].id, c[order[0]].id);
		/* without node 3, only node 3's clients move */
		peer_rank(c, 3, mac, order3);
		if (order[0] != 3)
			assert_int_equal(order3[0], order[0]);
		else
			moved++;
	}
	/* weight 300 of 600: half the clients, 100 of 600 each: a sixth */
	assert_true(fabs(wins[0] / (double)total - 0.5) < 0.02);
	for (int i = 1; i < 4; i++)
		assert_true(fabs(wins[i] / (double)total - 1 / 6.0) < 0.02);
	assert_int_equal(moved, wins[3]);
}

/* ---- manifest --------------------------------------------------------------------------------- */
#define H64 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
static int parses(const char *text)
{
	struct peer_manifest m;
	char why[200];
	int rc = peer_manifest_parse((const uint8_t *)text, strlen(text), &m,
	                             why, sizeof(why));
	if (!rc)
		peer_manifest_free(&m);
	return rc;
}

static void test_manifest(void **state)
{
	const char *good = "pxehub-peer-manifest 1\r\n# comment\n\nserial 42\n"
	                   "file " H64 " 4 boot/x64/BCD\n"
	                   "file " H64 " 4 undionly.kpxe\n";
	struct peer_manifest m;
	char why[200];

	assert_int_equal(peer_manifest_parse((const uint8_t *)good, strlen(good),
	                                     &m, why, sizeof(why)), 0);
	assert_int_equal(m.serial, 42);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.e[0].path, "boot/x64/BCD");
	assert_string_equal(m.e[0].hex, H64);
	assert_int_equal(m.e[0].sha256[0], 0x9f);
	assert_int_equal(m.e[1].size, 4);
	assert_int_equal(peer_manifest_find(&m, "Boot/X64/bcd"), 0);
	assert_int_equal(peer_manifest_find(&m, "boot/x64"), -1);
	peer_manifest_free(&m);
	/* refused */
	assert_int_equal(parses(""), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 2\nserial 1\n"), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 1\n"), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 1\nserial 0\n"), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 1\nserial 1\nserial 2\n"), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 1\nserial 1\nfile " H64 " 4 ../etc/passwd\n"), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 1\nserial 1\nfile " H64 " 4 /abs\n"), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 1\nserial 1\nfile " H64 " 4 a//b\n"), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 1\nserial 1\nfile " H64 " 4 a/./b\n"), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 1\nserial 1\nfile " H64 " 4 a\\b\n"), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 1\nserial 1\nfile " H64 " -4 a\n"), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 1\nserial 1\nfile " H64 " 4 a b\n"), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 1\nserial 1\nfile 9f86 4 a\n"), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 1\nserial 1\nfile " H64 " 4 a\nfile " H64 " 4 A\n"), -EBADMSG);
	assert_int_equal(parses("pxehub-peer-manifest 1\nserial 1\nfetch x\n"), -EBADMSG);
}

/* An Ed25519 key made here; its public half as PEM in FILE. */
static gnutls_privkey_t make_key(const char *pub_file)
{
	gnutls_privkey_t k;
	gnutls_pubkey_t pub;
	gnutls_datum_t pem;
	FILE *f;

	assert_int_equal(gnutls_privkey_init(&k), 0);
	assert_int_equal(gnutls_privkey_generate2(k, GNUTLS_PK_EDDSA_ED25519, 256,
	                                          0, NULL, 0), 0);
	assert_int_equal(gnutls_pubkey_init(&pub), 0);
	assert_int_equal(gnutls_pubkey_import_privkey(pub, k, 0, 0), 0);
	assert_int_equal(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_PEM, &pem), 0);
	f = fopen(pub_file, "w");
	assert_non_null(f);
	fwrite(pem.data, 1, pem.size, f);
	fclose(f);
	gnutls_free(pem.data);
	gnutls_pubkey_deinit(pub);
	return k;
}

static void sign_to(gnutls_privkey_t k, const char *text, const char *file)
{
	gnutls_datum_t d = {(unsigned char *)text, (unsigned)strlen(text)}, sig;
	char sf[600];
	FILE *f = fopen(file, "w");

	fputs(text, f);
	fclose(f);
	assert_int_equal(gnutls_privkey_sign_data2(k, GNUTLS_SIGN_EDDSA_ED25519, 0,
	                                           &d, &sig), 0);
	snprintf(sf, sizeof(sf), "%s.sig", file);
	f = fopen(sf, "w");
	fwrite(sig.data, 1, sig.size, f);
	fclose(f);
	gnutls_free(sig.data);
}

static void test_signature(void **state)
{
	char dir[] = "/tmp/pxh-peer-sig.XXXXXX", pubf[600], why[300];
	gnutls_privkey_t k;
	gnutls_datum_t d = {(unsigned char *)"pxehub-peer-manifest 1\nserial 3\n", 32}, sig;
	void *pub = NULL;

	assert_non_null(mkdtemp(dir));
	snprintf(pubf, sizeof(pubf), "%s/pub.pem", dir);
	k = make_key(pubf);
	assert_int_equal(peer_pubkey_load(pubf, &pub, why, sizeof(why)), 0);
	assert_int_equal(gnutls_privkey_sign_data2(k, GNUTLS_SIGN_EDDSA_ED25519, 0,
	                                           &d, &sig), 0);
	assert_int_equal(peer_sig_verify(pub, d.data, d.size, sig.data, sig.size), 0);
	assert_int_equal(peer_sig_verify(pub, d.data, d.size - 1, sig.data, sig.size), -EPERM);
	sig.data[5] ^= 1;
	assert_int_equal(peer_sig_verify(pub, d.data, d.size, sig.data, sig.size), -EPERM);
	assert_int_equal(peer_sig_verify(pub, d.data, d.size, sig.data, 0), -EPERM);
	gnutls_free(sig.data);
	peer_pubkey_free(pub);
	/* not a key */
	assert_int_equal(peer_pubkey_load("/etc/hostname", &pub, why, sizeof(why)), -EINVAL);
	assert_int_equal(peer_pubkey_load("/nonexistent", &pub, why, sizeof(why)), -ENOENT);
	gnutls_privkey_deinit(k);
	unlink(pubf);
	rmdir(dir);
}

/* ---- the plugin in the test kit ------------------------------------------------------------ */
static char so_buf[512];

static const char *plugin_so(void)
{
	const char *b = getenv("B");

	snprintf(so_buf, sizeof(so_buf), "%s/lib/pxehub/plugins/peer.so",
	         b ? b : "build");
	return so_buf;
}

static int udp_socket(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void send_msg_to(int fd, int port, const struct peer_msg *m,
                        const char *key)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	uint8_t b[PEER_MSG_MAX];
	int n = peer_msg_encode(m, key, strlen(key), b, sizeof(b));

	assert_true(n > 0);
	assert_int_equal(sendto(fd, b, (size_t)n, 0, (struct sockaddr *)&to,
	                        sizeof(to)), n);
}

/* A DISCOVER (or another type) as the core hands it to plugins. */
static uint8_t raw[300];
static void dhcp_client(pxh_client *c, const char *mac, uint8_t type)
{
	uint8_t m[6];

	pxh_tk_client(c, PXH_PHASE_DHCP, mac, "bios");
	peer_mac_parse(mac, m);
	memset(raw, 0, sizeof(raw));
	raw[0] = 1; raw[1] = 1; raw[2] = 6;
	memcpy(raw + 28, m, 6);
	memcpy(raw + 236, "\x63\x82\x53\x63\x35\x01", 6);
	raw[242] = type;
	raw[243] = 0xff;
	c->raw = raw;
	c->raw_len = 244;
}

static void mac_of(unsigned k, char *out, uint8_t m[6])
{
	snprintf(out, 18, "52:54:00:%02x:%02x:%02x", (k >> 16) & 255, (k >> 8) & 255, k & 255);
	peer_mac_parse(out, m);
}

static void test_plugin_election(void **state)
{
	int me, port, rx_port;
	int rx = udp_socket(&rx_port);
	int tx = udp_socket(&me);
	char ini[1024], mac[18], *body = NULL;
	pxh_tk *tk;
	pxh_tk_decision d;
	pxh_client c;
	struct peer_msg f, got;
	uint8_t b[PEER_MSG_MAX], selfid[PEER_ID_LEN], fid[PEER_ID_LEN], m6[6];
	ssize_t n;

	/* a free port for the plugin */
	close(udp_socket(&port));
	snprintf(ini, sizeof(ini),
	         "[boot]\ndefault_action = menu\n"
	         "[peer]\nkey = %s\ninterface = lo\nport = %d\n"
	         "peers = 127.0.0.1:%d\nheartbeat = 100ms\ndead_after = 1500ms\n"
	         "join_wait = 0\nname = unit\n", KEY, port, rx_port);
	tk = pxh_tk_new(ini);
	assert_non_null(tk);
	if (pxh_tk_load(tk, plugin_so()))
		fail_msg("%s", pxh_tk_error(tk));
	pxh_tk_run(tk, 0.35);
	/* its heartbeats reach our socket, signed with the key */
	n = recv(rx, b, sizeof(b), MSG_DONTWAIT);
	assert_true(n > 0);
	assert_int_equal(peer_msg_decode(b, (size_t)n, KEY, strlen(KEY), &got), 0);
	assert_string_equal(got.name, "unit");
	assert_int_equal(got.flags & PEER_F_JOINING, 0);
	assert_true(got.weight > 0);
	memcpy(selfid, got.id, PEER_ID_LEN);

	/* alone: it answers every DISCOVER (next: the default boots) */
	dhcp_client(&c, "52:54:00:00:00:01", 1);
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.plugin, "default");

	/* a peer three times as heavy joins */
	fill(&f, 0xf0, "heavy");
	f.flags = PEER_F_READY; /* else we, ready, would go first */
	f.weight = f.next_weight = got.weight * 3;
	f.seq = 1000;
	send_msg_to(tx, port, &f, KEY);
	pxh_tk_run(tk, 0.05);
	memcpy(fid, f.id, PEER_ID_LEN);
	unsigned ours = 0, agreed = 0, total = 200;
	for (unsigned k = 0; k < total; k++) {
		struct peer_cand cd[2] = {{selfid, got.weight}, {fid, f.weight}};
		size_t ord[2];

		mac_of(k, mac, m6);
		peer_rank(cd, 2, m6, ord);
		dhcp_client(&c, mac, 1);
		assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
		if (d.verdict == PXH_BOOT)
			ours++;
		/* the plugin's choice is the ranking computed here */
		agreed += (d.verdict == PXH_BOOT) == (ord[0] == 0);
		if (d.verdict == PXH_IGNORE)
			assert_non_null(strstr(d.reason, "heavy answers"));
	}
	assert_int_equal(agreed, total);
	assert_true(ours > total / 8 && ours < total * 3 / 8);
	/* a REQUEST (PXE port: the client chose us) is always ours */
	for (unsigned k = 0; k < 20; k++) {
		mac_of(k, mac, m6);
		dhcp_client(&c, mac, 3);
		assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
		assert_int_equal(d.verdict, PXH_BOOT);
	}

	/* the same datagram again, another key, an old one */
	send_msg_to(tx, port, &f, KEY);
	send_msg_to(tx, port, &f, "not-the-key-at-all");
	f.seq++;
	f.time_ms -= 120000;
	send_msg_to(tx, port, &f, KEY);
	pxh_tk_run(tk, 0.05);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_peer_rx_replay"), 1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_peer_rx_auth"), 1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_peer_rx_stale"), 1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_peer_peers_alive"), 2);
	assert_int_equal(pxh_tk_http(tk, "peer", "GET", "/", NULL, &body), 200);
	assert_non_null(strstr(body, "\"name\": \"heavy\""));
	free(body);
	body = NULL;

	/* heavy falls silent: gone after dead_after, we take its clients */
	pxh_tk_events_clear(tk);
	pxh_tk_run(tk, 1.8);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_peer_peers_alive"), 1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_peer_lost"), 1);
	int lost_ev = 0, takeover_ev = 0;
	for (size_t i = 0; i < pxh_tk_event_count(tk); i++) {
		const pxh_event *e = pxh_tk_event(tk, i);
		if (e->kind == PXH_EV_PLUGIN && !strcmp(e->action, "lost") &&
		    strstr(e->message, "heavy"))
			lost_ev++;
	}
	assert_int_equal(lost_ev, 1);
	for (unsigned k = 0; k < total; k++) {
		mac_of(k, mac, m6);
		dhcp_client(&c, mac, 1);
		assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
		assert_int_equal(d.verdict, PXH_BOOT);
	}
	for (size_t i = 0; i < pxh_tk_event_count(tk); i++) {
		const pxh_event *e = pxh_tk_event(tk, i);
		if (e->kind == PXH_EV_PLUGIN && !strcmp(e->action, "takeover"))
			takeover_ev++;
	}
	assert_int_equal(takeover_ev, (int)(total - ours));
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_peer_takeovers"), total - ours);
	/* the status shows heavy gone */
	assert_int_equal(pxh_tk_http(tk, "peer", "GET", "/", NULL, &body), 200);
	assert_non_null(strstr(body, "\"gone\""));
	assert_non_null(strstr(body, "\"role\": \"responder\""));
	free(body);
	pxh_tk_free(tk);
	close(rx);
	close(tx);
}

/* Seed files matching the signed manifest go into the cache; a seed that
 * differs is flagged; the manifest is served to the other peers. */
static void test_plugin_content(void **state)
{
	char dir[] = "/tmp/pxh-peer-content.XXXXXX", path[700], ini[2048];
	char text[1024], *body = NULL;
	const char *good = "loader bytes\n", *other = "other bytes!\n";
	uint8_t d1[32], d2[32];
	char h1[65], h2[65];
	gnutls_privkey_t k;
	pxh_tk *tk;
	int port;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/seed", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/seed/undionly.kpxe", dir);
	f = fopen(path, "w"); fputs(good, f); fclose(f);
	snprintf(path, sizeof(path), "%s/seed/tampered.img", dir);
	f = fopen(path, "w"); fputs("other bytes?\n", f); fclose(f);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, good, strlen(good), d1);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, other, strlen(other), d2);
	for (int i = 0; i < 32; i++) {
		sprintf(h1 + 2 * i, "%02x", d1[i]);
		sprintf(h2 + 2 * i, "%02x", d2[i]);
	}
	snprintf(path, sizeof(path), "%s/pub.pem", dir);
	k = make_key(path);
	snprintf(text, sizeof(text), "pxehub-peer-manifest 1\nserial 9\n"
	         "file %s %zu undionly.kpxe\nfile %s %zu tampered.img\n"
	         "file %s %zu missing.img\n", h1, strlen(good), h2, strlen(other),
	         h2, strlen(other));
	snprintf(path, sizeof(path), "%s/manifest", dir);
	sign_to(k, text, path);
	close(udp_socket(&port));
	snprintf(ini, sizeof(ini),
	         "[peer]\nkey = %s\ninterface = lo\nport = %d\njoin_wait = 0\n"
	         "public_key = %s/pub.pem\nmanifest = %s/manifest\n"
	         "seed_dir = %s/seed\n", KEY, port, dir, dir, dir);
	tk = pxh_tk_new(ini);
	assert_non_null(tk);
	if (pxh_tk_load(tk, plugin_so()))
		fail_msg("%s", pxh_tk_error(tk));
	for (int i = 0; i < 40 && pxh_tk_metric(tk, "pxehub_plugin_peer_files_held") < 1; i++)
		pxh_tk_run(tk, 0.05);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_peer_manifest_serial"), 9);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_peer_files_held"), 1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_peer_files_total"), 3);
	assert_int_equal(pxh_tk_http(tk, "peer", "GET", "/", NULL, &body), 200);
	assert_non_null(strstr(body, "\"local_copy_differs\": true"));
	free(body);
	assert_int_equal(pxh_tk_http(tk, "peer", "GET", "/manifest", NULL, &body), 200);
	assert_string_equal(body, text);
	free(body);
	/* a forged manifest with a higher serial is refused */
	gnutls_privkey_t k2;
	char pub2[700];
	snprintf(pub2, sizeof(pub2), "%s/pub2.pem", dir);
	k2 = make_key(pub2);
	snprintf(text, sizeof(text), "pxehub-peer-manifest 1\nserial 10\n");
	sign_to(k2, text, path);
	pxh_tk_free(tk);
	tk = pxh_tk_new(ini);
	assert_int_equal(pxh_tk_load(tk, plugin_so()), 0);
	pxh_tk_run(tk, 0.3);
	assert_true(pxh_tk_metric(tk, "pxehub_plugin_peer_manifest_rejected") >= 1);
	pxh_tk_free(tk);
	gnutls_privkey_deinit(k);
	gnutls_privkey_deinit(k2);
	char cmd[800];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Config mistakes are refused before any client is answered. */
static void test_plugin_config(void **state)
{
	pxh_tk *tk = pxh_tk_new("[peer]\nkey = short\n");

	assert_non_null(tk);
	assert_true(pxh_tk_load(tk, plugin_so()) < 0);
	pxh_tk_free(tk);
	tk = pxh_tk_new("[peer]\nkey = 0123456789abcdef\ngroup = 10.0.0.1\n");
	assert_true(pxh_tk_load(tk, plugin_so()) < 0);
	pxh_tk_free(tk);
	tk = pxh_tk_new("[peer]\nkey = 0123456789abcdef\nheartbeat = 1s\n"
	                "dead_after = 1500ms\n");
	assert_true(pxh_tk_load(tk, plugin_so()) < 0);
	pxh_tk_free(tk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msg_roundtrip),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_rank),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_signature),
		cmocka_unit_test(test_plugin_election),
		cmocka_unit_test(test_plugin_content),
		cmocka_unit_test(test_plugin_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
