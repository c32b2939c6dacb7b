/* The validation kit's fixture sanitizer (plugins/common/sccm/sccm_kit.c):
 * what a management point or site database answered, scanned for GUIDs,
 * MACs, URL/UNC hosts and names, then every replacement applied.  Input:
 * the client's MAC and GUID on the first line, the text after it.  Checks
 * that whatever the text held, the client's GUID still becomes the fixed
 * stand-in (a scan never remaps it). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../plugins/common/sccm/sccm_kit.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tags[] = {"NetbiosName", "SITENAME", NULL};
	static const char *const attrs[] = {"ServerName", NULL};
	struct sccm_sanit z;
	char *text, *nl, *out, mac[18] = "", guid[37] = "";

	if (size > 65536 || !(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if ((nl = strchr(text, '\n'))) {
		*nl = '\0';
		if (mac_at(text) && strlen(text) >= 17)
			memcpy(mac, text, 17);
		if (strlen(text) >= 18 + 36 && guid_at(text + 18) == 36)
			memcpy(guid, text + 18, 36);
	}
	sccm_sanit_init(&z, mac, guid, "");
	sccm_sanit_scan(&z, nl ? nl + 1 : text, tags, attrs);
	free(sccm_sanitize(&z, nl ? nl + 1 : text));
	out = guid[0] ? sccm_sanitize(&z, guid) : NULL;
	if (out && strcmp(out, SCCM_FIX_GUID))
		abort(); /* the client's GUID became something else */
	free(out);
	sccm_kit_qparam(text, "mac", mac, sizeof(mac));
	sccm_sanit_free(&z);
	free(text);
	return 0;
}
