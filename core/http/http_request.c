/* Request parsing: libhttp-parser callbacks into a bounded request record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

static struct pxh_http_req *req_of(http_parser *p)
{
	return p->data;
}

static int fail(struct pxh_http_req *rq, int status, const char *why)
{
	rq->state = PXH_RQ_ERROR;
	rq->err_status = status;
	rq->err_why = why;
	return -1;
}

/* Request line and headers share one budget: a slowloris that trickles
 * endless headers is cut off by size here and by time in the connection. */
static int count_header(struct pxh_http_req *rq, size_t n)
{
	rq->hdr_bytes += n;
	if (rq->hdr_bytes > rq->max_header)
		return fail(rq, 431, "headers too large");
	return 0;
}

static int hbuf_put(struct pxh_http_req *rq, const char *p, size_t n)
{
	if (rq->hbuf_len + n + 1 > rq->hbuf_cap)
		return fail(rq, 431, "headers too large");
	memcpy(rq->hbuf + rq->hbuf_len, p, n);
	rq->hbuf_len += n;
	rq->hbuf[rq->hbuf_len] = '\0';
	return 0;
}

static int on_message_begin(http_parser *p)
{
	struct pxh_http_req *rq = req_of(p);

	rq->state = PXH_RQ_HEADERS;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
	struct pxh_http_req *rq = req_of(p);

	if (count_header(rq, n))
		return -1;
	if (rq->url_len + n > PXH_HTTP_MAX_URL)
		return fail(rq, 414, "URI too long");
	memcpy(rq->url + rq->url_len, at, n);
	rq->url_len += n;
	rq->url[rq->url_len] = '\0';
	return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
	struct pxh_http_req *rq = req_of(p);

	if (count_header(rq, n))
		return -1;
	if (rq->in_value || rq->n_hdr == 0) {
		/* a new header: close the previous value, start a name */
		if (rq->n_hdr == PXH_HTTP_MAX_HEADERS)
			return fail(rq, 431, "too many headers");
		if (rq->n_hdr > 0 && hbuf_put(rq, "", 1))
			return -1;
		rq->hdr[rq->n_hdr].name = (uint32_t)rq->hbuf_len;
		rq->hdr[rq->n_hdr].value = UINT32_MAX;
		rq->n_hdr++;
		rq->in_value = false;
	}
	return hbuf_put(rq, at, n);
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
	struct pxh_http_req *rq = req_of(p);
	struct pxh_http_header *h;

	if (count_header(rq, n))
		return -1;
	if (rq->n_hdr == 0)
		return fail(rq, 400, "value without header");
	h = &rq->hdr[rq->n_hdr - 1];
	if (!rq->in_value) {
		if (hbuf_put(rq, "", 1))
			return -1;
		h->value = (uint32_t)rq->hbuf_len;
		rq->in_value = true;
	}
	return hbuf_put(rq, at, n);
}

static int on_headers_complete(http_parser *p)
{
	struct pxh_http_req *rq = req_of(p);
	const char *expect;

	if (rq->n_hdr > 0 && rq->in_value && hbuf_put(rq, "", 1))
		return -1;
	/* a header with an empty value never saw on_header_value */
	for (unsigned i = 0; i < rq->n_hdr; i++)
		if (rq->hdr[i].value == UINT32_MAX)
			rq->hdr[i].value = (uint32_t)(rq->hbuf_len - 0);
	if (rq->hbuf_len + 1 > rq->hbuf_cap)
		return fail(rq, 431, "headers too large");
	rq->hbuf[rq->hbuf_len] = '\0';
	rq->method = p->method;
	rq->http_major = p->http_major;
	rq->http_minor = p->http_minor;
	if (p->http_major != 1)
		return fail(rq, 505, "HTTP version not supported");
	rq->keep_alive = http_should_keep_alive(p) != 0;
	if (pxh_http_split_url(rq->url, rq->path, sizeof(rq->path),
	                       &rq->query) < 0)
		return fail(rq, 400, "bad request target");
	if (p->upgrade || p->method == HTTP_CONNECT)
		return fail(rq, 501, "not implemented");
	rq->max_body = pxh_http_body_limit(rq->path, rq->method,
	                                   rq->report_max);
	if ((p->flags & F_CONTENTLENGTH) && p->content_length > rq->max_body)
		return fail(rq, 413, "request body too large");
	/* RFC 7231 5.1.1: an HTTP/1.0 request's 100-continue is ignored (no
	 * interim response a 1.0 client cannot read) */
	expect = p->http_minor >= 1 ? pxh_http_req_header(rq, "Expect") : NULL;
	if (expect) {
		if (strcasecmp(expect, "100-continue") != 0)
			return fail(rq, 417, "expectation failed");
		rq->expect_continue = true;
	}
	rq->state = PXH_RQ_BODY;
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
	struct pxh_http_req *rq = req_of(p);

	if (rq->body_len + n > rq->max_body)
		return fail(rq, 413, "request body too large");
	if (rq->body_len + n + 1 > rq->body_cap) {
		size_t cap = rq->body_cap ? rq->body_cap : 1024;
		char *nb;

		while (cap < rq->body_len + n + 1)
			cap *= 2;
		nb = realloc(rq->body, cap);
		if (!nb)
			return fail(rq, 503, "out of memory");
		rq->body = nb;
		rq->body_cap = cap;
	}
	memcpy(rq->body + rq->body_len, at, n);
	rq->body_len += n;
	rq->body[rq->body_len] = '\0';
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct pxh_http_req *rq = req_of(p);

	rq->state = PXH_RQ_COMPLETE;
	/* one request at a time: pipelined ones wait in the input buffer */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void pxh_http_req_init(struct pxh_http_req *rq, size_t max_header)
{
	memset(rq, 0, sizeof(*rq));
	http_parser_init(&rq->parser, HTTP_REQUEST);
	rq->parser.data = rq;
	rq->max_header = max_header;
	rq->query = "";
}

void pxh_http_req_free(struct pxh_http_req *rq)
{
	free(rq->hbuf);
	free(rq->body);
	rq->hbuf = rq->body = NULL;
	rq->hbuf_cap = rq->body_cap = 0;
}

void pxh_http_req_next(struct pxh_http_req *rq)
{
	rq->state = PXH_RQ_IDLE;
	rq->err_status = 0;
	rq->err_why = NULL;
	rq->hdr_bytes = 0;
	rq->url_len = 0;
	rq->url[0] = '\0';
	rq->hbuf_len = 0;
	rq->n_hdr = 0;
	rq->in_value = false;
	rq->body_len = 0;
	rq->keep_alive = false;
	rq->expect_continue = false;
	rq->path[0] = '\0';
	rq->query = "";
	rq->max_body = 0;
	/* a large body buffer is not kept between requests */
	if (rq->body_cap > 65536) {
		free(rq->body);
		rq->body = NULL;
		rq->body_cap = 0;
	}
	http_parser_pause(&rq->parser, 0);
}

size_t pxh_http_req_feed(struct pxh_http_req *rq, const char *p, size_t len)
{
	size_t n;
	enum http_errno e;

	if (rq->state == PXH_RQ_COMPLETE || rq->state == PXH_RQ_ERROR)
		return 0;
	if (!rq->hbuf) {
		rq->hbuf_cap = rq->max_header + 2 * PXH_HTTP_MAX_HEADERS + 2;
		rq->hbuf = malloc(rq->hbuf_cap);
		if (!rq->hbuf) {
			fail(rq, 503, "out of memory");
			return 0;
		}
		rq->hbuf[0] = '\0';
	}
	n = http_parser_execute(&rq->parser, &settings, p, len);
	e = HTTP_PARSER_ERRNO(&rq->parser);
	if (rq->state == PXH_RQ_ERROR)
		return n;
	if (e == HPE_PAUSED)
		return n;
	if (e != HPE_OK) {
		if (e == HPE_INVALID_METHOD)
			fail(rq, 501, "method not implemented");
		else if (e == HPE_HEADER_OVERFLOW)
			fail(rq, 431, "headers too large");
		else
			fail(rq, 400, http_errno_description(e));
		return n;
	}
	return n;
}

const char *pxh_http_req_header(const struct pxh_http_req *rq,
                                const char *name)
{
	for (unsigned i = 0; i < rq->n_hdr; i++) {
		if (rq->hdr[i].value == UINT32_MAX)
			continue;
		if (strcasecmp(rq->hbuf + rq->hdr[i].name, name) == 0)
			return rq->hbuf + rq->hdr[i].value;
	}
	return NULL;
}

size_t pxh_http_body_limit(const char *path, unsigned method,
                           size_t report_max)
{
	if (strcmp(path, "/api/v1/report") == 0)
		return report_max ? report_max : 65536;
	if (strncmp(path, "/plugins/", 9) == 0)
		return PXH_HTTP_BODY_PLUGIN;
	return PXH_HTTP_BODY_DEFAULT;
}
