/* sccm_sql: which machine a lookup found (duplicates, unknown objects) and
 * which deployments it gets (the documented boot image selection). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sccm_sql.h"

/* SQL bit or int as text: 1, 0, or -1 when it is neither ("" counts as 0:
 * the empty boot action reply carries Mandatory=""). */
static int flag(const char *s)
{
	if (!s || !*s)
		return 0;
	if (!strcmp(s, "1") || !strcasecmp(s, "true"))
		return 1;
	if (!strcmp(s, "0") || !strcasecmp(s, "false"))
		return 0;
	return -1;
}

/* A non-negative integer (item keys are 32-bit positive; 0 = none). */
static int parse_uint(const char *s, long long *out)
{
	char *end;
	long long v;

	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 0 || v > 0xFFFFFFFFLL)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_key(const char *s, long long *out)
{
	return parse_uint(s, out) || *out == 0 ? -EINVAL : 0;
}

static void unreadable(struct sccm_device *out, const struct ss_table *t, size_t r,
                       const char *what)
{
	char row[200];

	ss_row_text(t, r, row, sizeof(row));
	out->unreadable = 1;
	snprintf(out->why, sizeof(out->why), "unreadable lookup result (%.60s): %.150s", what, row);
}

static void conclude(struct sccm_device *out, long long by_guid, long long by_mac)
{
	if (by_guid && !out->dup_guid) {
		out->by_guid = 1;
		out->item_key = by_guid;
	} else if (by_mac && !out->dup_mac) {
		out->item_key = by_mac;
	} else {
		snprintf(out->why, sizeof(out->why), "%s",
		         out->dup_guid && out->dup_mac ? "MAC and SMBIOS GUID both shared by several machines"
		         : out->dup_mac && !by_guid ? "MAC shared by several machines, GUID unknown"
		         : out->dup_guid && !by_mac ? "SMBIOS GUID shared by several machines, MAC unknown"
		         : "not in the site database");
		return;
	}
	out->found = 1;
	snprintf(out->why, sizeof(out->why), "machine %lld (%s) by %s%s", out->item_key,
	         out->name[0] ? out->name : "?", out->by_guid ? "SMBIOS GUID" : "MAC",
	         out->dup_mac ? ", MAC is shared" : out->dup_guid ? ", GUID is shared" : "");
}

/* The positional shape: one row, (key by GUID, machines with that GUID,
 * key by MAC, machines with that MAC[, more]). */
static void pick_positional(const struct ss_table *t, int ignore_guid, int ignore_mac,
                            struct sccm_device *out)
{
	long long v[4];

	if (t->nrows != 1) {
		unreadable(out, t, 0, "more than one row of the key/count shape");
		return;
	}
	for (size_t i = 0; i < 4; i++)
		if (parse_uint(t->cells[i], &v[i])) {
			unreadable(out, t, 0, "not an integer");
			return;
		}
	if ((v[0] == 0) != (v[1] == 0) || (v[2] == 0) != (v[3] == 0)) {
		unreadable(out, t, 0, "a key without a count or a count without a key");
		return;
	}
	if (ignore_guid)
		v[0] = v[1] = 0;
	if (ignore_mac)
		v[2] = v[3] = 0;
	out->dup_guid = v[1] > 1;
	out->dup_mac = v[3] > 1;
	conclude(out, v[0], v[2]);
}

/* Named columns (an admin's own SELECT): one row per candidate machine. */
static void pick_named(const struct ss_table *t, const char *mac, const char *guid,
                       int ignore_guid, int ignore_mac, struct sccm_device *out)
{
	int has_mac = ss_table_col(t, "MACAddress") >= 0;
	int has_guid = ss_table_col(t, "SMBIOS_GUID") >= 0;
	long long by_guid = 0, by_mac = 0;
	size_t row_guid = 0, row_mac = 0;

	for (size_t r = 0; r < t->nrows; r++) {
		long long key;
		char g[37], m[18];
		int gm, mm, dg = flag(ss_table_get(t, r, "DuplicateSMBIOS"));
		int dm = flag(ss_table_get(t, r, "DuplicateMACAddress"));
		const char *rg = ss_table_get(t, r, "SMBIOS_GUID");
		const char *rm = ss_table_get(t, r, "MACAddress");

		if (parse_key(ss_table_get(t, r, "ItemKey"), &key) || dg < 0 || dm < 0 ||
		    (rg && sccm_guid_upper(rg, g)) || (rm && sccm_mac_upper(rm, m))) {
			unreadable(out, t, r, "bad ItemKey, flag, GUID or MAC");
			return;
		}
		gm = !ignore_guid && (has_guid ? (rg && guid[0] && !strcmp(g, guid)) : 1);
		mm = !ignore_mac && (has_mac ? (rm && !strcmp(m, mac)) : 1);
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
	if (by_guid && !guid[0])
		by_guid = 0;
	sccm_copy_text(out->name, sizeof(out->name),
	               ss_table_get(t, by_guid && !out->dup_guid ? row_guid : row_mac, "Name"));
	conclude(out, by_guid, by_mac);
}

void ss_pick_device(const struct ss_table *t, const char *mac, const char *guid,
                    int ignore_guid, int ignore_mac, struct sccm_device *out)
{
	memset(out, 0, sizeof(*out));
	if (!guid[0])
		ignore_guid = 1;
	if (t->nrows == 0) {
		snprintf(out->why, sizeof(out->why), "not in the site database");
		return;
	}
	if (ss_table_col(t, "ItemKey") >= 0)
		pick_named(t, mac, guid, ignore_guid, ignore_mac, out);
	else if (t->ncols >= 4)
		pick_positional(t, ignore_guid, ignore_mac, out);
	else
		unreadable(out, t, 0, "neither an ItemKey column nor four integers");
}

int ss_unknown_key(const struct ss_table *t, const char *arch, long long *key)
{
	int found = 0;

	for (size_t r = 0; r < t->nrows; r++) {
		const char *a = ss_table_get(t, r, "Architecture");
		long long k;
		if (!a || strcasecmp(a, arch))
			continue;
		if (parse_key(ss_table_get(t, r, "ItemKey"), &k))
			return -EINVAL;
		if (found && k != *key)
			return -EEXIST; /* two sites' objects: the site code is missing */
		*key = k;
		found = 1;
	}
	return found ? 0 : -ENOENT;
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

const char *ss_image_arch(const struct ss_table *images, const char *id)
{
	for (size_t r = 0; images && r < images->nrows; r++) {
		const char *p = ss_table_get(images, r, "PackageID");
		const char *a = ss_table_get(images, r, "Architecture");
		if (!p || strcasecmp(p, id) || !a)
			continue;
		if (!strcmp(a, "0") || !strcasecmp(a, "x86"))
			return "x86";
		if (!strcmp(a, "9") || !strcasecmp(a, "x64"))
			return "x64";
		return NULL;
	}
	return NULL;
}

/* 0 exact architecture, 1 compatible, -1 not bootable (memdocs: UEFI only
 * the same architecture; 64-bit BIOS either, exact first; 32-bit BIOS x86). */
static int arch_rank(enum ss_client client, const char *img)
{
	switch (client) {
	case SS_EFI_X64:
		return !strcmp(img, "x64") ? 0 : -1;
	case SS_EFI_X86:
	case SS_BIOS_X86:
		return !strcmp(img, "x86") ? 0 : -1;
	case SS_BIOS_X64:
		return !strcmp(img, "x64") ? 0 : !strcmp(img, "x86") ? 1 : -1;
	default:
		return -1;
	}
}

static int parse_row(const struct ss_table *t, size_t r, struct sccm_deploy *d,
                     struct ss_select_stats *st)
{
	const char *v;
	int m;

	memset(d, 0, sizeof(*d));
	v = ss_table_get(t, r, "OfferID");
	if (!v || !*v) {
		st->empty++; /* the "no advertisements found" reply: all fields empty */
		return 1;
	}
	if (!sccm_valid_id(v))
		return -EINVAL;
	sccm_copy_text(d->offer_id, sizeof(d->offer_id), v);
	v = ss_table_get(t, r, "PkgID");
	if (v && *v && !sccm_valid_id(v))
		return -EINVAL;
	sccm_copy_text(d->pkg_id, sizeof(d->pkg_id), v);
	sccm_copy_text(d->offer_name, sizeof(d->offer_name), ss_table_get(t, r, "OfferName"));
	sccm_copy_text(d->pkg_name, sizeof(d->pkg_name), ss_table_get(t, r, "PkgName"));
	sccm_copy_text(d->offer_time, sizeof(d->offer_time), ss_table_get(t, r, "OfferIDTime"));
	if ((m = flag(ss_table_get(t, r, "Mandatory"))) < 0)
		return -EINVAL;
	d->mandatory = m;
	v = ss_table_get(t, r, "BootImageID");
	if (!v || !*v) {
		st->no_boot_image++;
		return 1;
	}
	if (!sccm_valid_id(v))
		return -EINVAL;
	sccm_copy_text(d->boot_image, sizeof(d->boot_image), v);
	if (ss_table_col(t, "BootImageOnDP") >= 0) {
		int ondp = flag(ss_table_get(t, r, "BootImageOnDP"));
		if (ondp < 0)
			return -EINVAL;
		if (!ondp) {
			st->not_on_dp++;
			return 1;
		}
	}
	v = ss_table_get(t, r, "PackagePath");
	if (!v || sccm_package_path(v, d->boot_image, d->image_path, sizeof(d->image_path)))
		return -EINVAL;
	if (parse_hash(ss_table_get(t, r, "BootImageHash"), d->hash))
		return -EINVAL;
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

	if (a->arch_rank != b->arch_rank)
		return a->arch_rank - b->arch_rank;
	if (a->mandatory != b->mandatory)
		return b->mandatory - a->mandatory;
	return strcmp(b->offer_id, a->offer_id); /* highest deployment ID first */
}

size_t ss_select_deployments(const struct ss_table *t, const struct ss_table *images,
                             enum ss_client client, struct sccm_deploy *out, size_t max,
                             struct ss_select_stats *st)
{
	size_t n = 0;

	memset(st, 0, sizeof(*st));
	if (t->nrows && ss_table_col(t, "OfferID") < 0) {
		st->unreadable = 1;
		ss_row_text(t, 0, st->bad_row, sizeof(st->bad_row));
		return 0;
	}
	for (size_t r = 0; r < t->nrows; r++) {
		struct sccm_deploy d;
		const char *a;
		int rc, dup = 0;

		st->rows++;
		rc = parse_row(t, r, &d, st);
		if (rc < 0) {
			if (!st->malformed++)
				ss_row_text(t, r, st->bad_row, sizeof(st->bad_row));
			continue;
		}
		if (rc)
			continue;
		a = ss_image_arch(images, d.boot_image);
		if (!a) {
			st->no_arch++;
			continue;
		}
		snprintf(d.arch, sizeof(d.arch), "%s", a);
		if ((d.arch_rank = arch_rank(client, a)) < 0) {
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
