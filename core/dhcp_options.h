/* Reading a DHCPv4 message's options area (core/dhcp_options.c). */
#ifndef PXEHUB_DHCP_OPTIONS_H
#define PXEHUB_DHCP_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

/* Called for each option found, in RFC 3396 order (options field, then
 * file, then sname when option 52 overloads them); V is LEN bytes. */
typedef void (*pxh_dhcp_opt_fn)(void *ud, uint8_t code, const uint8_t *v,
                                uint8_t len);
/* 0 when P holds a BOOTP header and the DHCP magic cookie, else -EBADMSG
 * and *WHY says what is wrong. */
int pxh_dhcp_check_header(const uint8_t *p, size_t len, const char **why);
/* Walk every option of P (header checked first by the caller): PAD is
 * skipped, END stops an area, an option running past its area or a bad
 * option 52 is -EBADMSG (*WHY). */
int pxh_dhcp_walk_options(const uint8_t *p, size_t len, pxh_dhcp_opt_fn fn,
                          void *ud, const char **why);
/* Find one option in a raw packet without a parse: single fragments point
 * into P; split ones are concatenated into BUF (CAP bytes).  NULL when
 * absent or malformed. */
const uint8_t *pxh_dhcp_find(const uint8_t *p, size_t len, uint8_t code,
                             uint8_t *buf, size_t cap, size_t *out_len);

#endif /* PXEHUB_DHCP_OPTIONS_H */
