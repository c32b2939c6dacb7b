/* netascii conversion for TFTP (RFC 1350 mode "netascii", RFC 764 rules). */
#include "tftp.h"

uint64_t tftp_netascii_size(const uint8_t *in, size_t len)
{
	uint64_t n = len;

	for (size_t i = 0; i < len; i++)
		if (in[i] == '\n' || in[i] == '\r')
			n++;
	return n;
}

void tftp_netascii_convert(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
		} else if (in[i] == '\r') {
			out[o++] = '\r';
			out[o++] = 0;
		} else {
			out[o++] = in[i];
		}
	}
}
