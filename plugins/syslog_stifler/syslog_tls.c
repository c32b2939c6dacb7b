/* TLS client side of RFC 5425 (GnuTLS), over a non-blocking socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <pxehub/plugin.h>

#include "syslog_tls.h"

struct sl_tls_creds {
	gnutls_certificate_credentials_t x509;
};

struct sl_tls {
	gnutls_session_t s;
};

int sl_tls_creds_new(struct sl_tls_creds **out, const char *ca,
                     const char *cert, const char *key, char *err,
                     size_t errlen)
{
	struct sl_tls_creds *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	rc = gnutls_certificate_allocate_credentials(&c->x509);
	if (rc < 0) {
		free(c);
		snprintf(err, errlen, "%s", gnutls_strerror(rc));
		return -ENOMEM;
	}
	/* RFC 5425 5.1: the client authenticates the server by its chain. */
	if (ca && *ca)
		rc = gnutls_certificate_set_x509_trust_file(c->x509, ca,
		                                            GNUTLS_X509_FMT_PEM);
	else
		rc = gnutls_certificate_set_x509_system_trust(c->x509);
	if (rc <= 0) {
		snprintf(err, errlen, "no CA certificate loaded from %s%s%s",
		         ca && *ca ? ca : "the system trust store",
		         rc < 0 ? ": " : "", rc < 0 ? gnutls_strerror(rc) : "");
		goto fail;
	}
	if (cert && *cert) {
		rc = gnutls_certificate_set_x509_key_file(
			c->x509, cert, key && *key ? key : cert, GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			snprintf(err, errlen, "client certificate %s / key %s: %s",
			         cert, key && *key ? key : cert, gnutls_strerror(rc));
			goto fail;
		}
	}
	*out = c;
	return 0;
fail:
	gnutls_certificate_free_credentials(c->x509);
	free(c);
	return -EINVAL;
}

void sl_tls_creds_free(struct sl_tls_creds *c)
{
	if (!c)
		return;
	gnutls_certificate_free_credentials(c->x509);
	free(c);
}

static int is_ip(const char *name)
{
	unsigned char a[16];

	return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

int sl_tls_new(struct sl_tls **out, struct sl_tls_creds *c, int fd,
               const char *name, char *err, size_t errlen)
{
	struct sl_tls *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return -ENOMEM;
	rc = gnutls_init(&t->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	if (rc < 0)
		goto fail_free;
	rc = gnutls_set_default_priority(t->s);
	if (rc >= 0)
		rc = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE, c->x509);
	/* SNI carries DNS names only (RFC 6066 3). */
	if (rc >= 0 && !is_ip(name))
		rc = gnutls_server_name_set(t->s, GNUTLS_NAME_DNS, name, strlen(name));
	if (rc < 0)
		goto fail_deinit;
	/* Chain and name (DNS or IP subjectAltName) checked in the handshake. */
	gnutls_session_set_verify_cert(t->s, name, 0);
	gnutls_transport_set_int(t->s, fd);
	gnutls_handshake_set_timeout(t->s, 0); /* the caller's timer bounds it */
	*out = t;
	return 0;
fail_deinit:
	gnutls_deinit(t->s);
fail_free:
	snprintf(err, errlen, "TLS session: %s", gnutls_strerror(rc));
	free(t);
	return -EINVAL;
}

void sl_tls_free(struct sl_tls *t)
{
	if (!t)
		return;
	gnutls_bye(t->s, GNUTLS_SHUT_WR); /* best effort, non-blocking */
	gnutls_deinit(t->s);
	free(t);
}

static int direction(struct sl_tls *t)
{
	return gnutls_record_get_direction(t->s) ? PXH_IO_WRITE : PXH_IO_READ;
}

int sl_tls_handshake(struct sl_tls *t, int *want, char *err, size_t errlen)
{
	int rc = gnutls_handshake(t->s);

	if (rc == GNUTLS_E_SUCCESS)
		return 0;
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		*want = direction(t);
		return -EAGAIN;
	}
	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		gnutls_datum_t txt = {0};
		unsigned status = gnutls_session_get_verify_cert_status(t->s);

		if (gnutls_certificate_verification_status_print(
			    status, GNUTLS_CRT_X509, &txt, 0) == 0) {
			snprintf(err, errlen, "certificate not trusted: %s",
			         (const char *)txt.data);
			gnutls_free(txt.data);
			return -EPERM;
		}
	}
	snprintf(err, errlen, "TLS handshake: %s", gnutls_strerror(rc));
	return rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR ? -EPERM : -EPROTO;
}

ssize_t sl_tls_send(struct sl_tls *t, const void *p, size_t len, int *want,
                    char *err, size_t errlen)
{
	ssize_t n = gnutls_record_send(t->s, p, len);

	if (n > 0)
		return n;
	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
		*want = direction(t);
		return -EAGAIN;
	}
	snprintf(err, errlen, "TLS send: %s", gnutls_strerror((int)n));
	return -EPIPE;
}

int sl_tls_drain(struct sl_tls *t, char *err, size_t errlen)
{
	char buf[4096];

	/* bounded: a collector has no business sending much */
	for (int i = 0; i < 16; i++) {
		ssize_t n = gnutls_record_recv(t->s, buf, sizeof(buf));

		if (n > 0)
			continue;
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return 0;
		if (n == 0)
			snprintf(err, errlen, "collector closed the connection");
		else
			snprintf(err, errlen, "TLS receive: %s",
			         gnutls_strerror((int)n));
		return -EPIPE;
	}
	return 0;
}
