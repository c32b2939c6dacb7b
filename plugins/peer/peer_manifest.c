/* peer plugin: manifest parsing and its signature (GnuTLS). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "peer_manifest.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int path_ok(const char *p)
{
	const char *c = p;

	if (!*p || *p == '/')
		return 0;
	for (; *c; c++)
		if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e ||
		    *c == '\\')
			return 0;
	/* every component: not empty, not "." nor ".." */
	for (c = p; *c;) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c += n;
		if (*c == '/') {
			c++;
			if (!*c)
				return 0;
		}
	}
	return 1;
}

/* One "file" line's fields, from A (after "file ") to the line end. */
static int parse_file(const char *a, struct peer_mf_entry *e)
{
	char hex[65], path[PEER_MF_PATH_MAX + 2];
	unsigned long long size;
	int used = 0;

	if (sscanf(a, "%64s %llu %256s%n", hex, &size, path, &used) != 3 ||
	    a[0] == ' ' || strchr(a, '\t') ||
	    a[used] != '\0' || strlen(hex) != 64 ||
	    strlen(path) > PEER_MF_PATH_MAX || !path_ok(path))
		return -1;
	/* one space between fields, and sscanf's %llu takes a sign: sizes
	 * are plain digits */
	if (a[64] != ' ' || a[65] == ' ')
		return -1;
	for (const char *d = a + 65; *d != ' '; d++)
		if (*d < '0' || *d > '9')
			return -1;
	for (int i = 0; i < 32; i++) {
		int h = hexval(hex[2 * i]), l = hexval(hex[2 * i + 1]);

		if (h < 0 || l < 0)
			return -1;
		e->sha256[i] = (uint8_t)(h << 4 | l);
	}
	for (int i = 0; i < 64; i++)
		e->hex[i] = "0123456789abcdef"[i % 2 ? e->sha256[i / 2] & 15
		                                     : e->sha256[i / 2] >> 4];
	e->hex[64] = '\0';
	e->size = size;
	memcpy(e->path, path, strlen(path) + 1);
	return 0;
}

int peer_manifest_parse(const uint8_t *p, size_t len, struct peer_manifest *m,
                        char *why, size_t why_len)
{
	char line[PEER_MF_PATH_MAX + 128];
	size_t off = 0, cap = 0;
	unsigned lineno = 0;
	int have_magic = 0;
	const char *err = NULL;

	memset(m, 0, sizeof(*m));
	if (len > PEER_MF_MAX_BYTES) {
		snprintf(why, why_len, "larger than %u bytes", PEER_MF_MAX_BYTES);
		return -EBADMSG;
	}
	while (off < len) {
		size_t e = off, n;

		while (e < len && p[e] != '\n')
			e++;
		n = e - off;
		lineno++;
		if (n && p[off + n - 1] == '\r')
			n--;
		if (n >= sizeof(line)) {
			err = "line too long";
			goto bad;
		}
		memcpy(line, p + off, n);
		line[n] = '\0';
		off = e + 1;
		if (memchr(line, '\0', n)) {
			err = "NUL byte";
			goto bad;
		}
		if (!have_magic) {
			if (strcmp(line, PEER_MF_MAGIC)) {
				err = "first line is not \"" PEER_MF_MAGIC "\"";
				goto bad;
			}
			have_magic = 1;
			continue;
		}
		if (!n || line[0] == '#')
			continue;
		if (!strncmp(line, "serial ", 7)) {
			char *end;
			unsigned long long v;

			if (m->serial || line[7] < '1' || line[7] > '9') {
				err = "bad or second serial";
				goto bad;
			}
			errno = 0;
			v = strtoull(line + 7, &end, 10);
			if (errno || *end) {
				err = "bad serial";
				goto bad;
			}
			m->serial = v;
		} else if (!strncmp(line, "file ", 5)) {
			struct peer_mf_entry ent;

			if (parse_file(line + 5, &ent)) {
				err = "bad file line (file SHA256 SIZE PATH)";
				goto bad;
			}
			if (peer_manifest_find(m, ent.path) >= 0) {
				err = "path listed twice";
				goto bad;
			}
			if (m->n == PEER_MF_MAX_FILES) {
				err = "too many files";
				goto bad;
			}
			if (m->n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				void *ne = realloc(m->e, nc * sizeof(*m->e));

				if (!ne) {
					err = "out of memory";
					goto bad;
				}
				m->e = ne;
				cap = nc;
			}
			m->e[m->n++] = ent;
		} else {
			err = "unknown record";
			goto bad;
		}
	}
	if (!have_magic || !m->serial) {
		snprintf(why, why_len, "%s", have_magic ? "no serial" : "empty");
		peer_manifest_free(m);
		return -EBADMSG;
	}
	return 0;
bad:
	snprintf(why, why_len, "line %u: %s", lineno, err);
	peer_manifest_free(m);
	return -EBADMSG;
}

void peer_manifest_free(struct peer_manifest *m)
{
	free(m->e);
	memset(m, 0, sizeof(*m));
}

long peer_manifest_find(const struct peer_manifest *m, const char *path)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcasecmp(m->e[i].path, path))
			return (long)i;
	return -1;
}

int peer_pubkey_load(const char *file, void **out, char *why, size_t why_len)
{
	gnutls_datum_t d = {NULL, 0};
	gnutls_pubkey_t pub = NULL;
	int rc, alg;

	if ((rc = gnutls_load_file(file, &d)) < 0) {
		snprintf(why, why_len, "%s: cannot read: %s", file,
		         gnutls_strerror(rc));
		return -ENOENT;
	}
	if ((rc = gnutls_pubkey_init(&pub)) < 0 ||
	    (rc = gnutls_pubkey_import(pub, &d, GNUTLS_X509_FMT_PEM)) < 0) {
		snprintf(why, why_len, "%s: not a PEM public key: %s", file,
		         gnutls_strerror(rc));
		rc = -EINVAL;
		goto out;
	}
	alg = gnutls_pubkey_get_pk_algorithm(pub, NULL);
	if (alg != GNUTLS_PK_EDDSA_ED25519 && alg != GNUTLS_PK_RSA) {
		snprintf(why, why_len, "%s: %s key; Ed25519 or RSA wanted", file,
		         gnutls_pk_algorithm_get_name(alg));
		rc = -EINVAL;
		goto out;
	}
	*out = pub;
	pub = NULL;
	rc = 0;
out:
	if (pub)
		gnutls_pubkey_deinit(pub);
	gnutls_free(d.data);
	return rc;
}

void peer_pubkey_free(void *pub)
{
	if (pub)
		gnutls_pubkey_deinit(pub);
}

int peer_sig_verify(void *pub, const uint8_t *data, size_t len,
                    const uint8_t *sig, size_t sig_len)
{
	gnutls_pubkey_t k = pub;
	gnutls_datum_t d = {(unsigned char *)data, (unsigned)len};
	gnutls_datum_t s = {(unsigned char *)sig, (unsigned)sig_len};
	int alg;

	if (!k || !sig_len || sig_len > PEER_SIG_MAX)
		return -EPERM;
	alg = gnutls_pubkey_get_pk_algorithm(k, NULL) == GNUTLS_PK_RSA
	              ? GNUTLS_SIGN_RSA_SHA256
	              : GNUTLS_SIGN_EDDSA_ED25519;
	return gnutls_pubkey_verify_data2(k, alg, 0, &d, &s) >= 0 ? 0 : -EPERM;
}
