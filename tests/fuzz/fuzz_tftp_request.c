/* libFuzzer target: TFTP request parsing and option negotiation (every
 * blksize/windowsize/timeout/tsize/msftwindow combination, CVE-2018-8476
 * was one), OACK building, and the send window fed ACKs from the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tftp/tftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_request rq;
	struct tftp_limits lim;
	struct tftp_params p;
	struct tftp_window w;
	uint8_t oack[512];
	size_t n;
	uint64_t fsize;

	if (size < 8)
		return 0;
	/* first 8 bytes: limits and file size; the rest is the datagram */
	lim.max_blksize = (uint32_t)(data[0] << 8 | data[1]);
	lim.max_windowsize = (uint32_t)(data[2] << 8 | data[3]);
	lim.max_window_bytes = (uint32_t)data[4] << 16;
	lim.max_msftwindow = data[3] & 1 ? data[2] : 0;
	fsize = (uint64_t)(data[5] << 16 | data[6] << 8 | data[7]) * 37;
	data += 8;
	size -= 8;
	if (tftp_parse_request(data, size, &rq) != 0)
		return 0;
	if (rq.file_len != strlen(rq.file))
		__builtin_trap();
	tftp_negotiate(&rq, &lim, fsize, &p);
	if (p.blksize < TFTP_MIN_BLKSIZE || p.blksize > TFTP_MAX_BLKSIZE ||
	    p.windowsize < 1 || p.windowsize > TFTP_MAX_WINDOWSIZE)
		__builtin_trap();
	if (p.oack) {
		n = tftp_build_oack(&p, oack, sizeof(oack));
		if (n < 2 || n > sizeof(oack) || oack[n - 1] != 0)
			__builtin_trap();
	}
	/* drive the window with ACK numbers taken from the file name */
	tftp_window_init(&w, p.oack, fsize / p.blksize + 1, p.windowsize);
	for (size_t i = 0; i + 1 < rq.file_len && i < 512; i += 2) {
		uint64_t base = w.base;
		enum tftp_ack_action a;

		w.next = tftp_window_end(&w);
		a = tftp_window_ack(&w, (uint16_t)(rq.file[i] << 8 | rq.file[i + 1]),
		                    rq.file[i] & 1);
		if (w.base < base || w.base > w.last + 1)
			__builtin_trap();
		if (a == TFTP_ACK_DONE)
			break;
	}
	return 0;
}
