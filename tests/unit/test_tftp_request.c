/* Unit tests: TFTP request parsing, option negotiation, OACK/ERROR packets,
 * the send window (rollover, lock-step duplicates, restarts), netascii. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tftp/tftp.h"

/* build a request from NUL-separated text ("file\0octet\0...") */
static size_t mk(uint8_t *buf, int op, const char *fields, size_t flen)
{
	buf[0] = 0;
	buf[1] = (uint8_t)op;
	memcpy(buf + 2, fields, flen);
	return 2 + flen;
}
#define MK(buf, op, lit) mk(buf, op, lit, sizeof(lit) - 1)

static void parse_plain(void **st)
{
	uint8_t b[600];
	struct tftp_request rq;
	size_t n = MK(b, TFTP_RRQ, "pxelinux.0\0octet\0");

	(void)st;
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	assert_int_equal(rq.opcode, TFTP_RRQ);
	assert_string_equal(rq.file, "pxelinux.0");
	assert_int_equal(rq.mode, TFTP_MODE_OCTET);
	assert_int_equal(rq.seen, 0);
	n = MK(b, TFTP_WRQ, "x\0NetASCII\0");
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	assert_int_equal(rq.opcode, TFTP_WRQ);
	assert_int_equal(rq.mode, TFTP_MODE_NETASCII);
}

static void parse_options(void **st)
{
	uint8_t b[600];
	struct tftp_request rq;
	size_t n = MK(b, TFTP_RRQ, "f\0octet\0BLKSIZE\0001468\0tsize\0000\0"
	                           "windowsize\0004\0timeout\0003\0msftwindow\00031416\0x\0y\0");

	(void)st;
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	assert_int_equal(rq.seen, TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE |
	                                  TFTP_OPT_WINDOWSIZE | TFTP_OPT_TIMEOUT |
	                                  TFTP_OPT_MSFTWINDOW);
	assert_int_equal(rq.blksize, 1468);
	assert_int_equal(rq.windowsize, 4);
	assert_int_equal(rq.timeout, 3);
	assert_int_equal(rq.msftwindow, 31416);
	assert_int_equal(rq.n_unknown, 1);
}

static void parse_bad(void **st)
{
	uint8_t b[2100];
	struct tftp_request rq;
	size_t n;

	(void)st;
	n = MK(b, TFTP_RRQ, "f\0octet"); /* mode unterminated */
	assert_int_equal(tftp_parse_request(b, n, &rq), -EINVAL);
	n = MK(b, TFTP_RRQ, "\0octet\0"); /* empty name */
	assert_int_equal(tftp_parse_request(b, n, &rq), -EINVAL);
	n = MK(b, TFTP_DATA, "f\0octet\0");
	assert_int_equal(tftp_parse_request(b, n, &rq), -EINVAL);
	n = MK(b, TFTP_RRQ, "f\0binary\0");
	assert_int_equal(tftp_parse_request(b, n, &rq), -EPROTONOSUPPORT);
	/* NUL inside the name: the rest becomes the mode */
	n = MK(b, TFTP_RRQ, "a\0../../etc/passwd\0octet\0");
	assert_int_equal(tftp_parse_request(b, n, &rq), -EPROTONOSUPPORT);
	memset(b + 2, 'a', 2000);
	memcpy(b + 2002, "\0octet\0", 7);
	assert_int_equal(tftp_parse_request(b, 2009, &rq), -ENAMETOOLONG);
	assert_int_equal(tftp_parse_request(b, 3, &rq), -EINVAL);
	/* bad values: flagged, not fatal; trailing half option ignored */
	n = MK(b, TFTP_RRQ, "f\0octet\0blksize\0007\0windowsize\0000\0timeout\000256\0tsize\0-1\0blksize\0");
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	assert_int_equal(rq.seen, 0);
	assert_int_equal(rq.bad, TFTP_OPT_BLKSIZE | TFTP_OPT_WINDOWSIZE |
	                                 TFTP_OPT_TIMEOUT | TFTP_OPT_TSIZE);
}

static void negotiate(void **st)
{
	uint8_t b[600], o[600];
	struct tftp_request rq;
	struct tftp_limits lim = {1468, 64, 4u << 20, 0};
	struct tftp_params p;
	size_t n = MK(b, TFTP_RRQ, "f\0octet\0blksize\00065464\0tsize\0000\0windowsize\000100\0");
	static const char want[] = "\0\6blksize\0001468\0tsize\00012345\0windowsize\00064\0";

	(void)st;
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	tftp_negotiate(&rq, &lim, 12345, &p);
	assert_true(p.oack);
	assert_int_equal(p.blksize, 1468);
	assert_int_equal(p.windowsize, 64);
	n = tftp_build_oack(&p, o, sizeof(o));
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(o, want, n);
	/* empty file: no tsize 0 in the OACK */
	tftp_negotiate(&rq, &lim, 0, &p);
	assert_false(p.acked & TFTP_OPT_TSIZE);
	/* window memory bound */
	lim.max_blksize = 65464;
	lim.max_window_bytes = 1u << 20;
	n = MK(b, TFTP_RRQ, "f\0octet\0blksize\00065464\0windowsize\00064\0");
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	tftp_negotiate(&rq, &lim, 1, &p);
	assert_int_equal(p.windowsize, (1u << 20) / 65464);
	/* msftwindow with the extension off (lim.msftwindow false): no OACK,
	 * RFC 1350 defaults (tests/unit/test_tftp_msft.c has it on) */
	n = MK(b, TFTP_RRQ, "f\0octet\0msftwindow\00031416\0");
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	tftp_negotiate(&rq, &lim, 1, &p);
	assert_false(p.oack);
	assert_false(p.msft);
	assert_int_equal(p.blksize, 512);
	assert_int_equal(p.windowsize, 1);
}

static void error_packet(void **st)
{
	uint8_t o[16];
	size_t n = tftp_build_error(o, sizeof(o), TFTP_EOPTNEG, "a long message here");

	(void)st;
	assert_int_equal(n, 16);
	assert_int_equal(o[1], TFTP_ERROR);
	assert_int_equal(o[3], 8);
	assert_int_equal(o[15], 0);
}

static void window_lockstep(void **st)
{
	struct tftp_window w;

	(void)st;
	tftp_window_init(&w, false, 3, 1);
	w.next = tftp_window_end(&w); /* block 1 out */
	assert_int_equal(w.next, 2);
	assert_int_equal(tftp_window_ack(&w, 1, true), TFTP_ACK_SEND);
	w.next = tftp_window_end(&w);
	/* duplicate ACK 1: Sorcerer's Apprentice, nothing sent */
	assert_int_equal(tftp_window_ack(&w, 1, true), TFTP_ACK_IGNORE);
	assert_int_equal(tftp_window_ack(&w, 2, true), TFTP_ACK_SEND);
	w.next = tftp_window_end(&w);
	assert_int_equal(tftp_window_ack(&w, 3, true), TFTP_ACK_DONE);
}

static void window_restart_once(void **st)
{
	struct tftp_window w;

	(void)st;
	tftp_window_init(&w, true, 100, 8);
	w.next = tftp_window_end(&w); /* OACK */
	assert_int_equal(tftp_window_ack(&w, 0, true), TFTP_ACK_SEND);
	assert_int_equal(w.base, 1);
	w.next = tftp_window_end(&w);
	assert_int_equal(w.next, 9);
	/* gap after block 3: restart at 4, once */
	assert_int_equal(tftp_window_ack(&w, 3, true), TFTP_ACK_SEND);
	assert_int_equal(w.base, 4);
	w.next = tftp_window_end(&w);
	assert_int_equal(w.next, 12);
	assert_int_equal(tftp_window_ack(&w, 3, true), TFTP_ACK_IGNORE);
	assert_int_equal(tftp_window_ack(&w, 3, true), TFTP_ACK_IGNORE);
	/* a later gap inside the new window restarts again */
	assert_int_equal(tftp_window_ack(&w, 6, true), TFTP_ACK_SEND);
	assert_int_equal(w.base, 7);
	w.next = tftp_window_end(&w);
	/* within a round trip of a restart: base moves, no restart */
	assert_int_equal(tftp_window_ack(&w, 8, false), TFTP_ACK_IGNORE);
	assert_int_equal(w.base, 9);
	/* stale ACK */
	assert_int_equal(tftp_window_ack(&w, 2, true), TFTP_ACK_IGNORE);
	assert_int_equal(tftp_window_ack(&w, (uint16_t)(w.next - 1), true),
	                 TFTP_ACK_SEND);
}

static void window_rollover(void **st)
{
	struct tftp_window w;
	uint64_t last = 70000;

	(void)st;
	assert_int_equal(tftp_block_abs(65540, 3), 65539);
	assert_int_equal(tftp_block_abs(65535, 65535), 65535);
	assert_int_equal(tftp_block_abs(65536, 0), 65536);
	assert_int_equal(tftp_block_abs(5, 65535), -1);
	tftp_window_init(&w, false, last, 16);
	/* walk the whole file acking each window's last block on the wire */
	for (int i = 0; i < 10000 && w.base <= last; i++) {
		w.next = tftp_window_end(&w);
		enum tftp_ack_action a = tftp_window_ack(&w, (uint16_t)(w.next - 1), true);
		if (w.base > last) {
			assert_int_equal(a, TFTP_ACK_DONE);
			break;
		}
		assert_int_equal(a, TFTP_ACK_SEND);
	}
	assert_int_equal(w.base, last + 1);
}

static void netascii(void **st)
{
	const uint8_t in[] = "a\nb\rc";
	uint8_t out[16];
	uint64_t n = tftp_netascii_size(in, 5);

	(void)st;
	assert_int_equal(n, 7);
	tftp_netascii_convert(in, 5, out);
	assert_memory_equal(out, "a\r\nb\r\0c", 7);
}

static void errno_map(void **st)
{
	const char *m;

	(void)st;
	assert_int_equal(tftp_errno_code(-ENOENT, &m), TFTP_ENOTFOUND);
	assert_int_equal(tftp_errno_code(-EACCES, &m), TFTP_EACCESS);
	assert_int_equal(tftp_errno_code(-EISDIR, &m), TFTP_EACCESS);
	assert_int_equal(tftp_errno_code(-ENAMETOOLONG, &m), TFTP_EACCESS);
	assert_int_equal(tftp_errno_code(-EIO, &m), TFTP_EUNDEF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_plain),     cmocka_unit_test(parse_options),
		cmocka_unit_test(parse_bad),       cmocka_unit_test(negotiate),
		cmocka_unit_test(error_packet),    cmocka_unit_test(window_lockstep),
		cmocka_unit_test(window_restart_once),
		cmocka_unit_test(window_rollover), cmocka_unit_test(netascii),
		cmocka_unit_test(errno_map),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
