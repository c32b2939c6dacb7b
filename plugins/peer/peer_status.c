/* peer plugin: /plugins/peer/ (status JSON, the manifest for the other
 * peers) and the figures of /metrics. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "peer.h"

void peer_hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[b[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static json_t *member_json(struct peer *p, const struct peer_member *m,
                           bool self)
{
	char id[2 * PEER_ID_LEN + 1];
	double now = pxh_now(p->h);

	peer_hex(m->id, PEER_ID_LEN, id);
	return json_pack("{s:s, s:s, s:s, s:i, s:b, s:s, s:b, s:b, s:I, s:I, s:I, "
	                 "s:f, s:I, s:I, s:I, s:I, s:I, s:f}",
	                 "id", id, "name", m->name,
	                 "address", inet_ntoa(m->addr), "http_port", m->http_port,
	                 "self", self,
	                 "state", !m->alive ? "gone"
	                          : m->flags & PEER_F_JOINING ? "joining"
	                          : "member",
	                 "alive", m->alive, "ready", !!(m->flags & PEER_F_READY),
	                 "weight", (json_int_t)m->weight,
	                 "next_weight", (json_int_t)m->next_weight,
	                 "preference", (json_int_t)m->preference,
	                 "load", m->load100 / 100.0,
	                 "free_mb", (json_int_t)m->free_mb,
	                 "uptime_s", (json_int_t)m->uptime_s,
	                 "manifest_serial", (json_int_t)m->serial,
	                 "files_held", (json_int_t)m->held,
	                 "files_total", (json_int_t)m->total,
	                 "last_heard_s", self ? 0.0 : now - m->last_heard);
}

/* FULL: the caller sent the token or a client certificate; others do
 * not get the error text (it names paths and hosts), as the core's own
 * status hides them. */
static char *status_json(struct peer *p, bool full)
{
	json_t *root, *peers, *files, *cnt;
	char *out;

	p->self.addr = p->addr;
	p->self.serial = p->mf.serial;
	p->self.held = peer_content_held(p);
	p->self.total = (uint32_t)p->mf.n;
	p->self.last_heard = pxh_now(p->h);
	peers = json_array();
	json_array_append_new(peers, member_json(p, &p->self, true));
	for (size_t i = 0; i < p->n; i++)
		json_array_append_new(peers, member_json(p, &p->m[i], false));
	files = json_array();
	for (size_t i = 0; p->files && i < p->mf.n; i++)
		json_array_append_new(files, json_pack(
			"{s:s, s:s, s:I, s:b, s:b, s:b}", "path", p->mf.e[i].path,
			"sha256", p->mf.e[i].hex, "size", (json_int_t)p->mf.e[i].size,
			"held", p->files[i].held, "fetching", p->files[i].busy,
			"local_copy_differs", p->files[i].bad_seed));
	cnt = json_object();
#define C(n) json_object_set_new(cnt, #n, json_integer((json_int_t)p->c.n));
	PEER_COUNTERS(C)
#undef C
	root = json_pack("{s:s, s:s, s:i, s:s, s:i, s:o, s:{s:I, s:I, s:I, s:I, "
	                 "s:o, s:s}, s:o}",
	                 "name", p->name,
	                 "role", p->self.flags & PEER_F_JOINING ? "joining"
	                         : p->self.weight ? "responder" : "content only",
	                 "peers_alive", (int)peer_alive_count(p),
	                 "group", p->use_bcast ? "broadcast" : inet_ntoa(p->group),
	                 "port", p->port,
	                 "peers", peers,
	                 "manifest", "serial", (json_int_t)p->mf.serial,
	                 "files_held", (json_int_t)p->self.held,
	                 "cache_bytes", (json_int_t)p->cache_bytes,
	                 "cache_max", (json_int_t)p->cache_max,
	                 "files", files,
	                 "last_error", p->last_error,
	                 "counters", cnt);
	if (!root)
		return NULL;
	if (!full)
		json_object_del(root, "last_error");
	out = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	return out;
}

static int blob(pxh_http_response *rs, const uint8_t *b, size_t n)
{
	if (!b) {
		rs->status = 404;
		return 0;
	}
	rs->body = malloc(n + 1);
	if (!rs->body)
		return -ENOMEM;
	memcpy(rs->body, b, n);
	rs->body[n] = '\0'; /* for callers that read it as a string */
	rs->body_len = n;
	rs->content_type = "application/octet-stream";
	return 0;
}

int peer_http(void *ud, const pxh_http_request *rq, pxh_http_response *rs)
{
	struct peer *p = ud;

	if (strcmp(rq->method, "GET") && strcmp(rq->method, "HEAD")) {
		rs->status = 405;
		return 0;
	}
	/* signed by the upstream: anyone may have it, it proves itself */
	if (!strcmp(rq->path, "/manifest"))
		return blob(rs, p->mf_raw, p->mf_len);
	if (!strcmp(rq->path, "/manifest.sig"))
		return blob(rs, p->mf_sig, p->mf_sig_len);
	if (strcmp(rq->path, "/") && strcmp(rq->path, "") &&
	    strcmp(rq->path, "/status")) {
		rs->status = 404;
		return 0;
	}
	rs->body = status_json(p, rq->authenticated);
	if (!rs->body)
		return -ENOMEM;
	rs->body_len = strlen(rs->body);
	rs->content_type = "application/json";
	return 0;
}

void peer_report(void *ud, pxh_report *r)
{
	struct peer *p = ud;

	pxh_report_gauge(r, "peers_alive", (double)peer_alive_count(p));
	pxh_report_gauge(r, "weight", p->self.weight);
	pxh_report_gauge(r, "manifest_serial", (double)p->mf.serial);
	pxh_report_gauge(r, "files_held", peer_content_held(p));
	pxh_report_gauge(r, "files_total", (double)p->mf.n);
	pxh_report_gauge(r, "cache_bytes", (double)p->cache_bytes);
#define C(n) pxh_report_counter(r, #n, p->c.n);
	PEER_COUNTERS(C)
#undef C
}
