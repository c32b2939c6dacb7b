/* TLS client side of RFC 5425 (GnuTLS), over a non-blocking socket. */
#ifndef SYSLOG_TLS_H
#define SYSLOG_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct sl_tls_creds;
struct sl_tls;

/* Trust CA (a PEM file; NULL or "" = the system's trust store) and, when
 * CERT is set, present CERT/KEY.  Returns 0 or -errno with ERR filled. */
int sl_tls_creds_new(struct sl_tls_creds **out, const char *ca,
                     const char *cert, const char *key, char *err,
                     size_t errlen);
void sl_tls_creds_free(struct sl_tls_creds *c);

/* A client session on connected FD; NAME is what the server's certificate
 * must be issued to (a DNS name or an IP address). */
int sl_tls_new(struct sl_tls **out, struct sl_tls_creds *c, int fd,
               const char *name, char *err, size_t errlen);
/* Close the session (a close_notify when the socket takes it at once); the
 * caller closes FD. */
void sl_tls_free(struct sl_tls *t);

/* Each returns -EAGAIN with *WANT = PXH_IO_READ or PXH_IO_WRITE when the
 * socket must be ready first.  Other errors: ERR says why. */
int sl_tls_handshake(struct sl_tls *t, int *want, char *err, size_t errlen);
/* Bytes taken (> 0), -EAGAIN (call again with the same bytes) or -EPIPE. */
ssize_t sl_tls_send(struct sl_tls *t, const void *p, size_t len, int *want,
                    char *err, size_t errlen);
/* Read and discard what the server sent: 0, or -EPIPE when it closed. */
int sl_tls_drain(struct sl_tls *t, char *err, size_t errlen);

#endif /* SYSLOG_TLS_H */
