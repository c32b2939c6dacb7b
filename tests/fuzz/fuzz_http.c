/* libFuzzer target: the HTTP request path (parser glue, request target
 * decoding, routing, query facts, ranges and validators). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

static void route(const struct pxh_http_req *rq)
{
	struct pxh_http_match m;
	struct pxh_http_range r;
	pxh_client c;
	char etag[64];
	const char *body = rq->body ? rq->body : "";

	pxh_http_route_match(rq->path, rq->method, &m);
	(void)pxh_http_route_name(m.route);
	memset(&c, 0, sizeof(c));
	pxh_http_facts(rq->query, strlen(rq->query), &c);
	/* the one-pass facts agree with a key-by-key lookup */
	{
		char v[256], mac[18] = "";
		size_t ql = strlen(rq->query);

		if (pxh_http_form_get(rq->query, ql, "mac", v, sizeof(v)) >= 0 &&
		    pxh_http_mac_normalise(v, mac) < 0)
			mac[0] = '\0';
		if (strcmp(mac, c.mac) != 0)
			abort();
	}
	pxh_http_facts(body, rq->body_len, &c);
	pxh_http_etag(1234567, 1700000000, etag, sizeof(etag));
	pxh_http_eval_range(1234567, etag, 1700000000,
	                    pxh_http_req_header(rq, "If-None-Match"),
	                    pxh_http_req_header(rq, "If-Modified-Since"),
	                    pxh_http_req_header(rq, "Range"),
	                    pxh_http_req_header(rq, "If-Range"), &r);
	if (r.status == 206 && (r.len == 0 || r.off + r.len > 1234567))
		abort();
	(void)pxh_http_bearer_ok(pxh_http_req_header(rq, "Authorization"), "token");
	(void)pxh_http_cookie_ok(rq, "token"); /* the console's Cookie header */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pxh_http_req rq;
	size_t off = 0;
	int rounds = 0;
	/* the first byte picks how the input is cut into reads, as a slow
	 * client would send it */
	size_t step = size ? (size_t)data[0] % 64 + 1 : 1;

	pxh_http_req_init(&rq, 2048);
	rq.report_max = 4096;
	if (size)
		off = 1;
	while (off < size && rounds++ < 10000) {
		size_t n = size - off < step ? size - off : step;
		size_t used = pxh_http_req_feed(&rq, (const char *)data + off, n);

		if (used > n)
			abort();
		off += used;
		if (rq.state == PXH_RQ_ERROR)
			break;
		if (rq.state == PXH_RQ_COMPLETE) {
			route(&rq);
			pxh_http_req_next(&rq);
			continue;
		}
		if (used == 0)
			break;
	}
	pxh_http_req_free(&rq);
	return 0;
}
