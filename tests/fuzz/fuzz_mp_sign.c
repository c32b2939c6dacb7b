/* libFuzzer target: what the sccm_mp_http signer signs and loads.  Selector
 * byte 0: the input (a request template, then client values split at NUL)
 * is expanded, turned into the UTF-16 body with BOM and compressed as the
 * plugin sends it, and signed; the byte-reversed signature must verify
 * against the key's public half with GnuTLS (independent of the signer's
 * hex).  Selector 1: the input as the admin's signing_key PEM file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "../../plugins/common/sccm/sccm_ids.c"
#include "../../plugins/sccm_mp_http/mp_msg.c"
#include "../../plugins/sccm_mp_http/mp_sign.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mp_signer *signer;
static gnutls_pubkey_t pub;
static char scratch[64];

static void cleanup(void)
{
	unlink(scratch);
}

static void init(void)
{
	gnutls_x509_privkey_t k;
	gnutls_privkey_t pk;
	gnutls_datum_t pem;
	char path[64], why[200];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/pxh-fuzz-mpkey.%d", (int)getpid());
	snprintf(scratch, sizeof(scratch), "/tmp/pxh-fuzz-mppem.%d", (int)getpid());
	atexit(cleanup);
	if (gnutls_x509_privkey_init(&k) || gnutls_x509_privkey_generate(k, GNUTLS_PK_RSA, 1024, 0) ||
	    gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_PEM, &pem))
		abort();
	f = fopen(path, "w");
	if (!f || fwrite(pem.data, 1, pem.size, f) != pem.size || fclose(f))
		abort();
	signer = mp_signer_load(path, why, sizeof(why));
	unlink(path);
	if (!signer || gnutls_privkey_init(&pk) ||
	    gnutls_privkey_import_x509(pk, k, GNUTLS_PRIVKEY_IMPORT_COPY) ||
	    gnutls_pubkey_init(&pub) || gnutls_pubkey_import_privkey(pub, pk, 0, 0))
		abort();
	gnutls_free(pem.data);
	gnutls_privkey_deinit(pk);
	gnutls_x509_privkey_deinit(k);
}

static int unhex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10;
}

static void sign_message(const char *text, size_t len)
{
	const char *tmpl = text, *v = text + strnlen(text, len);
	struct mp_var vars[3] = {{"mac", ""}, {"uuid", ""}, {"serial", ""}};
	char why[200], hex[2 * 512 + 1];
	uint8_t sig[512];
	uint8_t *u16, *z;
	size_t u16_len, z_len, n;
	char *body;

	/* client values after the template, NUL separated */
	for (size_t i = 0; i < 3 && v < text + len; i++) {
		vars[i].value = ++v;
		v += strnlen(v, (size_t)(text + len - v));
	}
	body = mp_template_expand(tmpl, vars, 3, why, sizeof(why));
	if (!body)
		return;
	u16 = mp_utf16le_bom(body, &u16_len);
	z = u16 ? mp_zlib(u16, u16_len, &z_len) : NULL;
	if (z) {
		gnutls_datum_t d = {.data = z, .size = (unsigned)z_len}, s;

		if (mp_sign_rev(signer, z, z_len, hex, sizeof(hex)) != 0)
			abort();
		n = strlen(hex) / 2;
		/* undo the byte reversal, then verify independently */
		for (size_t i = 0; i < n; i++)
			sig[n - 1 - i] = (uint8_t)(unhex(hex[2 * i]) << 4 | unhex(hex[2 * i + 1]));
		s.data = sig;
		s.size = (unsigned)n;
		if (gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_RSA_SHA256, 0, &d, &s) < 0)
			abort();
	}
	free(z);
	free(u16);
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (!signer)
		init();
	if (size < 1 || size > 8192)
		return 0;
	text = malloc(size);
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	if (data[0] & 1) {
		FILE *f = fopen(scratch, "w");
		char why[200];
		struct mp_signer *s;

		if (f) {
			fwrite(data + 1, 1, size - 1, f);
			fclose(f);
			s = mp_signer_load(scratch, why, sizeof(why));
			if (s) {
				if (strlen(mp_signer_public_blob(s)) % 2)
					abort();
				mp_signer_free(s);
			}
		}
	} else {
		sign_message(text, size - 1);
	}
	free(text);
	return 0;
}
