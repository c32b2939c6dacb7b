/* Configuration Manager plugins: identifiers as the site writes them (MAC,
 * SMBIOS GUID, package ids, DP-relative paths). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sccm.h"

int sccm_valid_id(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++)
		if (!isalnum((unsigned char)s[n]) || n >= SCCM_ID_MAX - 1)
			return 0;
	return n > 0;
}

int sccm_clean_path(const char *in, char *out, size_t len)
{
	size_t o = 0;

	if (!in || !len)
		return -EINVAL;
	while (*in == '\\' || *in == '/')
		in++;
	for (; *in; in++) {
		char ch = *in == '\\' ? '/' : *in;
		if ((unsigned char)ch < 0x20 || ch == 0x7f || ch == '?' || ch == '#' ||
		    ch == '%' || ch == ':' || o + 1 >= len)
			return -EINVAL;
		if (ch == '/' && o > 0 && out[o - 1] == '/')
			continue;
		out[o++] = ch;
	}
	out[o] = '\0';
	if (!o || out[o - 1] == '/')
		return -EINVAL;
	/* no "." or ".." segment anywhere */
	for (char *seg = out; seg && *seg;) {
		char *sl = strchr(seg, '/');
		size_t n = sl ? (size_t)(sl - seg) : strlen(seg);
		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return -EINVAL;
		seg = sl ? sl + 1 : NULL;
	}
	return 0;
}

int sccm_mac_upper(const char *in, char out[18])
{
	unsigned v[6];
	size_t k = 0;

	if (!in)
		return -EINVAL;
	for (size_t i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)in[k]) || !isxdigit((unsigned char)in[k + 1]))
			return -EINVAL;
		sscanf(in + k, "%2x", &v[i]);
		k += 2;
		if (i < 5 && (in[k] == ':' || in[k] == '-'))
			k++;
	}
	if (in[k])
		return -EINVAL;
	snprintf(out, 18, "%02X:%02X:%02X:%02X:%02X:%02X", v[0], v[1], v[2], v[3],
	         v[4], v[5]);
	return 0;
}

int sccm_guid_upper(const char *in, char out[37])
{
	static const int dash[] = {8, 13, 18, 23};
	int zero = 1, ff = 1;
	size_t n;

	out[0] = '\0';
	if (!in || !*in)
		return 0;
	if (*in == '{')
		in++;
	n = strlen(in);
	if (n && in[n - 1] == '}')
		n--;
	if (n != 36)
		return -EINVAL;
	for (size_t i = 0, d = 0; i < 36; i++) {
		if (d < 4 && (int)i == dash[d]) {
			if (in[i] != '-')
				return -EINVAL;
			out[i] = '-';
			d++;
			continue;
		}
		if (!isxdigit((unsigned char)in[i]))
			return -EINVAL;
		out[i] = (char)toupper((unsigned char)in[i]);
		zero &= out[i] == '0';
		ff &= out[i] == 'F';
	}
	out[36] = '\0';
	if (zero || ff)
		out[0] = '\0'; /* firmware placeholders identify nothing */
	return 0;
}

void sccm_copy_text(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	for (; src && *src && o + 1 < len; src++)
		dst[o++] = (unsigned char)*src < 0x20 ? ' ' : *src;
	dst[o] = '\0';
}

int sccm_package_path(const char *in, const char *id, char *out, size_t len)
{
	char buf[512];
	const char *p = in;
	size_t n;

	if (!in || !id || !sccm_valid_id(id))
		return -EINVAL;
	if (!strncasecmp(p, "http://", 7) || !strncasecmp(p, "https://", 8)) {
		p = strchr(strstr(p, "//") + 2, '/'); /* the path after the host */
		if (!p)
			return -EINVAL;
		while (*p == '/')
			p++;
		if (!strncasecmp(p, "SMS_DP_SMSPKG$/", 15))
			p += 15;
	} else if (p[0] == '\\' && p[1] == '\\') {
		p = strchr(p + 2, '\\'); /* skip \\host\share\ */
		p = p ? strchr(p + 1, '\\') : NULL;
		if (!p)
			return -EINVAL;
	}
	n = strlen(p);
	if (n >= 4 && !strcasecmp(p + n - 4, ".wim"))
		snprintf(buf, sizeof(buf), "%s", p);
	else if (snprintf(buf, sizeof(buf), "%s/boot.%s.wim", p, id) >= (int)sizeof(buf))
		return -EINVAL;
	return sccm_clean_path(buf, out, len);
}
