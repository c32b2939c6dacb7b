/* libFuzzer target: Microsoft's variable window (msftwindow) with every
 * blksize/windowsize/tsize combination a request can carry, then a whole
 * transfer driven by ACKs from the input, each with or without its
 * next-window byte.  Invariants: a window never exceeds the negotiated
 * bound or the window-bytes limit, never starts before the last ACK, and
 * never runs past the last block. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tftp/tftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define STEPS_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_request rq;
	struct tftp_limits lim;
	struct tftp_params p;
	struct tftp_window w;
	uint8_t oack[512];
	size_t rlen, i, steps = 0;
	uint64_t fsize, end;

	if (size < 10)
		return 0;
	/* header: limits (5), file size (3), request length (2); then the
	 * request, then ACKs of 3 bytes: block (2), hint (1; 0 = none) */
	lim.max_blksize = (uint32_t)(data[0] << 8 | data[1]);
	lim.max_windowsize = (uint32_t)data[2] * 3;
	lim.max_window_bytes = (uint32_t)data[3] << 14;
	lim.max_msftwindow = data[4] & 1 ? 0 : (uint32_t)(data[4] >> 1) * 2 + 1;
	fsize = (uint64_t)(data[5] << 16 | data[6] << 8 | data[7]) * 61;
	rlen = (size_t)(data[8] << 8 | data[9]);
	data += 10;
	size -= 10;
	if (rlen > size)
		rlen = size;
	if (tftp_parse_request(data, rlen, &rq) != 0)
		return 0;
	tftp_negotiate(&rq, &lim, fsize, &p);
	if (p.msft && (rq.msftwindow != TFTP_MSFT_CLIENT_MAGIC || !lim.max_msftwindow ||
	               p.max_window > lim.max_msftwindow))
		__builtin_trap();
	if (p.msft && !p.oack)
		__builtin_trap();
	if (p.max_window < 1 || p.windowsize < 1 || p.windowsize > p.max_window)
		__builtin_trap();
	if (lim.max_window_bytes && p.max_window > 1 &&
	    (uint64_t)p.max_window * p.blksize > lim.max_window_bytes)
		__builtin_trap();
	if (p.oack) {
		size_t n = tftp_build_oack(&p, oack, sizeof(oack));
		if (n < 2 || oack[n - 1] != 0)
			__builtin_trap();
		if (p.msft && !memmem(oack, n, "msftwindow\00027182", 17))
			__builtin_trap();
	}
	tftp_window_init(&w, p.oack, fsize / p.blksize + 1, p.windowsize);
	w.next = tftp_window_end(&w);
	for (i = rlen; i + 3 <= size && steps < STEPS_MAX; i += 3, steps++) {
		uint8_t pkt[5] = {0, TFTP_ACK, data[i], data[i + 1], data[i + 2]};
		uint64_t base = w.base;
		enum tftp_ack_action a =
			tftp_window_ack(&w, (uint16_t)(data[i] << 8 | data[i + 1]),
			                data[i + 2] & 1);

		if (w.base < base || w.base > w.last + 1)
			__builtin_trap();
		if (a == TFTP_ACK_DONE)
			break;
		if (a != TFTP_ACK_SEND)
			continue;
		if (p.msft)
			w.windowsize = tftp_window_hint(pkt, data[i + 2] ? 5 : 4,
			                                w.windowsize, p.max_window);
		if (w.windowsize < 1 || w.windowsize > p.max_window)
			__builtin_trap();
		end = tftp_window_end(&w);
		if (end < w.base || end > w.last + 1 ||
		    (w.base && end - w.base > w.windowsize))
			__builtin_trap();
		w.next = end;
	}
	return 0;
}
