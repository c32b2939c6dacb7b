/* libFuzzer target: a TFTP read transfer's session logic without sockets,
 * the way tftp_session.c drives it: the request is parsed and negotiated,
 * then a sequence of client events (ACKs with optional Microsoft window
 * hints, repeated ACKs, timeouts that resend the window) runs through the
 * window.  Input: 2 bytes file size (x 97), 1 byte msft, the request
 * datagram up to a 0xFF 0xFF marker, then 4-byte events. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp/tftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_request rq;
	struct tftp_limits lim = {.max_blksize = 1468, .max_windowsize = 64,
	                          .max_window_bytes = 4u << 20, .max_msftwindow = 255};
	struct tftp_params p;
	struct tftp_window w;
	const uint8_t *ev;
	size_t rlen, nev;
	uint64_t fsize, high_sent = 0;
	uint32_t win_peak;

	if (size < 5)
		return 0;
	fsize = (uint64_t)(data[0] << 8 | data[1]) * 97;
	lim.max_msftwindow = data[2];
	data += 3;
	size -= 3;
	for (rlen = 0; rlen + 1 < size && !(data[rlen] == 0xFF && data[rlen + 1] == 0xFF); rlen++)
		;
	if (tftp_parse_request(data, rlen, &rq) != 0)
		return 0;
	ev = data + rlen + 2;
	nev = rlen + 2 <= size ? (size - rlen - 2) / 4 : 0;
	tftp_negotiate(&rq, &lim, fsize, &p);
	tftp_window_init(&w, p.oack, fsize / p.blksize + 1, p.windowsize);
	w.msft = p.msft;
	win_peak = p.windowsize;
	/* the first window (or the OACK) leaves */
	w.next = tftp_window_end(&w);
	high_sent = w.next;
	for (size_t i = 0; i < nev && i < 4096; i++) {
		const uint8_t *e = ev + 4 * i;
		uint64_t base = w.base;
		enum tftp_ack_action a;

		switch (e[0] & 3) {
		case 0: /* an ACK; e[3] as the Microsoft hint byte */
		case 1: {
			uint8_t ack[5] = {0, 4, e[1], e[2], e[3]};
			uint16_t blk = (uint16_t)(e[1] << 8 | e[2]);
			int64_t abs = tftp_block_abs(w.next - 1, blk);

			a = tftp_window_ack(&w, blk, e[0] & 4);
			if (w.base < base || w.base > w.last + 1)
				__builtin_trap();
			/* an ACK never moves base past what was sent */
			if (w.base > high_sent && w.base != base)
				__builtin_trap();
			if (a == TFTP_ACK_DONE) {
				if (abs < (int64_t)w.last)
					__builtin_trap();
				return 0;
			}
			if (a == TFTP_ACK_SEND) {
				if (w.msft) {
					w.windowsize = tftp_window_hint(ack, (e[0] & 1) ? 5 : 4,
					                                w.windowsize, p.max_window);
					if (w.windowsize < 1 || w.windowsize > (p.max_window ? p.max_window : w.windowsize))
						__builtin_trap();
					if (w.windowsize > win_peak)
						win_peak = w.windowsize;
				}
				w.next = tftp_window_end(&w);
				if (w.next < w.base || w.next > w.last + 1 ||
				    w.next - w.base > (w.windowsize ? w.windowsize : 1))
					__builtin_trap();
				if (w.next > high_sent)
					high_sent = w.next;
			}
			break;
		}
		case 2: /* the retransmission timer: resend from base */
			w.next = w.base;
			w.restarted_for = UINT64_MAX;
			w.next = tftp_window_end(&w);
			if (w.next > high_sent)
				high_sent = w.next;
			break;
		default: /* the request again before the first ACK: first packet again */
			if (w.base <= 1) {
				w.next = tftp_window_end(&w);
				if (w.next > high_sent)
					high_sent = w.next;
			}
			break;
		}
	}
	return 0;
}
