/* sccm_mp_http: client authentication as public Configuration Manager
 * messaging tools show it (xpn's sccmwtf, SharpSCCM): RSA PKCS#1 v1.5
 * signatures with SHA-256 whose bytes are sent reversed, as upper-case
 * hex, and the public key as a CryptoAPI PUBLICKEYBLOB in hex.  The key is
 * the admin's PEM file (signing_key), registered with the site. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "sccm_mp_http.h"

struct mp_signer {
	gnutls_privkey_t key;
	char blob_hex[2 * (20 + 1024) + 1]; /* PUBLICKEYBLOB, keys up to 8192 bits */
};

static void hex_upper(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* BLOBHEADER (PUBLICKEYBLOB, version 2, CALG_RSA_KEYX), RSAPUBKEY ("RSA1",
 * bit length, exponent), then the modulus little-endian ([MS-MQQB] /
 * Windows CryptoAPI; the layout sccmwtf builds). */
static int make_blob(struct mp_signer *s, char *why, size_t why_len)
{
	gnutls_datum_t m = {0}, e = {0};
	uint8_t blob[20 + 1024];
	size_t mlen, bits;
	const uint8_t *mp;
	uint32_t exp = 0;
	int rc;

	rc = gnutls_privkey_export_rsa_raw2(s->key, &m, &e, NULL, NULL, NULL, NULL, NULL, NULL,
	                                    0);
	if (rc < 0) {
		snprintf(why, why_len, "signing_key: not an RSA key (%s)", gnutls_strerror(rc));
		return -EINVAL;
	}
	mp = m.data;
	mlen = m.size;
	while (mlen && !*mp) { /* a leading zero keeps the integer positive */
		mp++;
		mlen--;
	}
	for (size_t i = 0; i < e.size; i++)
		exp = exp << 8 | e.data[i];
	bits = mlen * 8;
	if (mlen < 128 || mlen > 1024 || e.size > 4) {
		snprintf(why, why_len, "signing_key: RSA key of %zu bits (1024 to 8192 supported)",
		         bits);
		rc = -EINVAL;
		goto out;
	}
	memcpy(blob, "\x06\x02\x00\x00\x00\xa4\x00\x00RSA1", 12);
	blob[12] = (uint8_t)bits;
	blob[13] = (uint8_t)(bits >> 8);
	blob[14] = (uint8_t)(bits >> 16);
	blob[15] = (uint8_t)(bits >> 24);
	blob[16] = (uint8_t)exp;
	blob[17] = (uint8_t)(exp >> 8);
	blob[18] = (uint8_t)(exp >> 16);
	blob[19] = (uint8_t)(exp >> 24);
	for (size_t i = 0; i < mlen; i++)
		blob[20 + i] = mp[mlen - 1 - i];
	hex_upper(blob, 20 + mlen, s->blob_hex);
	rc = 0;
out:
	gnutls_free(m.data);
	gnutls_free(e.data);
	return rc;
}

struct mp_signer *mp_signer_load(const char *path, char *why, size_t why_len)
{
	struct mp_signer *s = calloc(1, sizeof(*s));
	gnutls_datum_t pem = {0};
	int rc;

	if (!s) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	if ((rc = gnutls_load_file(path, &pem)) < 0) {
		snprintf(why, why_len, "signing_key %.300s: %s", path, gnutls_strerror(rc));
		goto fail;
	}
	if ((rc = gnutls_privkey_init(&s->key)) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(s->key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(why, why_len, "signing_key %.300s: %s", path, gnutls_strerror(rc));
		goto fail;
	}
	gnutls_free(pem.data);
	pem.data = NULL;
	if (make_blob(s, why, why_len))
		goto fail;
	return s;
fail:
	gnutls_free(pem.data);
	mp_signer_free(s);
	return NULL;
}

void mp_signer_free(struct mp_signer *s)
{
	if (!s)
		return;
	if (s->key)
		gnutls_privkey_deinit(s->key);
	free(s);
}

const char *mp_signer_public_blob(const struct mp_signer *s)
{
	return s->blob_hex;
}

int mp_sign_rev(struct mp_signer *s, const uint8_t *data, size_t len, char *hex,
                size_t hex_len)
{
	gnutls_datum_t d = {.data = (unsigned char *)data, .size = (unsigned)len}, sig = {0};
	int rc = gnutls_privkey_sign_data(s->key, GNUTLS_DIG_SHA256, 0, &d, &sig);

	if (rc < 0)
		return -EIO;
	if (hex_len < 2 * (size_t)sig.size + 1) {
		gnutls_free(sig.data);
		return -E2BIG;
	}
	for (size_t i = 0; i < sig.size / 2; i++) { /* sent byte-reversed */
		uint8_t t = sig.data[i];
		sig.data[i] = sig.data[sig.size - 1 - i];
		sig.data[sig.size - 1 - i] = t;
	}
	hex_upper(sig.data, sig.size, hex);
	gnutls_free(sig.data);
	return 0;
}
