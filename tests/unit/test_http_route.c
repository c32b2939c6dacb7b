/* Unit tests of the HTTP request path: parser glue, routing, query facts,
 * ranges and validators, token check, report rate limit. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/http.h"

static void feed_all(struct pxh_http_req *rq, const char *text)
{
	pxh_http_req_feed(rq, text, strlen(text));
}

static void test_parse_simple(void **state)
{
	struct pxh_http_req rq;

	pxh_http_req_init(&rq, 8192);
	feed_all(&rq, "GET /files/a%20b.txt?x=1 HTTP/1.1\r\nHost: h\r\n"
	              "X-Empty:\r\nRange: bytes=0-9\r\n\r\n");
	assert_int_equal(rq.state, PXH_RQ_COMPLETE);
	assert_int_equal(rq.method, HTTP_GET);
	assert_string_equal(rq.path, "/files/a b.txt");
	assert_string_equal(rq.query, "x=1");
	assert_string_equal(pxh_http_req_header(&rq, "host"), "h");
	assert_string_equal(pxh_http_req_header(&rq, "RANGE"), "bytes=0-9");
	assert_string_equal(pxh_http_req_header(&rq, "X-Empty"), "");
	assert_null(pxh_http_req_header(&rq, "Cookie"));
	assert_true(rq.keep_alive);
	pxh_http_req_free(&rq);
}

/* Bytes one at a time: callbacks split anywhere must give the same. */
static void test_parse_bytewise(void **state)
{
	const char *req = "POST /boot.ipxe HTTP/1.1\r\nHost: example\r\n"
	                  "Content-Type: application/x-www-form-urlencoded\r\n"
	                  "Content-Length: 11\r\n\r\nmac=0a0b0c0";
	struct pxh_http_req rq;

	pxh_http_req_init(&rq, 8192);
	for (size_t i = 0; i < strlen(req); i++)
		assert_int_equal(pxh_http_req_feed(&rq, req + i, 1), 1);
	assert_int_equal(rq.state, PXH_RQ_COMPLETE);
	assert_string_equal(pxh_http_req_header(&rq, "content-type"),
	                    "application/x-www-form-urlencoded");
	assert_int_equal(rq.body_len, 11);
	assert_memory_equal(rq.body, "mac=0a0b0c0", 11);
	pxh_http_req_free(&rq);
}

static void test_parse_pipelined(void **state)
{
	const char *two = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\n\r\n";
	struct pxh_http_req rq;
	size_t n;

	pxh_http_req_init(&rq, 8192);
	n = pxh_http_req_feed(&rq, two, strlen(two));
	assert_int_equal(rq.state, PXH_RQ_COMPLETE);
	assert_string_equal(rq.path, "/a");
	assert_true(n < strlen(two));
	pxh_http_req_next(&rq);
	pxh_http_req_feed(&rq, two + n, strlen(two) - n);
	assert_int_equal(rq.state, PXH_RQ_COMPLETE);
	assert_string_equal(rq.path, "/b");
	assert_int_equal(rq.method, HTTP_HEAD);
	pxh_http_req_free(&rq);
}

static void test_parse_chunked_body(void **state)
{
	struct pxh_http_req rq;

	pxh_http_req_init(&rq, 8192);
	feed_all(&rq, "POST /api/v1/report HTTP/1.1\r\nHost: x\r\n"
	              "Transfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n2\r\n\":\r\n2\r\n1}\r\n0\r\n\r\n");
	assert_int_equal(rq.state, PXH_RQ_COMPLETE);
	assert_int_equal(rq.body_len, 7);
	assert_string_equal(rq.body, "{\"a\":1}");
	pxh_http_req_free(&rq);
}

static void expect_error(const char *text, size_t max_header, int status)
{
	struct pxh_http_req rq;

	pxh_http_req_init(&rq, max_header);
	rq.report_max = 100;
	feed_all(&rq, text);
	assert_int_equal(rq.state, PXH_RQ_ERROR);
	assert_int_equal(rq.err_status, status);
	pxh_http_req_free(&rq);
}

static void test_parse_errors(void **state)
{
	char big[12000];

	expect_error("GARBAGE\r\n\r\n", 8192, 501);
	expect_error("BREW /pot HTTP/1.1\r\n\r\n", 8192, 501);
	expect_error("GET / HTTP/1.1\r\nHost x\r\n\r\n", 8192, 400);
	expect_error("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 8192, 505);
	expect_error("GET http://other/ HTTP/1.1\r\nHost: x\r\n\r\n", 8192, 400);
	expect_error("GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 8192, 400);
	expect_error("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", 8192, 400);
	expect_error("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n", 8192, 400);
	expect_error("POST /api/v1/report HTTP/1.1\r\nContent-Length: 101\r\n\r\n", 8192, 413);
	expect_error("POST /api/v1/report HTTP/1.1\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n", 8192, 417);
	/* header budget */
	snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX-A: %02000d\r\n\r\n", 0);
	expect_error(big, 1024, 431);
	/* too many header lines */
	strcpy(big, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < 70; i++)
		strcat(big, "A: b\r\n");
	strcat(big, "\r\n");
	expect_error(big, 8192, 431);
	/* URL */
	strcpy(big, "GET /");
	memset(big + 5, 'u', 5000);
	strcpy(big + 5005, " HTTP/1.1\r\n\r\n");
	expect_error(big, 65536, 414);
}

static void test_parse_http10(void **state)
{
	struct pxh_http_req rq;

	pxh_http_req_init(&rq, 8192);
	feed_all(&rq, "GET / HTTP/1.0\r\n\r\n");
	assert_int_equal(rq.state, PXH_RQ_COMPLETE);
	assert_false(rq.keep_alive);
	pxh_http_req_next(&rq);
	feed_all(&rq, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	assert_true(rq.keep_alive);
	pxh_http_req_next(&rq);
	feed_all(&rq, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
	assert_false(rq.keep_alive);
	/* RFC 7231 5.1.1: an HTTP/1.0 request's Expect is ignored (no 100
	 * Continue to a client that cannot read one; fuzz_http_conn found it) */
	pxh_http_req_free(&rq);
	for (int minor = 0; minor <= 1; minor++) {
		char req[160];

		pxh_http_req_init(&rq, 8192);
		rq.report_max = 4096;
		snprintf(req, sizeof(req), "POST /api/v1/report HTTP/1.%d\r\n"
		         "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n", minor);
		feed_all(&rq, req);
		assert_int_equal(rq.state, PXH_RQ_BODY);
		assert_int_equal(rq.expect_continue, minor == 1);
		pxh_http_req_free(&rq);
	}
}

static void test_routes(void **state)
{
	struct pxh_http_match m;

	pxh_http_route_match("/boot.ipxe", HTTP_GET, &m);
	assert_int_equal(m.route, PXH_ROUTE_BOOT);
	assert_int_equal(m.status, 0);
	pxh_http_route_match("/boot.ipxe", HTTP_POST, &m);
	assert_int_equal(m.status, 0);
	pxh_http_route_match("/files/boot/x64/BCD", HTTP_HEAD, &m);
	assert_int_equal(m.route, PXH_ROUTE_FILES);
	assert_string_equal(m.rest, "boot/x64/BCD");
	pxh_http_route_match("/files/x", HTTP_PUT, &m);
	assert_int_equal(m.status, 405);
	pxh_http_route_match("/tftp/undionly.kpxe", HTTP_GET, &m);
	assert_int_equal(m.route, PXH_ROUTE_TFTP);
	assert_string_equal(m.rest, "undionly.kpxe");
	pxh_http_route_match("/plugins/referral/up?x", HTTP_GET, &m);
	assert_int_equal(m.route, PXH_ROUTE_PLUGIN);
	assert_string_equal(m.plugin, "referral");
	assert_string_equal(m.rest, "/up?x");
	pxh_http_route_match("/plugins/hello", HTTP_GET, &m);
	assert_string_equal(m.plugin, "hello");
	assert_string_equal(m.rest, "/");
	pxh_http_route_match("/plugins/../x", HTTP_GET, &m);
	assert_int_equal(m.status, 404);
	pxh_http_route_match("/plugins/", HTTP_GET, &m);
	assert_int_equal(m.status, 404);
	pxh_http_route_match("/api/v1/report", HTTP_GET, &m);
	assert_int_equal(m.status, 405);
	pxh_http_route_match("/api/v1/report", HTTP_POST, &m);
	assert_int_equal(m.route, PXH_ROUTE_REPORT);
	pxh_http_route_match("/api/v1/status", HTTP_GET, &m);
	assert_int_equal(m.route, PXH_ROUTE_STATUS);
	pxh_http_route_match("/api/v1/clients", HTTP_GET, &m);
	assert_int_equal(m.route, PXH_ROUTE_CLIENTS);
	pxh_http_route_match("/metrics", HTTP_GET, &m);
	assert_int_equal(m.route, PXH_ROUTE_METRICS);
	pxh_http_route_match("/", HTTP_GET, &m);
	assert_int_equal(m.route, PXH_ROUTE_INDEX);
	pxh_http_route_match("/etc/passwd", HTTP_GET, &m);
	assert_int_equal(m.status, 404);
	assert_string_equal(pxh_http_route_name(PXH_ROUTE_BOOT), "boot");
}

static void test_split_url(void **state)
{
	char out[64];
	const char *q;

	assert_int_equal(pxh_http_split_url("/a%2Fb?c=%20#f", out, sizeof(out), &q), 0);
	assert_string_equal(out, "/a/b");
	assert_string_equal(q, "c=%20#f");
	assert_int_equal(pxh_http_split_url("/x#frag", out, sizeof(out), &q), 0);
	assert_string_equal(out, "/x");
	assert_string_equal(q, "");
	assert_int_equal(pxh_http_split_url("/%", out, sizeof(out), &q), -EINVAL);
	assert_int_equal(pxh_http_split_url("/%4", out, sizeof(out), &q), -EINVAL);
	assert_int_equal(pxh_http_split_url("*", out, sizeof(out), &q), -EINVAL);
	assert_int_equal(pxh_http_split_url("/aaaaaaaaaa", out, 5, &q), -EINVAL);
}

static void test_form_and_facts(void **state)
{
	const char *q = "mac=52%3A54%3A00%3AAB%3Acd%3A0F&uuid=01234567-89ab-cdef-0123-456789abcdef"
	                "&arch=x86_64&platform=efi&manufacturer=Dell+Inc.&product=OptiPlex%207090"
	                "&serial=ABC%22123&asset=%0A";
	pxh_client c;
	char v[32];

	assert_int_equal(pxh_http_form_get("a=1&b=&c", 8, "b", v, sizeof(v)), 0);
	assert_int_equal(pxh_http_form_get("a=1&b=&c", 8, "c", v, sizeof(v)), 0);
	assert_int_equal(pxh_http_form_get("a=1&b=&c", 8, "a", v, sizeof(v)), 1);
	assert_string_equal(v, "1");
	assert_int_equal(pxh_http_form_get("a=1&b=&c", 8, "d", v, sizeof(v)), -1);
	assert_int_equal(pxh_http_form_get("aa=1", 4, "a", v, sizeof(v)), -1);

	memset(&c, 0, sizeof(c));
	assert_int_equal(pxh_http_facts(q, strlen(q), &c), 8);
	assert_string_equal(c.mac, "52:54:00:ab:cd:0f");
	assert_string_equal(c.uuid, "01234567-89AB-CDEF-0123-456789ABCDEF");
	assert_string_equal(c.buildarch, "x86_64");
	assert_string_equal(c.platform, "efi");
	assert_int_equal(c.arch, PXH_ARCH_EFI_X64);
	assert_string_equal(c.manufacturer, "Dell Inc.");
	assert_string_equal(c.product, "OptiPlex 7090");
	assert_string_equal(c.serial, "ABC123"); /* quotes dropped */
	assert_string_equal(c.asset, "");

	memset(&c, 0, sizeof(c));
	assert_int_equal(pxh_http_facts("mac=bogus&uuid=xyz", 18, &c), 2);
	assert_string_equal(c.mac, "");
	assert_string_equal(c.uuid, "");
	memset(&c, 0, sizeof(c));
	assert_int_equal(pxh_http_facts("", 0, &c), 0);
	/* UUIDs: exactly 36 characters, dashes at 8, 13, 18, 23 */
	{
		static const struct {
			const char *form, *uuid;
		} u[] = {
			{"uuid=abcdef01-2345-6789-abcd-ef0123456789", "ABCDEF01-2345-6789-ABCD-EF0123456789"},
			{"uuid=ABCDEF01-2345-6789-abcd-EF0123456789&uuid=x", "ABCDEF01-2345-6789-ABCD-EF0123456789"},
			{"uuid=abcdef01-2345-6789-abcd-ef012345678", ""},
			{"uuid=abcdef01-2345-6789-abcd-ef01234567890", ""},
			{"uuid=abcdef0-12345-6789-abcd-ef0123456789", ""},
			{"uuid=abcdef01-2345-6789-abcd-ef012345678g", ""},
			{"uuid=abcdef01%2D2345-6789-abcd-ef0123456789", "ABCDEF01-2345-6789-ABCD-EF0123456789"},
			{"uuid=", ""},
		};

		for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
			memset(&c, 0, sizeof(c));
			assert_int_equal(pxh_http_facts(u[i].form, strlen(u[i].form), &c), 1);
			assert_string_equal(c.uuid, u[i].uuid);
		}
	}
}

/* The facts as pxh_http_form_get finds them key by key (the first
 * occurrence of each key, "buildarch" after "arch"): pxh_http_facts reads
 * them in one pass and must agree. */
static int facts_by_key(const char *form, pxh_client *c)
{
	static const char *const keys[] = {"manufacturer", "product", "serial",
	                                   "asset", "platform", "arch", "buildarch"};
	char *const dst[] = {c->manufacturer, c->product, c->serial, c->asset,
	                     c->platform, c->buildarch, c->buildarch};
	const size_t dlen[] = {sizeof(c->manufacturer), sizeof(c->product),
	                       sizeof(c->serial), sizeof(c->asset),
	                       sizeof(c->platform), sizeof(c->buildarch),
	                       sizeof(c->buildarch)};
	size_t len = strlen(form);
	char v[256];
	int found = 0;

	if (pxh_http_form_get(form, len, "mac", v, sizeof(v)) >= 0) {
		found++;
		if (pxh_http_mac_normalise(v, c->mac) < 0)
			c->mac[0] = '\0';
	}
	if (pxh_http_form_get(form, len, "uuid", v, sizeof(v)) >= 0)
		found++;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t o = 0;

		if (pxh_http_form_get(form, len, keys[i], v, sizeof(v)) < 0)
			continue;
		found++;
		/* printable ASCII without quotes and backslashes, no
		 * trailing blanks (what the facts keep) */
		for (const char *p = v; *p && o + 1 < dlen[i]; p++)
			if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
				dst[i][o++] = *p;
		while (o > 0 && dst[i][o - 1] == ' ')
			o--;
		dst[i][o] = '\0';
	}
	return found;
}

static void test_facts_one_pass(void **state)
{
	static const char *const forms[] = {
		"mac=52:54:00:00:00:01&mac=52:54:00:00:00:02",
		"arch=x86_64&buildarch=arm64",
		"buildarch=arm64&arch=i386&arch=x86_64",
		"serial=%ZZ&serial=good",     /* a bad first one: absent */
		"serial&product=&asset==x",   /* no '=', empty, '=' in value */
		"&&mac=00-11-22-33-44-55&&",
		"macx=1&xmac=2&ma=3&mac",
		"manufacturer=A+B%20C++&platform=efi&platform=pcbios",
		"uuid=1&uuid=01234567-89ab-cdef-0123-456789abcdef",
		"product=%41%42%00",          /* %00 refused: absent */
		"=&=x&asset=%7e",
		"",
	};

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		pxh_client a, b;
		int na, nb;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		na = pxh_http_facts(forms[i], strlen(forms[i]), &a);
		nb = facts_by_key(forms[i], &b);
		assert_int_equal(na, nb);
		assert_string_equal(a.mac, b.mac);
		assert_string_equal(a.manufacturer, b.manufacturer);
		assert_string_equal(a.product, b.product);
		assert_string_equal(a.serial, b.serial);
		assert_string_equal(a.asset, b.asset);
		assert_string_equal(a.platform, b.platform);
		assert_string_equal(a.buildarch, b.buildarch);
	}
}

static void test_mac_forms(void **state)
{
	char m[18];

	assert_int_equal(pxh_http_mac_normalise("00-11-22-AA-BB-CC", m), 0);
	assert_string_equal(m, "00:11:22:aa:bb:cc");
	assert_int_equal(pxh_http_mac_normalise("001122aabbcc", m), 0);
	assert_string_equal(m, "00:11:22:aa:bb:cc");
	assert_int_equal(pxh_http_mac_normalise("0:1:2:a:b:c", m), 0);
	assert_string_equal(m, "00:01:02:0a:0b:0c");
	assert_int_equal(pxh_http_mac_normalise("00:11:22:aa:bb", m), -EINVAL);
	assert_int_equal(pxh_http_mac_normalise("00:11:22:aa:bb:cc:dd", m), -EINVAL);
	assert_int_equal(pxh_http_mac_normalise("", m), -EINVAL);
	assert_int_equal(pxh_http_mac_normalise("FF:fe:0A:9b:c:D", m), 0);
	assert_string_equal(m, "ff:fe:0a:9b:0c:0d");
}

static void test_ranges(void **state)
{
	struct pxh_http_range r;
	char etag[64], date[40];
	time_t mt = 1700000000;

	pxh_http_etag(1000, mt, etag, sizeof(etag));
	pxh_http_eval_range(1000, etag, mt, NULL, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, 1000);
	pxh_http_eval_range(1000, etag, mt, NULL, NULL, "bytes=10-19", NULL, &r);
	assert_int_equal(r.status, 206);
	assert_int_equal(r.off, 10);
	assert_int_equal(r.len, 10);
	pxh_http_eval_range(1000, etag, mt, NULL, NULL, "bytes=990-", NULL, &r);
	assert_int_equal(r.status, 206);
	assert_int_equal(r.len, 10);
	pxh_http_eval_range(1000, etag, mt, NULL, NULL, "bytes=-5000", NULL, &r);
	assert_int_equal(r.status, 206);
	assert_int_equal(r.off, 0);
	assert_int_equal(r.len, 1000);
	pxh_http_eval_range(1000, etag, mt, NULL, NULL, "bytes=900-5000", NULL, &r);
	assert_int_equal(r.len, 100);
	pxh_http_eval_range(1000, etag, mt, NULL, NULL, "bytes=1000-", NULL, &r);
	assert_int_equal(r.status, 416);
	pxh_http_eval_range(1000, etag, mt, NULL, NULL, "bytes=0-1,5-6", NULL, &r);
	assert_int_equal(r.status, 200); /* several ranges: the whole file */
	pxh_http_eval_range(1000, etag, mt, NULL, NULL, "bytes=20-10", NULL, &r);
	assert_int_equal(r.status, 200);
	pxh_http_eval_range(1000, etag, mt, NULL, NULL, "items=1-2", NULL, &r);
	assert_int_equal(r.status, 200);
	pxh_http_eval_range(0, etag, mt, NULL, NULL, "bytes=0-", NULL, &r);
	assert_int_equal(r.status, 416);
	/* validators */
	pxh_http_eval_range(1000, etag, mt, etag, NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 304);
	pxh_http_eval_range(1000, etag, mt, "\"x\", W/\"3e8-6553f100\"", NULL, NULL, NULL, &r);
	assert_string_equal(etag, "\"3e8-6553f100\"");
	assert_int_equal(r.status, 304);
	pxh_http_eval_range(1000, etag, mt, "*", NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 304);
	pxh_http_eval_range(1000, etag, mt, "\"other\"", NULL, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	pxh_http_date(mt, date, sizeof(date));
	assert_string_equal(date, "Tue, 14 Nov 2023 22:13:20 GMT");
	assert_int_equal(pxh_http_parse_date(date), mt);
	assert_int_equal(pxh_http_parse_date("yesterday"), (time_t)-1);
	pxh_http_eval_range(1000, etag, mt, NULL, date, NULL, NULL, &r);
	assert_int_equal(r.status, 304);
	pxh_http_eval_range(1000, etag, mt + 1, NULL, date, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	/* If-Range: a stale validator gets the whole entity */
	pxh_http_eval_range(1000, etag, mt, NULL, NULL, "bytes=0-9", "\"stale\"", &r);
	assert_int_equal(r.status, 200);
	pxh_http_eval_range(1000, etag, mt, NULL, NULL, "bytes=0-9", etag, &r);
	assert_int_equal(r.status, 206);
	pxh_http_eval_range(1000, etag, mt, NULL, NULL, "bytes=0-9", date, &r);
	assert_int_equal(r.status, 206);
}

static void test_bearer_and_rate(void **state)
{
	assert_true(pxh_http_bearer_ok("Bearer abc", "abc"));
	assert_true(pxh_http_bearer_ok("bearer  abc", "abc"));
	assert_false(pxh_http_bearer_ok("Bearer abcd", "abc"));
	assert_false(pxh_http_bearer_ok("Bearer ab", "abc"));
	assert_false(pxh_http_bearer_ok("Basic abc", "abc"));
	assert_false(pxh_http_bearer_ok(NULL, "abc"));
	assert_false(pxh_http_bearer_ok("Bearer ", ""));
	assert_false(pxh_http_bearer_ok("Bearer x", NULL));

	/* burst of twice the rate, then one per 1/rate seconds */
	int okn = 0;
	for (int i = 0; i < 30; i++)
		okn += pxh_http_rate_ok("10.0.0.9", 100.0, 5);
	assert_int_equal(okn, 10);
	assert_false(pxh_http_rate_ok("10.0.0.9", 100.1, 5));
	assert_true(pxh_http_rate_ok("10.0.0.9", 100.3, 5));
	assert_true(pxh_http_rate_ok("10.0.0.10", 100.3, 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_simple),
		cmocka_unit_test(test_parse_bytewise),
		cmocka_unit_test(test_parse_pipelined),
		cmocka_unit_test(test_parse_chunked_body),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_http10),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_split_url),
		cmocka_unit_test(test_form_and_facts),
		cmocka_unit_test(test_facts_one_pass),
		cmocka_unit_test(test_mac_forms),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_bearer_and_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
