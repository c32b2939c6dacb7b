/* The TFTP send window: which blocks go out after an ACK (RFC 1350 lock-step,
 * RFC 7440 windows), with block numbers past 65535 kept absolute. */
#include "tftp.h"

#define NO_RESTART UINT64_MAX

void tftp_window_init(struct tftp_window *w, bool oack, uint64_t last,
                      uint32_t windowsize)
{
	w->base = oack ? 0 : 1;
	w->next = w->base;
	w->last = last;
	w->restarted_for = NO_RESTART;
	w->windowsize = windowsize ? windowsize : 1;
	w->msft = false;
}

int64_t tftp_block_abs(uint64_t ref, uint16_t wire)
{
	uint16_t back = (uint16_t)((uint16_t)ref - wire);

	return (int64_t)ref - (int64_t)back;
}

uint64_t tftp_window_end(const struct tftp_window *w)
{
	uint64_t end;

	if (w->base == 0)
		return 1; /* the OACK alone */
	end = w->base + w->windowsize;
	if (end > w->last + 1)
		end = w->last + 1;
	return end;
}

enum tftp_ack_action tftp_window_ack(struct tftp_window *w, uint16_t wire,
                                     bool restart)
{
	int64_t a, high;

	if (w->next == w->base)
		return TFTP_ACK_IGNORE; /* nothing in flight */
	high = (int64_t)w->next - 1;
	a = tftp_block_abs((uint64_t)high, wire);
	if (a < (int64_t)w->base - 1)
		return TFTP_ACK_IGNORE; /* older than anything in flight */
	if (a == high) {
		w->base = w->next;
		if ((uint64_t)a == w->last && w->base != 0 && a != 0)
			return TFTP_ACK_DONE;
		if (w->base > w->last)
			return TFTP_ACK_DONE;
		return TFTP_ACK_SEND;
	}
	/* An earlier block: the client reports a gap (RFC 7440) or repeats
	 * itself.  Lock-step never retransmits on a duplicate ACK (Sorcerer's
	 * Apprentice, RFC 1350 errata / RFC 1123 4.2.3.1). */
	if (a >= (int64_t)w->base)
		w->base = (uint64_t)a + 1;
	if ((w->windowsize == 1 && !w->msft) || !restart)
		return TFTP_ACK_IGNORE;
	if (w->restarted_for == (uint64_t)a && !w->msft)
		return TFTP_ACK_IGNORE; /* once per window, not per duplicate */
	w->restarted_for = (uint64_t)a;
	w->next = w->base;
	return TFTP_ACK_SEND;
}

uint32_t tftp_window_hint(const uint8_t *ack, size_t len, uint32_t cur,
                          uint32_t max)
{
	uint32_t want;

	/* a longer ACK is tolerated: only the fifth byte means something */
	if (len < TFTP_MSFT_ACK_LEN || ack[4] == 0)
		return cur;
	want = ack[4];
	if (max < 1)
		max = 1;
	return want > max ? max : want;
}
