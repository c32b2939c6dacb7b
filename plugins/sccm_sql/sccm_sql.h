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

/* ---- devices and deployments (ss_select.c) ------------------------------- */

/* Pick the machine from a lookup result for client MAC ("AA:BB:..") and
 * GUID (upper case, may be "").  Duplicated identifiers are ignored and the
 * other one decides. */
void ss_pick_device(const struct ss_table *t, const char *mac,
                    const char *guid, struct sccm_device *out);

/* The unknown-computer object for ARCH ("x86" or "x64") from the unknown
 * objects query; -1 when none. */
long long ss_unknown_key(const struct ss_table *t, const char *arch);

struct ss_select_stats {
	unsigned rows, malformed, no_boot_image, not_on_dp, already_run,
		wrong_arch, duplicate;
};

/* Deployments from a boot-action result: task sequences with a boot
 * image on this DP, for a client of architecture ARCH (enum pxh_arch),
 * required ones already run skipped; required first, then newest.
 * Returns how many were written to OUT (at most MAX). */
size_t ss_select_deployments(const struct ss_table *t, uint16_t arch,
                             struct sccm_deploy *out, size_t max,
                             struct ss_select_stats *st);

#endif /* SCCM_SQL_H */
