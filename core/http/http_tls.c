/* HTTPS with GnuTLS: credentials, client certificates, generated cert. */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/socket.h>
#include <gnutls/x509.h>

#include "http.h"
#include "http_module.h"
#include "conf.h"
#include "log.h"

struct pxh_http_tls {
	unsigned refs; /* the server's, each worker's, one per session */
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	gnutls_datum_t ticket_key;
	bool client_ca;
	bool require_cert;
};

/* A client certificate that is presented must chain to client_ca: a wrong
 * one ends the handshake.  None at all is fine unless required (GnuTLS
 * enforces GNUTLS_CERT_REQUIRE itself). */
static int verify_client(gnutls_session_t session)
{
	unsigned status = 0;
	unsigned n = 0;

	if (!gnutls_certificate_get_peers(session, &n) || n == 0)
		return 0;
	if (gnutls_certificate_verify_peers2(session, &status) < 0 || status)
		return GNUTLS_E_CERTIFICATE_ERROR;
	return 0;
}

bool pxh_http_tls_peer_ok(void *session)
{
	gnutls_session_t s = session;
	struct pxh_http_tls *t = gnutls_session_get_ptr(s);
	unsigned status = 0, n = 0;

	if (!t || !t->client_ca)
		return false;
	if (!gnutls_certificate_get_peers(s, &n) || n == 0)
		return false;
	return gnutls_certificate_verify_peers2(s, &status) == 0 && status == 0;
}

/* ---- kernel TLS ----------------------------------------------------------
 * GnuTLS 3.7.3+ hands the record layer to the kernel after the handshake
 * when its system config (/etc/gnutls/config, [global] ktls = true) asks
 * and the kernel has the tls module (setsockopt TCP_ULP "tls"); then
 * gnutls_record_send_file() is sendfile(2) and file bytes never pass
 * through pxehubd.  docs/http.md, "HTTPS and kernel TLS". */
bool pxh_http_tls_ktls_send(void *session)
{
#if GNUTLS_VERSION_NUMBER >= 0x030704
	return (gnutls_transport_is_ktls_enabled(session) & GNUTLS_KTLS_SEND) != 0;
#else
	(void)session;
	return false;
#endif
}

ssize_t pxh_http_tls_send_file(void *session, int fd, off_t *off, size_t count)
{
#if GNUTLS_VERSION_NUMBER >= 0x030704
	ssize_t n;

	do
		n = gnutls_record_send_file(session, fd, off, count);
	while (n == GNUTLS_E_INTERRUPTED);
	if (n >= 0)
		return n;
	return n == GNUTLS_E_AGAIN ? -EAGAIN : -EPIPE;
#else
	(void)session;
	(void)fd;
	(void)off;
	(void)count;
	return -EPIPE;
#endif
}

bool pxh_http_ktls_probe(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return false;
	/* an unconnected socket: a kernel with the ULP says ENOTCONN (its
	 * init wants an established connection), one without says ENOENT */
	e = setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) < 0 ? errno : 0;
	close(fd);
	if (e == ENOTCONN || e == 0) {
		pxh_info("http: kernel TLS is available: HTTPS files go out by "
		         "sendfile where GnuTLS enables it ([global] ktls = true in "
		         "/etc/gnutls/config)");
		return true;
	}
	pxh_info("http: no kernel TLS (setsockopt TCP_ULP \"tls\": %s%s): HTTPS is "
	         "encrypted in pxehubd", strerror(e),
	         e == ENOENT ? ", the kernel has no tls module" : "");
	return false;
}

void *pxh_http_tls_session(struct pxh_http_tls *t, int fd)
{
	gnutls_session_t s;

	if (!t)
		return NULL;
	if (gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL) < 0)
		return NULL;
	if (gnutls_priority_set(s, t->prio) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, t->cred) < 0) {
		gnutls_deinit(s);
		return NULL;
	}
	if (t->ticket_key.data)
		gnutls_session_ticket_enable_server(s, &t->ticket_key);
	if (t->client_ca)
		gnutls_certificate_server_set_request(
			s, t->require_cert ? GNUTLS_CERT_REQUIRE : GNUTLS_CERT_REQUEST);
	gnutls_session_set_ptr(s, t);
	gnutls_transport_set_int(s, fd);
	__atomic_fetch_add(&t->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void pxh_http_tls_session_end(void *session)
{
	gnutls_session_t s = session;
	struct pxh_http_tls *t;

	if (!s)
		return;
	t = gnutls_session_get_ptr(s);
	gnutls_bye(s, GNUTLS_SHUT_WR); /* best effort, non-blocking */
	gnutls_deinit(s);
	pxh_http_tls_free(t);
}

struct pxh_http_tls *pxh_http_tls_ref(struct pxh_http_tls *t)
{
	if (t)
		__atomic_fetch_add(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}

void pxh_http_tls_free(struct pxh_http_tls *t)
{
	/* worker loops end sessions in parallel */
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	if (t->prio)
		gnutls_priority_deinit(t->prio);
	if (t->ticket_key.data)
		gnutls_memset(t->ticket_key.data, 0, t->ticket_key.size);
	gnutls_free(t->ticket_key.data);
	free(t);
}

/* ---- the generated certificate ---------------------------------------- */
static int write_file(const char *path, const void *data, size_t len,
                      mode_t mode)
{
	char tmp[600];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) < 0)
		rc = -errno ? -errno : -EIO;
	close(fd);
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static void fingerprint(gnutls_x509_crt_t crt, char *out, size_t len)
{
	unsigned char fp[32];
	size_t n = sizeof(fp), o = 0;

	out[0] = '\0';
	if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &n) < 0)
		return;
	for (size_t i = 0; i < n && o + 4 < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%02X", i ? ":" : "", fp[i]);
}

int pxh_http_make_selfsigned(const char *fqdn, const char *const *sans,
                             size_t n_sans, unsigned bits, unsigned days,
                             const char *cert_path, const char *key_path,
                             char *fpr, size_t fpr_len)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t pem = {NULL, 0};
	unsigned char serial[16], kid[64];
	size_t kid_len = sizeof(kid);
	time_t now = time(NULL);
	int rc;

#define TRY(x)                                                                 \
	do {                                                                   \
		if ((rc = (x)) < 0)                                            \
			goto out;                                              \
	} while (0)
	TRY(gnutls_x509_privkey_init(&key));
	TRY(gnutls_x509_privkey_generate(key, GNUTLS_PK_RSA, bits, 0));
	TRY(gnutls_x509_crt_init(&crt));
	TRY(gnutls_x509_crt_set_version(crt, 3));
	TRY(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)));
	serial[0] &= 0x7f; /* a positive INTEGER */
	TRY(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)));
	TRY(gnutls_x509_crt_set_activation_time(crt, now - 3600));
	TRY(gnutls_x509_crt_set_expiration_time(crt, now + (time_t)days * 86400));
	TRY(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	                                  fqdn, (unsigned)strlen(fqdn)));
	TRY(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME,
	                                  0, "pxehub", 6));
	TRY(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, fqdn,
	                                         (unsigned)strlen(fqdn),
	                                         GNUTLS_FSAN_APPEND));
	for (size_t i = 0; i < n_sans; i++) {
		unsigned char ip[16];

		if (inet_pton(AF_INET, sans[i], ip) == 1)
			rc = gnutls_x509_crt_set_subject_alt_name(
				crt, GNUTLS_SAN_IPADDRESS, ip, 4, GNUTLS_FSAN_APPEND);
		else if (inet_pton(AF_INET6, sans[i], ip) == 1)
			rc = gnutls_x509_crt_set_subject_alt_name(
				crt, GNUTLS_SAN_IPADDRESS, ip, 16, GNUTLS_FSAN_APPEND);
		else if (strcmp(sans[i], fqdn) != 0)
			rc = gnutls_x509_crt_set_subject_alt_name(
				crt, GNUTLS_SAN_DNSNAME, sans[i],
				(unsigned)strlen(sans[i]), GNUTLS_FSAN_APPEND);
		if (rc < 0)
			goto out;
	}
	TRY(gnutls_x509_crt_set_basic_constraints(crt, 0, -1));
	TRY(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
	                                               GNUTLS_KEY_KEY_ENCIPHERMENT));
	TRY(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0));
	TRY(gnutls_x509_crt_set_key(crt, key));
	TRY(gnutls_x509_crt_get_key_id(crt, 0, kid, &kid_len));
	TRY(gnutls_x509_crt_set_subject_key_id(crt, kid, kid_len));
	TRY(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0));

	TRY(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &pem));
	if ((rc = write_file(key_path, pem.data, pem.size, 0600)) < 0) {
		rc = GNUTLS_E_FILE_ERROR;
		goto out;
	}
	gnutls_free(pem.data);
	pem.data = NULL;
	TRY(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem));
	if ((rc = write_file(cert_path, pem.data, pem.size, 0644)) < 0) {
		rc = GNUTLS_E_FILE_ERROR;
		goto out;
	}
	fingerprint(crt, fpr, fpr_len);
	rc = 0;
out:
#undef TRY
	gnutls_free(pem.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return rc;
}

/* The server's addresses for the certificate: [server] server_ip, the
 * listen addresses, or every address of the machine. */
static size_t server_addresses(const struct pxh_conf *conf, char (*out)[64],
                               size_t max)
{
	struct ifaddrs *ifa = NULL;
	size_t n = 0, nl = pxh_server_conf(conf)->listen.n;
	const char *sip = pxh_server_conf(conf)->server_ip;

	if (sip && *sip)
		snprintf(out[n++], 64, "%s", sip);
	for (size_t i = 0; i < nl && n < max; i++) {
		const char *a = pxh_server_conf(conf)->listen.v[i];
		unsigned char b[16];

		if (inet_pton(AF_INET, a, b) == 1 || inet_pton(AF_INET6, a, b) == 1)
			if (strcmp(a, "0.0.0.0") && strcmp(a, "::"))
				snprintf(out[n++], 64, "%s", a);
	}
	if (getifaddrs(&ifa) < 0)
		return n;
	for (struct ifaddrs *p = ifa; p && n < max; p = p->ifa_next) {
		char text[64];
		bool dup = false;
		int fam = p->ifa_addr ? p->ifa_addr->sa_family : 0;

		if (fam == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)p->ifa_addr)->sin_addr,
			          text, sizeof(text));
		else if (fam == AF_INET6 &&
		         !IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr))
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr,
			          text, sizeof(text));
		else
			continue;
		/* listen given: only those interfaces' addresses */
		if (nl) {
			bool listed = false;

			for (size_t i = 0; i < nl; i++)
				if (strcmp(pxh_server_conf(conf)->listen.v[i],
				           p->ifa_name) == 0)
					listed = true;
			if (!listed)
				continue;
		}
		for (size_t i = 0; i < n; i++)
			if (strcmp(out[i], text) == 0)
				dup = true;
		if (!dup)
			snprintf(out[n++], 64, "%s", text);
	}
	freeifaddrs(ifa);
	return n;
}

/* Reuse the generated certificate while it is for FQDN and valid for 30
 * more days; otherwise make a new one. */
static bool cert_usable(const char *cert_path, const char *key_path,
                        const char *fqdn, char *fpr, size_t fpr_len)
{
	gnutls_datum_t d = {NULL, 0};
	gnutls_x509_crt_t crt = NULL;
	bool ok = false;

	if (access(key_path, R_OK) < 0)
		return false;
	if (gnutls_load_file(cert_path, &d) < 0)
		return false;
	if (gnutls_x509_crt_init(&crt) < 0)
		goto out;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0)
		goto out;
	if (gnutls_x509_crt_get_expiration_time(crt) < time(NULL) + 30 * 86400)
		goto out;
	if (!gnutls_x509_crt_check_hostname(crt, fqdn))
		goto out;
	fingerprint(crt, fpr, fpr_len);
	ok = true;
out:
	if (crt)
		gnutls_x509_crt_deinit(crt);
	gnutls_free(d.data);
	return ok;
}

static const char *server_fqdn(const struct pxh_conf *conf, char *buf,
                               size_t len)
{
	const char *f = pxh_server_conf(conf)->fqdn;

	if (f && *f)
		return f;
	if (gethostname(buf, len - 1) < 0 || !buf[0])
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
	return buf;
}

static int generated_cert(const struct pxh_conf *conf, char *cert, char *key,
                          size_t len)
{
	const char *dir = pxh_server_conf(conf)->state_dir;
	char host[256], fpr[128], addrs[32][64];
	const char *sans[32];
	const char *fqdn = server_fqdn(conf, host, sizeof(host));
	long long bits = pxh_http_conf(conf)->generated_key_bits;
	size_t n;
	int rc;

	if (!dir || !*dir) {
		pxh_err("http: no [http] cert and no [server] state_dir to keep a "
		        "generated one in");
		return -EINVAL;
	}
	snprintf(cert, len, "%s/https-cert.pem", dir);
	snprintf(key, len, "%s/https-key.pem", dir);
	/* there but unreadable (a reload by the unprivileged user): replacing
	 * it would change the fingerprint clients pinned */
	if ((access(key, R_OK) < 0 && errno == EACCES) ||
	    (access(cert, R_OK) < 0 && errno == EACCES)) {
		pxh_err("http: cannot read the generated certificate %s or its key as "
		        "this user: %s", cert, strerror(EACCES));
		return -EACCES;
	}
	if (cert_usable(cert, key, fqdn, fpr, sizeof(fpr))) {
		pxh_info("http: using generated certificate %s for %s, SHA-256 "
		         "fingerprint %s", cert, fqdn, fpr);
		return 0;
	}
	n = server_addresses(conf, addrs, 32);
	for (size_t i = 0; i < n; i++)
		sans[i] = addrs[i];
	if (bits < 2048)
		bits = 3072;
	mkdir(dir, 0755);
	/* 397 days: browsers and scanners refuse longer-lived server certs;
	 * it is renewed on a start or reload within 30 days of its end */
	rc = pxh_http_make_selfsigned(fqdn, sans, n, (unsigned)bits, 397, cert,
	                              key, fpr, sizeof(fpr));
	if (rc < 0) {
		pxh_err("http: cannot create a self-signed certificate in %s: %s",
		        dir, gnutls_strerror(rc));
		return -EIO;
	}
	pxh_notice("http: generated a self-signed RSA-%lld certificate for %s "
	           "(%zu addresses) in %s, SHA-256 fingerprint %s",
	           bits, fqdn, n, cert, fpr);
	return 0;
}

int pxh_http_tls_open(const struct pxh_conf *conf, struct pxh_http_tls **out)
{
	const char *cert = pxh_http_conf(conf)->cert;
	const char *key = pxh_http_conf(conf)->key;
	const char *ca = pxh_http_conf(conf)->client_ca;
	const char *prio = pxh_http_conf(conf)->tls_priority;
	char gcert[600], gkey[600], fullprio[1024];
	const char *err = NULL;
	struct pxh_http_tls *t;
	int rc;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->refs = 1;
	if (gnutls_certificate_allocate_credentials(&t->cred) < 0) {
		free(t);
		return -ENOMEM;
	}
	if (!cert || !*cert) {
		if ((rc = generated_cert(conf, gcert, gkey, sizeof(gcert))) < 0)
			goto fail;
		cert = gcert;
		key = gkey;
	} else if (!key || !*key) {
		key = cert; /* key and chain in one PEM file */
	}
	rc = gnutls_certificate_set_x509_key_file2(t->cred, cert, key,
	                                           GNUTLS_X509_FMT_PEM, NULL, 0);
	if (rc < 0) {
		pxh_err("http: cannot load certificate %s / key %s: %s", cert, key,
		        gnutls_strerror(rc));
		rc = -EINVAL;
		goto fail;
	}
	if (ca && *ca) {
		rc = gnutls_certificate_set_x509_trust_file(t->cred, ca,
		                                            GNUTLS_X509_FMT_PEM);
		if (rc <= 0) {
			pxh_err("http: client_ca %s: %s", ca,
			        rc < 0 ? gnutls_strerror(rc) : "no certificate in it");
			rc = -EINVAL;
			goto fail;
		}
		t->client_ca = true;
		t->require_cert = pxh_http_conf(conf)->require_client_cert;
		gnutls_certificate_set_verify_function(t->cred, verify_client);
	}
	gnutls_certificate_set_known_dh_params(t->cred, GNUTLS_SEC_PARAM_HIGH);
	/* TLS 1.2 and 1.3 only, whatever the admin's string says */
	snprintf(fullprio, sizeof(fullprio),
	         "%s:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1:-VERS-DTLS-ALL",
	         prio && *prio ? prio : "NORMAL");
	rc = gnutls_priority_init(&t->prio, fullprio, &err);
	if (rc < 0) {
		pxh_err("http: tls_priority \"%s\" is not valid near \"%s\": %s",
		        prio, err ? err : "", gnutls_strerror(rc));
		rc = -EINVAL;
		goto fail;
	}
	if (gnutls_session_ticket_key_generate(&t->ticket_key) < 0)
		t->ticket_key.data = NULL;
	*out = t;
	return 0;
fail:
	pxh_http_tls_free(t);
	return rc;
}
