/* sccm_mp_http: shared types (HTTP client, management points, messages,
 * reply XML). */
#ifndef SCCM_MP_HTTP_H
#define SCCM_MP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <pxehub/plugin.h>

#include "../common/sccm/sccm.h"

/* ---- HTTP(S) client on the loop (mp_http.c): libcurl multi --------------- */
struct mp_http;

struct mp_tls {
	const char *ca_file;     /* "" = system store */
	const char *client_cert; /* PEM, "" = none */
	const char *client_key;  /* PEM, "" = in client_cert */
	int verify;
};

struct mp_http_req {
	const char *url;
	const char *method;       /* "GET", "CCM_POST" */
	const char *content_type; /* NULL = none */
	const void *body;         /* NULL = none */
	size_t body_len;
	long timeout_ms, connect_timeout_ms;
	const struct mp_tls *tls;
};

struct mp_http_res {
	long status;              /* 0 when no HTTP answer */
	const uint8_t *body;
	size_t body_len;
	const char *content_type; /* "" when none */
	const char *error;        /* NULL on an HTTP answer */
	int timed_out;
};

typedef void (*mp_http_done)(void *ud, const struct mp_http_res *r);

struct mp_http *mp_http_new(pxh_host *h, size_t max_body);
void mp_http_free(struct mp_http *c); /* pending calls end without callback */
/* Start a call; DONE runs later on the loop.  0 or -errno. */
int mp_http_call(struct mp_http *c, const struct mp_http_req *rq, mp_http_done done,
                 void *ud);

/* ---- messages (mp_msg.c) ------------------------------------------------- */
struct mp_var {
	const char *name;
	const char *value;
};

/* Expand {{name}} in TMPL with VARS (values XML-escaped).  malloc'd, or
 * NULL with WHY (unknown placeholder, unterminated). */
char *mp_template_expand(const char *tmpl, const struct mp_var *vars, size_t n,
                         char *why, size_t why_len);
/* UTF-8 -> UTF-16LE (no BOM).  malloc'd, *OUT_LEN bytes; NULL on bad UTF-8. */
uint8_t *mp_utf16le(const char *s, size_t *out_len);
/* The same after a byte order mark (FF FE), as message headers go. */
uint8_t *mp_utf16le_bom(const char *s, size_t *out_len);
/* zlib (RFC 1950) compression; malloc'd or NULL. */
uint8_t *mp_zlib(const uint8_t *p, size_t len, size_t *out_len);

/* The CCM_POST body: multipart/mixed with the header XML (UTF-16LE) and
 * the payload (octet-stream).  Sets *CTYPE (static) and *OUT_LEN. */
uint8_t *mp_multipart(const uint8_t *hdr, size_t hdr_len, const uint8_t *payload,
                      size_t payload_len, const char **ctype, size_t *out_len);

/* A reply's XML payload: the last part of a multipart body (or the body),
 * inflated when zlib-compressed.  *OUT points into P or into *FREE_ME.
 * 0 or -EBADMSG. */
int mp_reply_payload(const uint8_t *p, size_t len, const char *content_type,
                     const uint8_t **out, size_t *out_len, uint8_t **free_me);

/* ---- reply XML (mp_xml.c, libxml2) -------------------------------------- */
struct mp_site {
	char site_code[8];
	char unknown_x86[64], unknown_x64[64]; /* unknown-machine GUIDs, or "" */
};

struct mp_ident {
	int unknown;
	long long item_key;
	int dup_smbios, dup_mac;
	char client_id[64];
	char name[64];
};

struct mp_action {
	int present;
	char offer_id[SCCM_ID_MAX];
	char pkg_id[SCCM_ID_MAX];
	char boot_image[SCCM_ID_MAX];
	char package_path[256];
	int mandatory;
	char last_offer[SCCM_ID_MAX];
	char offer_time[24];
};

struct mp_reply {
	int has_ident;
	struct mp_ident ident;
	struct mp_action action;
};

/* Parse XML (UTF-8 or UTF-16 with or without BOM).  0 or -EBADMSG with
 * WHY. */
int mp_parse_site(const uint8_t *p, size_t len, struct mp_site *out, char *why,
                  size_t why_len);
int mp_parse_reply(const uint8_t *p, size_t len, struct mp_reply *out, char *why,
                   size_t why_len);

/* ---- client authentication (mp_sign.c) ------------------------------------ */
struct mp_signer;

/* The RSA private key in PEM file PATH.  NULL with WHY. */
struct mp_signer *mp_signer_load(const char *path, char *why, size_t why_len);
void mp_signer_free(struct mp_signer *s);
/* The public key as a CryptoAPI PUBLICKEYBLOB, upper-case hex. */
const char *mp_signer_public_blob(const struct mp_signer *s);
/* RSA PKCS#1 v1.5 SHA-256 signature of DATA, bytes reversed, upper-case
 * hex into HEX.  0 or -errno. */
int mp_sign_rev(struct mp_signer *s, const uint8_t *data, size_t len, char *hex,
                size_t hex_len);

#endif /* SCCM_MP_HTTP_H */
