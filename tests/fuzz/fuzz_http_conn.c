/* libFuzzer target: the HTTP connection's request state machine as
 * http_conn.c drives it (conn_process): reads of any size (the control
 * stream cuts the input), pipelined requests answered one at a time from
 * what is buffered, "Expect: 100-continue" answered once per request
 * before its body, and the parser's limits (head, body per route).
 * Input: a length byte, then that many control bytes (read sizes), then
 * the bytes a client sends. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN_BUF 4096 /* the connection's input buffer, as in http_conn.c */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pxh_http_req rq;
	const uint8_t *ctl, *in;
	size_t nctl, nin, sent = 0, ci = 0;
	char buf[IN_BUF];
	size_t off = 0, len = 0;
	unsigned requests = 0, continues = 0;
	bool continued = false;

	if (size < 1)
		return 0;
	nctl = data[0] < size - 1 ? data[0] : size - 1;
	ctl = data + 1;
	in = data + 1 + nctl;
	nin = size - 1 - nctl;
	pxh_http_req_init(&rq, 2048);
	rq.report_max = 4096;
	for (int rounds = 0; rounds < 20000; rounds++) {
		/* a read: as much as the control byte says, what fits */
		if (off == len && sent < nin) {
			size_t want = nctl ? (size_t)ctl[ci++ % nctl] + 1 : 64;

			off = len = 0;
			if (want > sizeof(buf))
				want = sizeof(buf);
			if (want > nin - sent)
				want = nin - sent;
			memcpy(buf, in + sent, want);
			len = want;
			sent += want;
		}
		if (off == len)
			break;
		{
			enum pxh_http_parse_state before = rq.state;
			size_t used = pxh_http_req_feed(&rq, buf + off, len - off);

			if (used > len - off)
				__builtin_trap();
			off += used;
			if (rq.state == PXH_RQ_ERROR) {
				if (rq.err_status < 400 || rq.err_status > 505)
					__builtin_trap();
				break;
			}
			if (rq.state == PXH_RQ_BODY && rq.expect_continue && !continued) {
				/* conn_process sends "100 Continue" here, once */
				if (rq.http_major != 1 || rq.http_minor < 1)
					__builtin_trap();
				continued = true;
				continues++;
			}
			if (rq.state == PXH_RQ_COMPLETE) {
				if (rq.path[0] != '/' || rq.body_len > rq.max_body ||
				    strlen(rq.url) != rq.url_len || !rq.query)
					__builtin_trap();
				requests++;
				if (!rq.keep_alive)
					break; /* the response closes the connection */
				pxh_http_req_next(&rq);
				if (rq.state != PXH_RQ_IDLE || rq.body_len || rq.n_hdr)
					__builtin_trap();
				continued = false;
				continue;
			}
			if (used == 0 && rq.state == before)
				__builtin_trap(); /* no progress on buffered bytes */
		}
	}
	if (continues > requests + 1)
		__builtin_trap();
	pxh_http_req_free(&rq);
	return 0;
}
