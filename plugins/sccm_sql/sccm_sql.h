/* sccm_sql: shared types (result tables, devices, deployments, content). */
#ifndef SCCM_SQL_H
#define SCCM_SQL_H

#include <stddef.h>
#include <stdint.h>

#include <pxehub/plugin.h>

#include "../common/sccm/sccm.h"

/* ---- a result set as text (ss_table.c) ---------------------------------- */
struct ss_table {
	size_t ncols, nrows, cap;
	char **names; /* ncols */
	char **cells; /* nrows * ncols; NULL is SQL NULL */
};

void ss_table_free(struct ss_table *t);
int ss_table_set_names(struct ss_table *t, size_t ncols);
int ss_table_add_row(struct ss_table *t); /* all cells NULL */
/* A deep copy of SRC into DST (empty when SRC is); 0 or -ENOMEM. */
int ss_table_copy(struct ss_table *dst, const struct ss_table *src);
/* Column index of NAME (case-insensitive) or -1. */
int ss_table_col(const struct ss_table *t, const char *name);
/* Cell text of row R, column NAME; NULL when absent or SQL NULL. */
const char *ss_table_get(const struct ss_table *t, size_t r, const char *name);

/* ---- SQL templates (ss_sql.c) -------------------------------------------- */
/* One value for a :name placeholder: text (quoted as N'...'), an integer,
 * or NULL (text NULL or empty and is_int 0 with null_if_empty). */
struct ss_param {
	const char *name;
	const char *text; /* NULL -> SQL NULL */
	long long num;
	int is_int;
};

/* Expand the :name placeholders of TEMPLATE (outside quotes, brackets and
 * comments) with PARAMS.  Returns a malloc'd statement or NULL with WHY
 * set (unknown placeholder, value not valid text, too long). */
char *ss_sql_expand(const char *tmpl, size_t len, const struct ss_param *params,
                    size_t n, char *why, size_t why_len);

/* Row R of T as "Name=value, ..." with anything unprintable escaped
 * (\xNN), for logs of a result the plugin could not read. */
void ss_row_text(const struct ss_table *t, size_t r, char *out, size_t len);

/* ---- devices and deployments (ss_select.c) ------------------------------- */

/* Pick the machine from a lookup result for client MAC ("AA:BB:..") and
 * GUID (upper case, may be "").  Two result shapes: one row of integers
 * (key by GUID, machines with it, key by MAC, machines with it) or named
 * columns (ItemKey, ...).  A shared identifier, or one on the site's
 * duplicate list (IGNORE_GUID / IGNORE_MAC), is ignored and the other one
 * decides.  A result it cannot read sets OUT->unreadable (OUT->why holds
 * the raw row, escaped): that is an error, never an unknown computer. */
void ss_pick_device(const struct ss_table *t, const char *mac, const char *guid,
                    int ignore_guid, int ignore_mac, struct sccm_device *out);

/* The unknown-computer object for ARCH ("x86" or "x64"): 0 with *KEY,
 * -ENOENT none, -EEXIST two different ones (several sites' objects: the
 * query lacks the site code), -EINVAL unreadable. */
int ss_unknown_key(const struct ss_table *t, const char *arch, long long *key);

/* The client as boot image selection sees it. */
enum ss_client { SS_EFI_X64, SS_EFI_X86, SS_BIOS_X86, SS_BIOS_X64, SS_OTHER };

/* "x86"/"x64" of boot image ID in IMAGES (PackageID, Architecture: 0/9 or
 * text), NULL when unknown. */
const char *ss_image_arch(const struct ss_table *images, const char *id);

struct ss_select_stats {
	unsigned rows, malformed, no_boot_image, not_on_dp, already_run,
		wrong_arch, no_arch, duplicate, empty;
	int unreadable;     /* no OfferID column at all */
	char bad_row[200];  /* the first malformed row, escaped */
};

/* Deployments from a boot-action result for CLIENT: rows that are task
 * sequences with a boot image whose architecture the client can boot
 * (IMAGES), required ones already run skipped; exact architecture first,
 * then required, then the highest deployment ID (memdocs "How the boot
 * image is selected for PXE").  Returns how many were written to OUT (at
 * most MAX). */
size_t ss_select_deployments(const struct ss_table *t, const struct ss_table *images,
                             enum ss_client client, struct sccm_deploy *out, size_t max,
                             struct ss_select_stats *st);

#endif /* SCCM_SQL_H */
