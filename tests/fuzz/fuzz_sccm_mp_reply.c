/* sccm_mp_http: what comes from a management point through the plugin's
 * decoders: a reply body (multipart, zlib, UTF-16 or UTF-8 XML) into
 * ClientIDReply / PXEBootAction or the site key information; and the
 * admin's request templates.  Input: a selector byte, then the bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/common/sccm/sccm_ids.c"
#include "../../plugins/sccm_mp_http/mp_msg.c"
#include "../../plugins/sccm_mp_http/mp_xml.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reply(const uint8_t *p, size_t len, const char *ctype, int site)
{
	const uint8_t *xml;
	size_t xml_len;
	uint8_t *free_me = NULL;
	char why[200];

	if (!mp_reply_payload(p, len, ctype, &xml, &xml_len, &free_me)) {
		if (site) {
			struct mp_site s;
			mp_parse_site(xml, xml_len, &s, why, sizeof(why));
		} else {
			struct mp_reply r;
			mp_parse_reply(xml, xml_len, &r, why, sizeof(why));
		}
	}
	free(free_me);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mp_var v[] = {{"mac", "52:54:00:AA:BB:CC"}, {"guid", "<&>"}, {"x", NULL}};
	char why[200], *text;
	size_t n;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0: /* a whole CCM reply body */
		reply(data + 1, size - 1, "multipart/mixed; boundary=\"aAbBcCdDv1234567890VxXyYzZ\"", 0);
		break;
	case 1: /* the payload alone (zlib or XML) */
		reply(data + 1, size - 1, "", 0);
		break;
	case 2: /* the site key information */
		reply(data + 1, size - 1, "text/xml", 1);
		break;
	default: /* templates and UTF-16 of what they expand to */
		text = malloc(size);
		if (!text)
			return 0;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		{
			char *out = mp_template_expand(text, v, 3, why, sizeof(why));
			uint8_t *u = out ? mp_utf16le(out, &n) : mp_utf16le(text, &n);
			free(u);
			free(out);
		}
		free(text);
		break;
	}
	return 0;
}
