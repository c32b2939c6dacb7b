/* Configuration Manager plugins: the boot media hand-over to WinPE
 * (media_bootstrap_ini, media_variables, media_helper_dir): a boot media's
 * TsmBootstrap.ini and Variables.dat, read at load and injected into WinPE
 * through wimboot. */
#ifndef PXH_SCCM_MEDIA_H
#define PXH_SCCM_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include <pxehub/plugin.h>

#define SCCM_MEDIA_FILES 4
#define SCCM_MEDIA_MAX_BYTES (1024 * 1024)

struct sccm_media {
	size_t n; /* 0: media_dir not set, nothing injected */
	struct {
		const char *name; /* as injected (X:\Windows\System32\NAME) */
		uint8_t *data;
		size_t len;
	} f[SCCM_MEDIA_FILES];
};

/* Read media_bootstrap_ini (with [MediaInfo] MediaType) and
 * media_variables (both or neither), and with media_helper_dir its
 * winpeshl.ini and pxehub-media.js (names match case-insensitively).  0
 * (also when the hand-over is off) or -errno with WHY naming the key's
 * FILE:LINE.  (-t checks that the paths exist.) */
int sccm_media_load(pxh_host *h, struct sccm_media *m, char *why, size_t why_len);
void sccm_media_free(struct sccm_media *m);
/* Serve NAME ("TsmBootstrap.ini", ...) from memory: 0 or -ENOENT. */
int sccm_media_open(const struct sccm_media *m, const char *name, pxh_file *out);

#endif
