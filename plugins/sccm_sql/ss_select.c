/* sccm_sql: which machine a lookup found (duplicates, unknown objects) and
 * which deployments it gets (ConfigMgr's PXE selection rule). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sccm_sql.h"

/* SQL bit or int as text: 1, 0, or -1 when it is neither. */
static int flag(const char *s)
{
	if (!s)
		return 0;
	if (!strcmp(s, "1") || !strcasecmp(s, "true"))
		return 1;
	if (!strcmp(s, "0") || !strcasecmp(s, "false"))
		return 0;
	return -1;
}

static int parse_key(const char *s, long long *out)
{
	char *end;
	long long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return -EINVAL;
	*out = v;
	return 0;
}

void ss_pick_device(const struct ss_table *t, const char *mac,
                    const char *guid, struct sccm_device *out)
{
	int has_mac = ss_table_col(t, "MACAddress") >= 0;
	int has_guid = ss_table_col(t, "SMBIOS_GUID") >= 0;
	long long by_guid = 0, by_mac = 0;
	size_t row_guid = 0, row_mac = 0, pick;

	memset(out, 0, sizeof(*out));
	for (size_t r = 0; r < t->nrows; r++) {
		long long key;
		char g[37], m[18];
		int gm, mm, dg = flag(ss_table_get(t, r, "DuplicateSMBIOS"));
		int dm = flag(ss_table_get(t, r, "DuplicateMACAddress"));
		const char *rg = ss_table_get(t, r, "SMBIOS_GUID");
		const char *rm = ss_table_get(t, r, "MACAddress");

		if (parse_key(ss_table_get(t, r, "ItemKey"), &key) || dg < 0 || dm < 0 ||
		    (rg && sccm_guid_upper(rg, g)) || (rm && sccm_mac_upper(rm, m))) {
			out->malformed++;
			continue;
		}
		gm = has_guid ? (rg && guid[0] && !strcmp(g, guid)) : 1;
		mm = has_mac ? (rm && !strcmp(m, mac)) : 1;
		if (gm && dg)
			out->dup_guid = 1;
		if (mm && dm)
			out->dup_mac = 1;
		if (gm) {
			if (by_guid && by_guid != key)
				out->dup_guid = 1;
			by_guid = key;
			row_guid = r;
		}
		if (mm) {
			if (by_mac && by_mac != key)
				out->dup_mac = 1;
			by_mac = key;
			row_mac = r;
		}
	}
	if (by_guid && !out->dup_guid && guid[0]) {
		out->by_guid = 1;
		out->item_key = by_guid;
		pick = row_guid;
	} else if (by_mac && !out->dup_mac) {
		out->item_key = by_mac;
		pick = row_mac;
	} else {
		snprintf(out->why, sizeof(out->why), "%s",
		         out->dup_guid && out->dup_mac ? "MAC and SMBIOS GUID both shared by several machines"
		         : out->dup_mac && !by_guid ? "MAC shared by several machines, GUID unknown"
		         : out->dup_guid && !by_mac ? "SMBIOS GUID shared by several machines, MAC unknown"
		         : "not in the site database");
		return;
	}
	out->found = 1;
	sccm_copy_text(out->name, sizeof(out->name), ss_table_get(t, pick, "Name"));
	snprintf(out->why, sizeof(out->why), "%s %lld (%s) by %s%s",
	         "machine", out->item_key, out->name[0] ? out->name : "?",
	         out->by_guid ? "SMBIOS GUID" : "MAC",
	         out->dup_mac ? ", MAC is shared" : out->dup_guid ? ", GUID is shared" : "");
}

long long ss_unknown_key(const struct ss_table *t, const char *arch)
{
	for (size_t r = 0; r < t->nrows; r++) {
		const char *a = ss_table_get(t, r, "Architecture");
		long long key;
		if (a && !strcasecmp(a, arch) &&
		    !parse_key(ss_table_get(t, r, "ItemKey"), &key))
			return key;
	}
	return -1;
}

static int parse_hash(const char *s, char out[65])
{
	size_t i;

	out[0] = '\0';
	if (!s || !*s)
		return 0;
	for (i = 0; s[i] && i < 64; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	if (i != 64 || s[i])
		return -EINVAL;
	out[64] = '\0';
	return 0;
}

/* "YYYY-MM-DD HH:MM:SS" (the form ss_db writes dates in), or "" */
static int parse_time(const char *s, char out[24])
{
	int y, mo, d, h = 0, mi = 0, se = 0;

	out[0] = '\0';
	if (!s)
		return 0;
	if (sscanf(s, "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) < 3 ||
	    y < 1753 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
		return -EINVAL;
	snprintf(out, 24, "%04d-%02d-%02d %02d:%02d:%02d", y % 10000, mo % 100,
	         d % 100, h % 100, mi % 100, se % 100);
	return 0;
}

static int arch_fits(uint16_t arch, const char *img)
{
	if (!img[0])
		return 1;
	switch (arch) {
	case PXH_ARCH_EFI_X64:
	case PXH_ARCH_EFI_X64_HTTP:
		return !strcmp(img, "x64");
	case PXH_ARCH_EFI_IA32:
	case PXH_ARCH_EFI_IA32_HTTP:
		return !strcmp(img, "x86");
	case PXH_ARCH_BIOS:
	case PXH_ARCH_UNKNOWN:
		return !strcmp(img, "x64") || !strcmp(img, "x86");
	default:
		return 0; /* no WinPE for ARM here */
	}
}

static int parse_row(const struct ss_table *t, size_t r, struct sccm_deploy *d,
                     struct ss_select_stats *st)
{
	const char *v;
	int m, ondp;

	memset(d, 0, sizeof(*d));
	v = ss_table_get(t, r, "OfferID");
	if (!sccm_valid_id(v))
		return -EINVAL;
	sccm_copy_text(d->offer_id, sizeof(d->offer_id), v);
	v = ss_table_get(t, r, "PkgID");
	if (v && !sccm_valid_id(v))
		return -EINVAL;
	sccm_copy_text(d->pkg_id, sizeof(d->pkg_id), v);
	sccm_copy_text(d->offer_name, sizeof(d->offer_name), ss_table_get(t, r, "OfferName"));
	sccm_copy_text(d->pkg_name, sizeof(d->pkg_name), ss_table_get(t, r, "PkgName"));
	m = flag(ss_table_get(t, r, "Mandatory"));
	ondp = ss_table_col(t, "BootImageOnDP") < 0 ? 1
	       : flag(ss_table_get(t, r, "BootImageOnDP"));
	if (m < 0 || ondp < 0)
		return -EINVAL;
	d->mandatory = m;
	if (parse_time(ss_table_get(t, r, "OfferTime"), d->offer_time))
		return -EINVAL;
	v = ss_table_get(t, r, "BootImageID");
	if (!v || !*v) {
		st->no_boot_image++;
		return 1;
	}
	if (!sccm_valid_id(v))
		return -EINVAL;
	sccm_copy_text(d->boot_image, sizeof(d->boot_image), v);
	if (!ondp) {
		st->not_on_dp++;
		return 1;
	}
	v = ss_table_get(t, r, "PackagePath");
	if (!v || sccm_clean_path(v, d->image_path, sizeof(d->image_path)))
		return -EINVAL;
	if (parse_hash(ss_table_get(t, r, "BootImageHash"), d->hash))
		return -EINVAL;
	v = ss_table_get(t, r, "BootImageArch");
	if (v && *v) {
		if (strcasecmp(v, "x86") && strcasecmp(v, "x64"))
			return -EINVAL;
		d->arch[0] = 'x';
		d->arch[1] = v[1];
		d->arch[2] = v[2];
		d->arch[3] = '\0';
	}
	v = ss_table_get(t, r, "LastPXEAdvertisementID");
	if (d->mandatory && v && !strcasecmp(v, d->offer_id)) {
		st->already_run++;
		return 1;
	}
	return 0;
}

static int cmp_deploy(const void *pa, const void *pb)
{
	const struct sccm_deploy *a = pa, *b = pb;
	int c;

	if (a->mandatory != b->mandatory)
		return b->mandatory - a->mandatory;
	if ((c = strcmp(b->offer_time, a->offer_time)))
		return c;
	return strcmp(b->offer_id, a->offer_id);
}

size_t ss_select_deployments(const struct ss_table *t, uint16_t arch,
                             struct sccm_deploy *out, size_t max,
                             struct ss_select_stats *st)
{
	size_t n = 0;

	memset(st, 0, sizeof(*st));
	for (size_t r = 0; r < t->nrows; r++) {
		struct sccm_deploy d;
		int rc, dup = 0;

		st->rows++;
		rc = parse_row(t, r, &d, st);
		if (rc < 0)
			st->malformed++;
		if (rc)
			continue;
		if (!arch_fits(arch, d.arch)) {
			st->wrong_arch++;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			dup |= !strcmp(out[i].offer_id, d.offer_id);
		if (dup) {
			st->duplicate++;
			continue;
		}
		if (n < max)
			out[n++] = d;
	}
	qsort(out, n, sizeof(*out), cmp_deploy);
	return n;
}
