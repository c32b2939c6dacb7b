/* libFuzzer: the peer plugin's election message parser, and the manifest
 * parser behind it.  The first input byte picks the target.
 * - Heartbeats: arbitrary datagrams either fail (-EBADMSG/-EPERM) or, when
 *   the fuzzer found a valid HMAC (it cannot, unless the seed had one),
 *   re-encode to the very same bytes.  Half of the inputs get a fresh HMAC
 *   appended so the field decoding past authentication is reached too.
 * - Manifests: parse, and every accepted entry obeys the path rules. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/peer/peer_manifest.c"
#include "../../plugins/peer/peer_msg.c"

static const char key[] = "fuzz-key-0123456789";

static void heartbeat(const uint8_t *p, size_t len, int sign)
{
	uint8_t buf[PEER_MSG_MAX + 64], out[PEER_MSG_MAX];
	struct peer_msg m;
	int rc, n;

	if (len > PEER_MSG_MAX)
		len = PEER_MSG_MAX;
	memcpy(buf, p, len);
	if (sign && len >= PEER_HDR_LEN) {
		/* make it authentic: the body as given, a correct trailer */
		size_t body = len - (len >= PEER_MSG_MIN ? PEER_HMAC_LEN : 0);
		gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, strlen(key), buf, body,
		                 buf + body);
		len = body + PEER_HMAC_LEN;
	}
	rc = peer_msg_decode(buf, len, key, strlen(key), &m);
	if (rc == -EBADMSG || rc == -EPERM)
		return;
	if (rc != 0)
		abort();
	if (strlen(m.name) > PEER_NAME_MAX)
		abort();
	/* reserved bytes 46-47 are not kept: compare with them zeroed */
	n = peer_msg_encode(&m, key, strlen(key), out, sizeof(out));
	buf[46] = buf[47] = 0;
	if (n != (int)len || memcmp(out, buf, PEER_HDR_LEN + strlen(m.name)))
		abort();
}

/* the path rules, checked another way than path_ok(): component by component */
static int path_sane(const char *s)
{
	char tmp[PEER_MF_PATH_MAX + 1], *save = NULL, *c;
	size_t n = strlen(s);

	if (!n || n > PEER_MF_PATH_MAX || s[0] == '/' || s[n - 1] == '/' ||
	    strstr(s, "//") || strchr(s, '\\') || strchr(s, ' '))
		return 0;
	memcpy(tmp, s, n + 1);
	for (c = strtok_r(tmp, "/", &save); c; c = strtok_r(NULL, "/", &save))
		if (!strcmp(c, ".") || !strcmp(c, ".."))
			return 0;
	return 1;
}

static void manifest(const uint8_t *p, size_t len)
{
	struct peer_manifest m;
	char why[200];

	if (peer_manifest_parse(p, len, &m, why, sizeof(why)))
		return;
	if (!m.serial)
		abort();
	for (size_t i = 0; i < m.n; i++) {
		const char *s = m.e[i].path;
		if (!path_sane(s) ||
		    strlen(m.e[i].hex) != 64 || peer_manifest_find(&m, s) != (long)i)
			abort();
	}
	peer_manifest_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		heartbeat(data + 1, size - 1, 0);
		break;
	case 1:
		heartbeat(data + 1, size - 1, 1);
		break;
	default:
		manifest(data + 1, size - 1);
		break;
	}
	return 0;
}
