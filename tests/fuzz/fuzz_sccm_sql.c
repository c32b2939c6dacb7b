/* sccm_sql: what comes from the site database (result rows) and from the
 * admin's SQL files (templates) through the plugin's parsers.  Input: a
 * selector byte, then text; for rows, lines of tab-separated cells, the
 * first line the column names, "\N" a NULL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/common/sccm/sccm_ids.c"
#include "../../plugins/sccm_sql/ss_select.c"
#include "../../plugins/sccm_sql/ss_sql.c"
#include "../../plugins/sccm_sql/ss_table.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void to_table(const char *text, struct ss_table *t)
{
	char *copy = strdup(text), *save = NULL, *line;
	size_t ncols = 0;

	memset(t, 0, sizeof(*t));
	if (!copy)
		return;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = 1, i = 0;
		char *c = line, *tab;
		for (const char *k = line; *k; k++)
			n += *k == '\t';
		if (!ncols) {
			if (ss_table_set_names(t, n))
				break;
			ncols = n;
			for (; i < n; i++) {
				tab = strchr(c, '\t');
				if (tab)
					*tab = '\0';
				t->names[i] = strdup(c);
				c = tab ? tab + 1 : c + strlen(c);
			}
			continue;
		}
		if (ss_table_add_row(t))
			break;
		for (i = 0; i < ncols; i++) {
			tab = strchr(c, '\t');
			if (tab)
				*tab = '\0';
			t->cells[(t->nrows - 1) * ncols + i] =
				strcmp(c, "\\N") ? strdup(c) : NULL;
			c = tab ? tab + 1 : c + strlen(c);
		}
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, why[200], mac[18], guid[37], path[256];
	struct ss_table t;
	struct sccm_device d;
	struct sccm_deploy dep[16];
	struct ss_select_stats st;
	long long key;
	static const enum ss_client arches[] = {SS_BIOS_X86, SS_EFI_X64, SS_BIOS_X64, SS_OTHER};

	if (size < 1 || size > 65536)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0: {
		struct ss_param p[] = {
			{.name = "mac", .text = "52:54:00:00:00:01"},
			{.name = "guid", .text = NULL},
			{.name = "item_key", .num = 5, .is_int = 1},
		};
		char *s = ss_sql_expand(text, size - 1, p, 3, why, sizeof(why));
		free(s);
		break;
	}
	case 1:
		to_table(text, &t);
		ss_pick_device(&t, "52:54:00:00:00:01", "01234567-89AB-CDEF-0123-456789ABCDEF",
		               0, 0, &d);
		ss_pick_device(&t, "52:54:00:00:00:AA", "", data[0] & 1, data[0] & 2, &d);
		ss_unknown_key(&t, "x64", &key);
		ss_select_deployments(&t, &t, arches[data[0] / 3 % 4], dep, 16, &st);
		ss_table_free(&t);
		break;
	default:
		sccm_mac_upper(text, mac);
		sccm_guid_upper(text, guid);
		sccm_clean_path(text, path, sizeof(path));
		sccm_package_path(text, "PS100004", path, sizeof(path));
		sccm_valid_id(text);
		break;
	}
	free(text);
	return 0;
}
