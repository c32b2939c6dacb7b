/* peer plugin: peer-to-peer PXE for branch offices.  Peers on one segment
 * elect one responder per client; the others stay silent.  Descriptor,
 * keys, init and the DHCP decision. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "peer.h"

void peer_event(struct peer *p, int severity, const char *action,
                const pxh_client *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pxh_event_emitf(p->h, severity, c, action, NULL, "%s", msg); /* logged too */
}

/* ---- the decision ------------------------------------------------------------ */
static void remember(struct peer *p, const uint8_t mac[6],
                     const struct peer_member *who, const pxh_client *c)
{
	unsigned slot = ((unsigned)mac[3] << 16 | (unsigned)mac[4] << 8 | mac[5]) %
	                PEER_RECENT;
	struct peer_recent *r = &p->recent[slot];
	double now = pxh_now(p->h);

	/* the same client, answered by someone else within the last minutes:
	 * that one went away (or the weights moved) and we take over */
	if (who == &p->self && r->when > 0 && now - r->when < 600 &&
	    !memcmp(r->mac, mac, 6) && memcmp(r->id, p->self.id, PEER_ID_LEN)) {
		char was[PEER_NAME_MAX + 1] = "?";

		for (size_t i = 0; i < p->n; i++)
			if (!memcmp(p->m[i].id, r->id, PEER_ID_LEN))
				snprintf(was, sizeof(was), "%s%s", p->m[i].name,
				         p->m[i].alive ? "" : " (gone)");
		p->c.takeovers++;
		peer_event(p, PXH_LOG_NOTICE, "takeover", c,
		           "mac=%s taken over from %s", c->mac, was);
	}
	memcpy(r->mac, mac, 6);
	memcpy(r->id, who->id, PEER_ID_LEN);
	r->when = now;
}

static enum pxh_verdict decide(void *ud, const pxh_client *c, pxh_answer *a,
                               pxh_request *req)
{
	struct peer *p = ud;
	const struct peer_member *who;
	const uint8_t *t;
	size_t tl = 0, rank = 0, n = 0;
	uint8_t mac[6];
	char why[160];

	(void)req;
	/* Only DISCOVERs reach every peer (broadcast).  A REQUEST on the PXE
	 * port was sent to the one whose offer the client took: it answers. */
	t = pxh_client_option(c, 53, &tl);
	if (!t || tl != 1 || t[0] != 1 || peer_mac_parse(c->mac, mac))
		return PXH_NEXT;
	who = peer_elect(p, mac, &rank, &n);
	if (!who) {
		p->c.not_ready++;
		pxh_answer_set_reason(a, p->self.flags & PEER_F_JOINING
		                      ? "still joining the peers"
		                      : "no peer may answer");
		return PXH_IGNORE;
	}
	remember(p, mac, who, c);
	if (who == &p->self) {
		p->c.elected++;
		snprintf(why, sizeof(why), "elected (%zu peers)", n);
		pxh_answer_set_reason(a, why);
		return PXH_NEXT; /* the plugins after us, or the default, answer */
	}
	p->c.deferred++;
	snprintf(why, sizeof(why), "%s answers (we rank %zu of %zu)",
	         who->name, rank + 1, n);
	pxh_answer_set_reason(a, why);
	return PXH_IGNORE;
}

/* ---- configuration --------------------------------------------------------------- */
static int load_key(struct peer *p, char *why, size_t why_len)
{
	const char *k = p->cf->key;
	const char *kf = p->cf->key_file;
	char buf[PEER_KEY_MAX + 2];
	size_t n = 0;

	if (k && *k && kf && *kf) {
		snprintf(why, why_len, "set key or key_file, not both");
		return -EINVAL;
	}
	if (kf && *kf) {
		int fd = open(kf, O_RDONLY | O_CLOEXEC);
		ssize_t r;

		if (fd < 0) {
			snprintf(why, why_len, "key_file %s: %s", kf, strerror(errno));
			return -errno;
		}
		r = read(fd, buf, sizeof(buf));
		close(fd);
		if (r < 0) {
			snprintf(why, why_len, "key_file %s: %s", kf, strerror(errno));
			return -EIO;
		}
		n = (size_t)r;
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
	} else if (k && *k) {
		n = strlen(k);
		if (n > PEER_KEY_MAX)
			n = PEER_KEY_MAX + 1;
		else
			memcpy(buf, k, n);
	}
	if (n < PEER_KEY_MIN || n > PEER_KEY_MAX) {
		snprintf(why, why_len, "the shared key (key or key_file) must "
		         "have %d to %d bytes", PEER_KEY_MIN, PEER_KEY_MAX);
		return -EINVAL;
	}
	memcpy(p->key, buf, n);
	p->keylen = n;
	return 0;
}

/* Our node id: random once, kept in the state dir so a restart keeps the
 * name (the sequence restarts from the clock, always higher). */
static void load_id(struct peer *p)
{
	char path[600], hex[2 * PEER_ID_LEN + 2];
	int fd;
	ssize_t r;

	snprintf(path, sizeof(path), "%s/node_id", p->state_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		r = read(fd, hex, sizeof(hex) - 1);
		close(fd);
		if (r >= 2 * PEER_ID_LEN) {
			unsigned ok = 0;
			for (int i = 0; i < PEER_ID_LEN; i++) {
				unsigned v;
				if (sscanf(hex + 2 * i, "%2x", &v) == 1) {
					p->self.id[i] = (uint8_t)v;
					ok++;
				}
			}
			if (ok == PEER_ID_LEN)
				return;
		}
	}
	if (getrandom(p->self.id, PEER_ID_LEN, 0) != PEER_ID_LEN)
		for (int i = 0; i < PEER_ID_LEN; i++) /* never on Linux >= 3.17 */
			p->self.id[i] = (uint8_t)(rand() ^ getpid() ^ i);
	peer_hex(p->self.id, PEER_ID_LEN, hex);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, hex, 2 * PEER_ID_LEN) < 0)
			pxh_log(p->h, PXH_LOG_WARNING, NULL, "%s: %s", path,
			        strerror(errno));
		close(fd);
	}
}

static int configure(struct peer *p, char *why, size_t why_len)
{
	const struct peer_conf *cf = p->cf;
	const char *s;
	int rc;

	if ((rc = load_key(p, why, why_len)))
		return rc;
	snprintf(p->ifname, sizeof(p->ifname), "%s", cf->interface);
	p->port = cf->port;
	p->http_port = cf->http_port;
	p->hb = cf->heartbeat_s;
	p->dead_after = cf->dead_after_s;
	p->join_wait = cf->join_wait_s;
	p->skew = cf->max_skew_s;
	if (p->dead_after < 2 * p->hb) {
		snprintf(why, why_len, "dead_after must be at least twice "
		         "heartbeat (a single lost heartbeat must not end a peer)");
		return -EINVAL;
	}
	p->preference = cf->preference;
	s = cf->name;
	if (!s || !*s) {
		char hn[256] = "";
		gethostname(hn, sizeof(hn) - 1);
		s = hn;
		snprintf(p->name, sizeof(p->name), "%s", hn);
	} else {
		snprintf(p->name, sizeof(p->name), "%s", s);
	}
	for (char *c = p->name; *c; c++)
		if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
			*c = '_';
	if (!p->name[0])
		snprintf(p->name, sizeof(p->name), "peer");
	snprintf(p->manifest_src, sizeof(p->manifest_src), "%s", cf->manifest);
	snprintf(p->upstream, sizeof(p->upstream), "%s", cf->upstream);
	while (p->upstream[0] && p->upstream[strlen(p->upstream) - 1] == '/')
		p->upstream[strlen(p->upstream) - 1] = '\0';
	snprintf(p->seed_dir, sizeof(p->seed_dir), "%s", cf->seed_dir);
	p->cache_max = cf->cache_max_mb << 20;
	p->max_fetches = cf->max_fetches;
	p->fetch_timeout_ms = cf->fetch_timeout_ms;
	p->manifest_interval = cf->manifest_interval_s;
	snprintf(p->state_dir, sizeof(p->state_dir), "%s",
	         pxh_host_state_dir(p->h));
	snprintf(p->cache_dir, sizeof(p->cache_dir), "%s/cache", p->state_dir);
	return 0;
}

static void fini(void *state)
{
	struct peer *p = state;

	if (!p)
		return;
	peer_net_stop(p);
	peer_content_stop(p);
	free(p);
}

static int init(pxh_host *h, void **state)
{
	struct peer *p = calloc(1, sizeof(*p));
	char why[300] = "";
	int rc;

	if (!p)
		return -ENOMEM;
	p->h = h;
	p->cf = pxh_conf_struct(h, NULL);
	p->fd = -1;
	if ((rc = configure(p, why, sizeof(why))))
		goto bad;
	load_id(p);
	if ((rc = peer_content_start(p, why, sizeof(why))) ||
	    (rc = peer_net_start(p, why, sizeof(why))))
		goto bad;
	if ((rc = pxh_register_boot_decision(h, decide, p, NULL)) ||
	    (rc = pxh_register_file_resolver(h, peer_resolve, p, NULL)) ||
	    (rc = pxh_register_http_route(h, peer_http, p, NULL)) ||
	    (rc = pxh_register_report(h, peer_report, p, NULL))) {
		snprintf(why, sizeof(why), "cannot register hooks: %s",
		         strerror(-rc));
		goto bad;
	}
	*state = p;
	return 0;
bad:
	pxh_log(h, PXH_LOG_ERR, NULL, "%s", why);
	fini(p);
	return rc < 0 ? rc : -EINVAL;
}

#define PEER_BIND(m) PXH_CONF_BIND(struct peer_conf, m)
static const pxh_conf_key keys[] = {
	{"key", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "shared secret of the peers (16 to 256 bytes); prefer key_file", PEER_BIND(key)},
	{"key_file", PXH_CONF_PATH, "", 0, 0, 0, NULL,
	 "file holding the shared secret (readable by [server] user)", PEER_BIND(key_file)},
	{"interface", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "interface the peers share; empty = the first one up with IPv4", PEER_BIND(interface)},
	{"address", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "IPv4 address announced to the peers; empty = the interface's", PEER_BIND(address)},
	{"port", PXH_CONF_INT, "4017", 0, 1, 65535, NULL,
	 "UDP port of the peer heartbeats", PEER_BIND(port)},
	{"group", PXH_CONF_STRING, "239.255.80.88", 0, 0, 0, NULL,
	 "multicast group of the heartbeats, or \"broadcast\" (255.255.255.255 "
	 "out of the interface)", PEER_BIND(group)},
	{"peers", PXH_CONF_LIST, "", 0, 0, 0, NULL,
	 "extra unicast destinations (IPV4[:PORT]) where multicast and "
	 "broadcast do not pass", PEER_BIND(peers)},
	{"heartbeat", PXH_CONF_DURATION, "500ms", 0, 50, 10000, NULL,
	 "interval between heartbeats", PEER_BIND(heartbeat_s)},
	{"dead_after", PXH_CONF_DURATION, "2s", 0, 100, 120000, NULL,
	 "a peer silent this long is gone; its clients go to the next peer", PEER_BIND(dead_after_s)},
	{"join_wait", PXH_CONF_DURATION, "2500ms", 0, 0, 120000, NULL,
	 "after start, listen this long before answering clients", PEER_BIND(join_wait_s)},
	{"max_skew", PXH_CONF_DURATION, "30s", 0, 1000, 3600000, NULL,
	 "heartbeats whose time differs more from ours are dropped (replay "
	 "window; keep the clocks in sync)", PEER_BIND(max_skew_s)},
	{"preference", PXH_CONF_INT, "100", 0, 0, 1000, NULL,
	 "weight factor chosen by the admin; 0 = never answer clients, only "
	 "share files", PEER_BIND(preference)},
	{"name", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "name shown to the other peers; empty = the host name", PEER_BIND(name)},
	{"http_port", PXH_CONF_INT, "80", 0, 1, 65535, NULL,
	 "this host's [http] port, where the peers fetch files", PEER_BIND(http_port)},
	{"public_key", PXH_CONF_PATH, "", PXH_CONF_MUST_EXIST, 0, 0, NULL,
	 "PEM public key (Ed25519 or RSA) of the upstream that signs the "
	 "manifest; empty = no file sharing", PEER_BIND(public_key)},
	{"manifest", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "where the signed manifest is: http:// URL or file path (signature: "
	 "the same with .sig); empty = from the peers only", PEER_BIND(manifest)},
	{"manifest_interval", PXH_CONF_DURATION, "60s", 0, 1000, 86400000,
	 NULL, "how often the manifest source is asked for a newer one", PEER_BIND(manifest_interval_s)},
	{"upstream", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "base URL of an upstream pxehub, asked for files (UPSTREAM/tftp/PATH) "
	 "no peer has", PEER_BIND(upstream)},
	{"seed_dir", PXH_CONF_PATH, "", 0, 0, 0, NULL,
	 "directory with files this peer already has (usually [tftp] root); "
	 "copies matching the manifest are taken into the cache", PEER_BIND(seed_dir)},
	{"cache_max_mb", PXH_CONF_INT, "4096", 0, 1, 16777216, NULL,
	 "size bound of the verified file cache (MiB)", PEER_BIND(cache_max_mb)},
	{"max_fetches", PXH_CONF_INT, "2", 0, 1, 16, NULL,
	 "file downloads at once", PEER_BIND(max_fetches)},
	{"fetch_timeout", PXH_CONF_DURATION, "300s", 0, 1000, 3600000, NULL,
	 "one file download at most this long (and 5 s to connect)", PEER_BIND(fetch_timeout_ms)},
	PXH_CONF_END,
};

PXH_PLUGIN(.name = "peer", .version = "1.0", .flags = PXH_PLUGIN_THREAD_SAFE,
           .keys = keys, .conf_size = sizeof(struct peer_conf), .init = init, .fini = fini);
