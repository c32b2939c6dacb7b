/* Configuration Manager plugins: the reimaging guard.  Who records a PXE
 * boot on the site (LastPXEAdvertisement, which makes NBS_GetPXEBootAction
 * drop a required deployment already run) is not public: if it is the
 * stock responder, nothing records pxehub's boots and a required
 * deployment would start again at every boot.  Until that is known, a
 * required deployment started automatically is not started automatically
 * again for the same machine within reimage_guard; the entries live in
 * <state_dir>/reimage_guard, written whole to a temporary file and renamed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sccm_guard.h"

#define GUARD_MAX 4096 /* machines remembered; the oldest go first */

struct guard_entry {
	char key[80], offer[SCCM_ID_MAX];
	double t; /* wall clock seconds */
};

struct sccm_guard {
	pxh_host *h;
	double window;
	char path[512];
	struct guard_entry *e;
	size_t n;
};

static int valid_key(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

struct sccm_guard *sccm_guard_new(pxh_host *h, double window_s)
{
	struct sccm_guard *g = calloc(1, sizeof(*g));
	char line[160];
	FILE *f;

	if (!g)
		return NULL;
	g->h = h;
	g->window = window_s;
	snprintf(g->path, sizeof(g->path), "%s/reimage_guard", pxh_host_state_dir(h));
	g->e = calloc(GUARD_MAX, sizeof(*g->e));
	if (!g->e) {
		free(g);
		return NULL;
	}
	f = fopen(g->path, "re");
	while (f && g->n < GUARD_MAX && fgets(line, sizeof(line), f)) {
		struct guard_entry *x = &g->e[g->n];
		if (sscanf(line, "%79s %15s %lf", x->key, x->offer, &x->t) == 3 &&
		    valid_key(x->key) && sccm_valid_id(x->offer))
			g->n++;
	}
	if (f)
		fclose(f);
	return g;
}

void sccm_guard_free(struct sccm_guard *g)
{
	if (!g)
		return;
	free(g->e);
	free(g);
}

static int save(struct sccm_guard *g)
{
	char tmp[530];
	FILE *f;
	int rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", g->path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "# pxehub reimage guard: machine offer time (written whole, renamed)\n");
	for (size_t i = 0; i < g->n; i++)
		fprintf(f, "%s %s %.0f\n", g->e[i].key, g->e[i].offer, g->e[i].t);
	if (fflush(f) || fsync(fileno(f)))
		rc = -errno;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, g->path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

int sccm_guard_check(struct sccm_guard *g, const char *key, const char *offer,
                     double now, double *since)
{
	struct guard_entry *x = NULL;
	size_t oldest = 0;
	int rc;

	if (!g || g->window <= 0 || !valid_key(key) || strlen(key) >= sizeof(x->key))
		return 0;
	for (size_t i = 0; i < g->n; i++) {
		if (!strcmp(g->e[i].key, key) && !strcmp(g->e[i].offer, offer))
			x = &g->e[i];
		if (g->e[i].t < g->e[oldest].t)
			oldest = i;
	}
	if (x && now - x->t >= 0 && now - x->t < g->window) {
		*since = x->t;
		return 1;
	}
	if (!x)
		x = g->n < GUARD_MAX ? &g->e[g->n++] : &g->e[oldest];
	snprintf(x->key, sizeof(x->key), "%s", key);
	snprintf(x->offer, sizeof(x->offer), "%s", offer);
	x->t = now;
	if ((rc = save(g)))
		pxh_log(g->h, PXH_LOG_ERR, NULL, "%s: %s: %s (the guard holds in memory only)",
		        pxh_host_plugin_name(g->h), g->path, strerror(-rc));
	return 0;
}
