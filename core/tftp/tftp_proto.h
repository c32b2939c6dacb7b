/* TFTP wire constants (RFC 1350, 2347, 2348, 2349, 7440). */
#ifndef PXH_TFTP_PROTO_H
#define PXH_TFTP_PROTO_H

/* Opcodes */
#define TFTP_RRQ 1   /* read request, RFC 1350 section 5 */
#define TFTP_WRQ 2   /* write request, RFC 1350 section 5 */
#define TFTP_DATA 3  /* data, RFC 1350 section 5 */
#define TFTP_ACK 4   /* acknowledgment, RFC 1350 section 5 */
#define TFTP_ERROR 5 /* error, RFC 1350 section 5 */
#define TFTP_OACK 6  /* option acknowledgment, RFC 2347 */

/* Error codes */
#define TFTP_EUNDEF 0    /* not defined, see message, RFC 1350 appendix */
#define TFTP_ENOTFOUND 1 /* file not found, RFC 1350 appendix */
#define TFTP_EACCESS 2   /* access violation, RFC 1350 appendix */
#define TFTP_ENOSPACE 3  /* disk full or allocation exceeded, RFC 1350 */
#define TFTP_EBADOP 4    /* illegal TFTP operation, RFC 1350 appendix */
#define TFTP_EBADID 5    /* unknown transfer ID, RFC 1350 appendix */
#define TFTP_EEXISTS 6   /* file already exists, RFC 1350 appendix */
#define TFTP_ENOUSER 7   /* no such user, RFC 1350 appendix */
#define TFTP_EOPTNEG 8   /* option negotiation refused, RFC 2347 */

/* Sizes */
#define TFTP_HDR 4               /* opcode + block, RFC 1350 section 5 */
#define TFTP_DEF_BLKSIZE 512     /* RFC 1350 section 1 */
#define TFTP_MIN_BLKSIZE 8       /* RFC 2348 */
#define TFTP_MAX_BLKSIZE 65464   /* RFC 2348 */
#define TFTP_MIN_TIMEOUT 1       /* seconds, RFC 2349 */
#define TFTP_MAX_TIMEOUT 255     /* seconds, RFC 2349 */
#define TFTP_MIN_WINDOWSIZE 1    /* RFC 7440 */
#define TFTP_MAX_WINDOWSIZE 65535 /* RFC 7440 */
/* RFC 2347: options follow the mode; a request fits one datagram.  RFC 2347
 * limited the request to 512 octets; later clients send more, so accept a
 * full datagram. */
#define TFTP_MAX_REQUEST 65507
#define TFTP_IP4_UDP_HDR 28 /* IPv4 (20) + UDP (8), for blksize vs MTU */
#define TFTP_IP6_UDP_HDR 48 /* IPv6 (40) + UDP (8) */

/* Microsoft's variable-window extension (Windows Deployment Services; no
 * RFC, see PROTOCOLS.md and docs/winpe-tftp.md): the client offers
 * "msftwindow 31416", a server that speaks it answers 27182 in its OACK,
 * and every later ACK carries one more byte, the number of blocks the
 * client wants in the next window. */
#define TFTP_MSFT_CLIENT_MAGIC 31416 /* round(pi * 10^4), client's offer */
#define TFTP_MSFT_SERVER_MAGIC 27182 /* floor(e * 10^4), server's answer */
#define TFTP_MSFT_ACK_LEN 5          /* ACK (4) + next-window byte */

#endif
