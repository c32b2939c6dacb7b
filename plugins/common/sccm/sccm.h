/* Configuration Manager plugins (sccm_sql, sccm_mp_http): identifiers,
 * machines and deployments as both back ends report them.  Not a plugin:
 * each plugin compiles these files in (NAME_EXTRA_SRC in its plugin.mk). */
#ifndef PXH_SCCM_H
#define PXH_SCCM_H

#include <stddef.h>
#include <stdint.h>

#include <pxehub/plugin.h>

#define SCCM_ID_MAX 16

/* Valid package / deployment id ("PS100004"). */
int sccm_valid_id(const char *s);
/* Normalise a DP-relative path ('\' -> '/', no leading '/', no "..",
 * printable); 0 or -EINVAL. */
int sccm_clean_path(const char *in, char *out, size_t len);
/* The DP-relative path of boot image ID's .wim from the site's
 * PackagePath: a URL (http://DP/SMS_DP_SMSPKG$/ID: the IIS package share,
 * path after the share), a UNC path (\\DP\REMINST\SMSImages\ID\...: path
 * after the share), or a relative path.  A path that does not name a .wim
 * is the package's directory: boot.ID.wim is appended.  0 or -EINVAL. */
int sccm_package_path(const char *in, const char *id, char *out, size_t len);
/* "AA:BB:CC:DD:EE:FF" from any MAC text (':' or '-' or none), 0/-EINVAL. */
int sccm_mac_upper(const char *in, char out[18]);
/* Upper-case GUID text, "" for a missing or placeholder GUID (all zero,
 * all F); 0 or -EINVAL. */
int sccm_guid_upper(const char *in, char out[37]);
/* Copy at most LEN-1 bytes of SRC (NULL = ""), control characters blanked. */
void sccm_copy_text(char *dst, size_t len, const char *src);

/* The machine a lookup found. */
struct sccm_device {
	int found;
	long long item_key;
	char name[64];
	int unknown;     /* the unknown-computer object answered */
	int by_guid;     /* matched on the SMBIOS GUID (else MAC) */
	int dup_mac, dup_guid;
	unsigned malformed;
	int unreadable; /* the back end's answer could not be read: an error */
	char why[240];
};

/* One task-sequence deployment the machine may boot. */
struct sccm_deploy {
	char offer_id[SCCM_ID_MAX];
	char offer_name[96];
	char pkg_id[SCCM_ID_MAX];
	char pkg_name[96];
	char boot_image[SCCM_ID_MAX];
	char image_path[256]; /* '/' separated, relative, no ".." */
	char arch[8];         /* "x86", "x64" or "" */
	char hash[65];        /* SHA-256 hex, lower case, or "" */
	int mandatory;
	char offer_time[24]; /* the site's OfferIDTime as text, or "" */
	int arch_rank;       /* 0 exact architecture, 1 compatible */
};

/* What one lookup came to, whichever back end answered. */
enum sccm_status { SCCM_OK = 0, SCCM_NOT_FOUND = 1, SCCM_ERROR = 2 };
#define SCCM_MAX_DEPLOY 16

struct sccm_result {
	enum sccm_status status;
	char why[320];
	struct sccm_device dev;
	size_t n; /* deployments, best first */
	struct sccm_deploy dep[SCCM_MAX_DEPLOY];
	unsigned malformed; /* rows or replies skipped as malformed */
};

#endif /* PXH_SCCM_H */
