/* peer plugin: the upstream's signed manifest of boot files. */
#ifndef PXH_PEER_MANIFEST_H
#define PXH_PEER_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#define PEER_MF_MAGIC "pxehub-peer-manifest 1"
#define PEER_MF_MAX_BYTES (1u << 20)
#define PEER_MF_MAX_FILES 4096
#define PEER_MF_PATH_MAX 255
#define PEER_SIG_MAX 1024

struct peer_mf_entry {
	char path[PEER_MF_PATH_MAX + 1]; /* relative, '/' separated */
	uint8_t sha256[32];
	char hex[65];
	uint64_t size;
};

struct peer_manifest {
	uint64_t serial;
	size_t n;
	struct peer_mf_entry *e;
};

/*
 * Text, one record a line (LF, optional CR):
 *   pxehub-peer-manifest 1
 *   serial N                         (decimal, > 0)
 *   file SHA256HEX SIZE PATH         (any number, PATH unique)
 * '#' lines and empty lines are skipped.  PATH: relative, no "." or ".."
 * component, no '\\', printable ASCII without spaces.  Returns 0 or
 * -EBADMSG with the reason (and line) in WHY.
 */
int peer_manifest_parse(const uint8_t *p, size_t len, struct peer_manifest *m,
                        char *why, size_t why_len);
void peer_manifest_free(struct peer_manifest *m);
/* The entry for PATH (case-insensitive, as TFTP clients differ), or -1. */
long peer_manifest_find(const struct peer_manifest *m, const char *path);

/* Load a PEM public key (Ed25519 or RSA); 0 or -errno with WHY. */
int peer_pubkey_load(const char *file, void **pub, char *why, size_t why_len);
void peer_pubkey_free(void *pub);
/* Verify SIG over DATA: Ed25519 (RFC 8032), or RSA PKCS#1 v1.5 with
 * SHA-256 for an RSA key.  0 when valid, -EPERM otherwise. */
int peer_sig_verify(void *pub, const uint8_t *data, size_t len,
                    const uint8_t *sig, size_t sig_len);

#endif
