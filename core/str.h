/* Small string helpers of the core (bounded copies for hot paths). */
#ifndef PXEHUB_STR_H
#define PXEHUB_STR_H

#include <stddef.h>

/* Copy SRC into DST of SIZE bytes, truncating; always NUL terminated. */
static inline void pxh_strcpy(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	if (!size)
		return;
	while (src && src[n] && n < size - 1) {
		dst[n] = src[n];
		n++;
	}
	dst[n] = 0;
}

/* Append SRC to DST (CAP bytes) at offset OFF, truncating, NUL terminated;
 * returns the new length.  For per-packet text where snprintf costs more
 * than the work it describes. */
static inline size_t pxh_strcat_at(char *dst, size_t cap, size_t off,
                                   const char *src)
{
	if (!cap || off >= cap)
		return off;
	while (src && *src && off < cap - 1)
		dst[off++] = *src++;
	dst[off] = 0;
	return off;
}

#endif /* PXEHUB_STR_H */
