/* Unit tests: Microsoft's variable-window extension (msftwindow) in TFTP
 * negotiation, the OACK, and the window sizes ACK hints ask for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tftp/tftp.h"

static size_t mk(uint8_t *buf, const char *fields, size_t flen)
{
	buf[0] = 0;
	buf[1] = TFTP_RRQ;
	memcpy(buf + 2, fields, flen);
	return 2 + flen;
}
#define MK(buf, lit) mk(buf, lit, sizeof(lit) - 1)

/* The read request of a Windows boot program (tsize, blksize, windowsize,
 * msftwindow), answered with the magic reply after the RFC options. */
static void negotiate_windows_request(void **st)
{
	uint8_t b[600], o[600];
	struct tftp_request rq;
	struct tftp_limits lim = {1468, 64, 4u << 20, 255};
	struct tftp_params p;
	size_t n = MK(b, "\\Boot\\x64\\Boot.SDI\0octet\0tsize\0000\0blksize\0001456\0"
	                 "windowsize\0004\0msftwindow\00031416\0");
	static const char want[] = "\0\6blksize\0001456\0tsize\0003170304\0"
	                           "windowsize\0004\0msftwindow\00027182\0";

	(void)st;
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	tftp_negotiate(&rq, &lim, 3170304, &p);
	assert_true(p.oack);
	assert_true(p.msft);
	assert_int_equal(p.blksize, 1456);
	assert_int_equal(p.windowsize, 4);
	assert_int_equal(p.max_window, 255); /* hints go past max_windowsize */
	n = tftp_build_oack(&p, o, sizeof(o));
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(o, want, n);
	/* option names are case-insensitive (RFC 2347) */
	n = MK(b, "f\0octet\0MsftWindow\00031416\0");
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	tftp_negotiate(&rq, &lim, 10, &p);
	assert_true(p.msft);
	assert_true(p.oack);
	assert_int_equal(p.windowsize, 1); /* hints size the windows */
}

static void negotiate_refusals(void **st)
{
	uint8_t b[600], o[600];
	struct tftp_request rq;
	struct tftp_limits lim = {1468, 64, 4u << 20, 255};
	struct tftp_params p;
	size_t n;

	(void)st;
	/* another value is not the extension: left out, RFC 7440 applies */
	n = MK(b, "f\0octet\0windowsize\0008\0msftwindow\00027182\0");
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	tftp_negotiate(&rq, &lim, 10, &p);
	assert_false(p.msft);
	assert_false(p.acked & TFTP_OPT_MSFTWINDOW);
	assert_int_equal(p.windowsize, 8);
	n = tftp_build_oack(&p, o, sizeof(o));
	assert_null(memmem(o, n, "msftwindow", 10));
	/* not a number, or out of range */
	n = MK(b, "f\0octet\0msftwindow\0pi\0");
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	tftp_negotiate(&rq, &lim, 10, &p);
	assert_false(p.msft);
	assert_false(p.oack);
	n = MK(b, "f\0octet\0msftwindow\000314160000000000000000000\0");
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	tftp_negotiate(&rq, &lim, 10, &p);
	assert_false(p.msft);
	/* [tftp] msftwindow = 0 */
	lim.max_msftwindow = 0;
	n = MK(b, "f\0octet\0blksize\0001456\0msftwindow\00031416\0");
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	tftp_negotiate(&rq, &lim, 10, &p);
	assert_false(p.msft);
	assert_true(p.oack);
	n = tftp_build_oack(&p, o, sizeof(o));
	assert_null(memmem(o, n, "msftwindow", 10));
	/* the first of duplicate options wins */
	lim.max_msftwindow = 255;
	n = MK(b, "f\0octet\0msftwindow\0001\0msftwindow\00031416\0");
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	tftp_negotiate(&rq, &lim, 10, &p);
	assert_false(p.msft);
}

static void hint_clamp(void **st)
{
	uint8_t ack[6] = {0, TFTP_ACK, 0, 7, 0, 0};

	(void)st;
	assert_int_equal(tftp_window_hint(ack, 4, 9, 64), 9); /* no hint */
	assert_int_equal(tftp_window_hint(ack, 5, 9, 64), 9); /* 0: keep */
	ack[4] = 1;
	assert_int_equal(tftp_window_hint(ack, 5, 9, 64), 1);
	ack[4] = 33;
	assert_int_equal(tftp_window_hint(ack, 5, 9, 64), 33);
	assert_int_equal(tftp_window_hint(ack, 6, 9, 64), 33); /* trailing junk */
	ack[4] = 255;
	assert_int_equal(tftp_window_hint(ack, 5, 9, 64), 64);
	assert_int_equal(tftp_window_hint(ack, 5, 9, 0), 1);
}

/* the window bytes bound also limits what a hint may ask */
static void hint_memory_bound(void **st)
{
	uint8_t b[600];
	uint8_t ack[5] = {0, TFTP_ACK, 0, 0, 255};
	struct tftp_request rq;
	struct tftp_limits lim = {65464, 1000, 1u << 20, 255};
	struct tftp_params p;
	size_t n = MK(b, "f\0octet\0blksize\00065464\0windowsize\000200\0"
	                 "msftwindow\00031416\0");

	(void)st;
	assert_int_equal(tftp_parse_request(b, n, &rq), 0);
	tftp_negotiate(&rq, &lim, 100u << 20, &p);
	assert_int_equal(p.max_window, (1u << 20) / 65464);
	assert_int_equal(p.windowsize, (1u << 20) / 65464);
	assert_int_equal(tftp_window_hint(ack, 5, p.windowsize, p.max_window),
	                 (1u << 20) / 65464);
}

/* An ACK as the session handles it: the hint applies when a window goes
 * out.  Returns the number of blocks sent (0: none). */
static uint64_t ack(struct tftp_window *w, uint64_t blk, uint8_t hint,
                    uint32_t max, enum tftp_ack_action *out)
{
	uint8_t pkt[5] = {0, TFTP_ACK, (uint8_t)(blk >> 8), (uint8_t)blk, hint};
	enum tftp_ack_action a = tftp_window_ack(w, (uint16_t)blk, true);
	uint64_t end;

	*out = a;
	if (a != TFTP_ACK_SEND)
		return 0;
	w->windowsize = tftp_window_hint(pkt, sizeof(pkt), w->windowsize, max);
	end = tftp_window_end(w);
	w->next = end;
	return end - w->base;
}

static void windows_follow_hints(void **st)
{
	struct tftp_window w;
	enum tftp_ack_action a;
	uint64_t sent;

	(void)st;
	tftp_window_init(&w, true, 100, 4);
	w.next = tftp_window_end(&w); /* the OACK */
	/* ACK 0 (of the OACK) asks for 8 */
	assert_int_equal(ack(&w, 0, 8, 64, &a), 8);
	assert_int_equal(w.base, 1);
	/* the whole window acknowledged, 16 next */
	assert_int_equal(ack(&w, 8, 16, 64, &a), 16);
	assert_int_equal(w.base, 9);
	/* a gap at 12: the client acknowledges 11 and asks for 4 */
	assert_int_equal(ack(&w, 11, 4, 64, &a), 4);
	assert_int_equal(w.base, 12);
	assert_int_equal(w.next, 16);
	/* a stale ACK (before the restart's data) changes nothing */
	sent = ack(&w, 11, 200, 64, &a);
	assert_int_equal(sent, 0);
	assert_int_equal(w.windowsize, 4);
	/* more than the limit: clamped */
	assert_int_equal(ack(&w, 15, 255, 64, &a), 64);
	assert_int_equal(w.next, 80);
	/* the end of the file cuts the last window */
	assert_int_equal(ack(&w, 79, 64, 64, &a), 21);
	assert_int_equal(w.next, 101);
	assert_int_equal(ack(&w, 100, 7, 64, &a), 0);
	assert_int_equal(a, TFTP_ACK_DONE);
}

/* every fresh repeat of an ACK asks for its window again, also at window
 * size 1 (no Sorcerer's Apprentice: the client repeats only on timeout) */
static void repeats_restart(void **st)
{
	struct tftp_window w;
	enum tftp_ack_action a;

	(void)st;
	tftp_window_init(&w, false, 50, 1);
	w.msft = true;
	w.next = tftp_window_end(&w); /* block 1 */
	assert_int_equal(ack(&w, 1, 1, 64, &a), 1); /* block 2 */
	/* block 2 lost: the client repeats ACK 1 on its timer */
	assert_int_equal(ack(&w, 1, 1, 64, &a), 1);
	assert_int_equal(w.base, 2);
	assert_int_equal(ack(&w, 1, 1, 64, &a), 1); /* and again */
	/* a repeat the caller calls stale (within a round trip) waits */
	a = tftp_window_ack(&w, 1, false);
	assert_int_equal(a, TFTP_ACK_IGNORE);
	/* RFC 1350 lock-step keeps ignoring duplicates */
	tftp_window_init(&w, false, 50, 1);
	w.next = tftp_window_end(&w);
	assert_int_equal(ack(&w, 1, 0, 64, &a), 1);
	assert_int_equal(ack(&w, 1, 0, 64, &a), 0);
	assert_int_equal(a, TFTP_ACK_IGNORE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(negotiate_windows_request),
		cmocka_unit_test(negotiate_refusals),
		cmocka_unit_test(hint_clamp),
		cmocka_unit_test(hint_memory_bound),
		cmocka_unit_test(windows_follow_hints),
		cmocka_unit_test(repeats_restart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
