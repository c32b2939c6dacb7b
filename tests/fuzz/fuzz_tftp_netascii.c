/* libFuzzer target: TFTP netascii conversion (RFC 764 rules: LF -> CR LF,
 * CR -> CR NUL).  The size agrees with the conversion, and decoding the
 * output the way a client does gives the input back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp/tftp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t n = tftp_netascii_size(data, size);
	uint8_t *out, *back;
	size_t o = 0;

	if (n < size || n > 2 * (uint64_t)size)
		abort();
	out = malloc(n + 1);
	back = malloc(size + 1);
	if (!out || !back)
		abort();
	out[n] = 0xAA; /* canary: exactly N bytes written */
	tftp_netascii_convert(data, size, out);
	if (out[n] != 0xAA)
		abort();
	/* a client's decoder: CR LF -> LF, CR NUL -> CR, nothing else may
	 * follow a CR */
	for (uint64_t i = 0; i < n; i++) {
		if (out[i] == '\r') {
			if (i + 1 >= n || (out[i + 1] != '\n' && out[i + 1] != 0))
				abort();
			back[o++] = out[i + 1] == '\n' ? '\n' : '\r';
			i++;
		} else {
			if (out[i] == '\n')
				abort(); /* a bare LF is not netascii */
			back[o++] = out[i];
		}
	}
	if (o != size || (size && memcmp(back, data, size) != 0))
		abort();
	free(out);
	free(back);
	return 0;
}
