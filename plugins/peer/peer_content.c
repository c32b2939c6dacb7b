/* peer plugin: boot files shared between peers.  The upstream signs a
 * manifest (path, size, SHA-256); each peer keeps verified copies in a
 * size-bounded cache under its state dir, fetches what it lacks from the
 * other peers (or the upstream) over HTTP, and serves the cache through
 * the file resolver hook. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "peer.h"
#include "../common/curl/curl_fetch.h"

/* ---- small helpers (any thread) ------------------------------------------------- */
static int read_small(const char *path, size_t max, uint8_t **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *b;
	ssize_t r;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	b = malloc((size_t)st.st_size + 1);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	r = read(fd, b, (size_t)st.st_size);
	close(fd);
	if (r != st.st_size) {
		free(b);
		return -EIO;
	}
	*out = b;
	*len = (size_t)r;
	return 0;
}

static int write_small(const char *path, const uint8_t *b, size_t len)
{
	char tmp[700];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, b, len) != (ssize_t)len)
		rc = -EIO;
	close(fd);
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

/* Escape a manifest path for a URL: unreserved characters and '/' stay. */
static void url_path(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 4 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/", c))
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X", c);
	}
	out[o] = '\0';
}

/* ---- HTTP GET (pool threads): plugins/common/curl/curl_fetch.c ---------------- */
struct sink {
	int fd;              /* file, or -1 for memory */
	uint8_t *mem;
	size_t len, max;
	gnutls_hash_hd_t hash; /* or NULL */
	bool too_big;
};

static void hash_chunk(void *ud, const char *p, size_t n)
{
	gnutls_hash(((struct sink *)ud)->hash, p, n);
}

static void peer_options(void *ud, CURL *c)
{
	(void)ud;
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pxehub-peer/1.0");
}

/* 0, or -errno with a reason in ERR. */
static int http_get(const char *url, long timeout_ms, struct sink *s,
                    char *err, size_t err_len)
{
	struct curl_fetch f = {
		.url = url, .timeout_ms = timeout_ms, .connect_timeout_ms = 5000,
		.fd = s->fd, .max = s->max, .each = s->hash ? hash_chunk : NULL,
		.setup = peer_options, .ud = s,
	};
	int rc = curl_fetch_get(&f);

	s->mem = (uint8_t *)f.mem;
	s->len = (size_t)f.len;
	s->too_big = f.too_big;
	if (rc == -ENOMEM)
		snprintf(err, err_len, "out of memory");
	if (f.result == CURLE_OK || rc == -ENOMEM)
		return rc;
	if (s->too_big)
		snprintf(err, err_len, "longer than %zu bytes", s->max);
	else if (f.status >= 400)
		snprintf(err, err_len, "HTTP %ld", f.status);
	else
		snprintf(err, err_len, "%s", curl_easy_strerror(f.result));
	return f.status == 404 ? -ENOENT : -EIO;
}

/* ---- the manifest ------------------------------------------------------------------ */
struct mf_job {
	struct peer *p;
	char url[600], from[80];
	uint8_t *data, *sig;
	size_t len, sig_len;
	long timeout_ms;
	int rc;
	char err[200];
};

static void mf_work(void *ud)
{
	struct mf_job *j = ud;
	char sig_url[620];

	snprintf(sig_url, sizeof(sig_url), "%s.sig", j->url);
	if (strncmp(j->url, "http://", 7) && strncmp(j->url, "https://", 8)) {
		j->rc = read_small(j->url, PEER_MF_MAX_BYTES, &j->data, &j->len);
		if (!j->rc)
			j->rc = read_small(sig_url, PEER_SIG_MAX, &j->sig,
			                   &j->sig_len);
		if (j->rc)
			snprintf(j->err, sizeof(j->err), "%s", strerror(-j->rc));
		return;
	}
	struct sink a = {.fd = -1, .max = PEER_MF_MAX_BYTES};
	struct sink b = {.fd = -1, .max = PEER_SIG_MAX};
	j->rc = http_get(j->url, j->timeout_ms, &a, j->err, sizeof(j->err));
	if (!j->rc)
		j->rc = http_get(sig_url, j->timeout_ms, &b, j->err,
		                 sizeof(j->err));
	j->data = a.mem;
	j->len = a.len;
	j->sig = b.mem;
	j->sig_len = b.len;
}

static void files_reset(struct peer *p);
static void scan_start(struct peer *p);

/* Take DATA/SIG as the manifest if the signature holds and the serial is
 * newer (or, with SAME_OK, equal: our own stored copy).  Returns 0 when
 * adopted, 1 when not newer, -EPERM/-EBADMSG when refused. */
static int adopt(struct peer *p, uint8_t *data, size_t len, uint8_t *sig,
                 size_t sig_len, const char *from, bool same_ok)
{
	struct peer_manifest m;
	char why[200], path[700];
	int rc;

	if (peer_sig_verify(p->pub, data, len, sig, sig_len)) {
		p->c.manifest_rejected++;
		peer_event(p, PXH_LOG_WARNING, "manifest", NULL,
		           "manifest from %s rejected: signature does not verify "
		           "with public_key", from);
		return -EPERM;
	}
	if ((rc = peer_manifest_parse(data, len, &m, why, sizeof(why)))) {
		p->c.manifest_rejected++;
		peer_event(p, PXH_LOG_WARNING, "manifest", NULL,
		           "manifest from %s rejected: %s", from, why);
		return rc;
	}
	if (m.serial < p->mf.serial || (m.serial == p->mf.serial && !same_ok)) {
		peer_manifest_free(&m);
		return 1;
	}
	/* content we hold stays served while the scan confirms it */
	struct peer_file *nf = calloc(m.n + 1, sizeof(*nf));
	if (!nf) {
		peer_manifest_free(&m);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m.n; i++)
		for (size_t k = 0; p->files && k < p->mf.n; k++)
			if (p->files[k].held && !strcmp(p->mf.e[k].hex, m.e[i].hex)) {
				nf[i].held = true;
				nf[i].last_use = p->files[k].last_use;
				break;
			}
	free(p->files);
	p->files = nf;
	peer_manifest_free(&p->mf);
	p->mf = m;
	free(p->mf_raw);
	free(p->mf_sig);
	p->mf_raw = data;
	p->mf_len = len;
	p->mf_sig = sig;
	p->mf_sig_len = sig_len;
	p->c.manifest_ok++;
	snprintf(path, sizeof(path), "%s/manifest", p->state_dir);
	if (!same_ok || strcmp(from, "state dir")) {
		if (write_small(path, data, len) ||
		    (strcat(path, ".sig"), write_small(path, sig, sig_len)))
			pxh_log(p->h, PXH_LOG_WARNING, NULL, "cannot keep "
			        "the manifest in %s", p->state_dir);
	}
	peer_event(p, PXH_LOG_NOTICE, "manifest", NULL, "manifest serial %llu "
	           "(%zu files) from %s accepted",
	           (unsigned long long)m.serial, m.n, from);
	scan_start(p);
	return 0;
}

static void mf_done(void *ud)
{
	struct mf_job *j = ud;
	struct peer *p = j->p;

	p->mf_busy = false;
	if (j->rc) {
		pxh_log(p->h, PXH_LOG_INFO, NULL, "manifest from %s: %s",
		        j->from, j->err);
	} else if (adopt(p, j->data, j->len, j->sig, j->sig_len, j->from,
	                 false) == 0) {
		j->data = j->sig = NULL; /* kept */
	}
	free(j->data);
	free(j->sig);
	free(j);
}

static void mf_fetch(struct peer *p, const char *url, const char *from)
{
	struct mf_job *j = calloc(1, sizeof(*j));

	if (!j)
		return;
	j->p = p;
	j->timeout_ms = 10000;
	snprintf(j->url, sizeof(j->url), "%s", url);
	snprintf(j->from, sizeof(j->from), "%s", from);
	p->mf_busy = true;
	if (pxh_work_submit(p->h, mf_work, mf_done, j)) {
		p->mf_busy = false;
		free(j);
	}
}

/* ---- scanning the cache and the seed dir --------------------------------------------- */
struct scan_job {
	struct peer *p;
	uint64_t serial;
	struct peer_mf_entry *e;
	size_t n;
	bool *held, *bad_seed, first;
	char seed_dir[512], cache_dir[600];
	uint64_t budget, bytes;
	unsigned seeded, too_big;
};

/* Copy FD (SIZE bytes) to the cache as HEX if its SHA-256 is SHA.
 * 1 when stored, 0 when the content differs, -errno on errors. */
static int store_verified(int fd, uint64_t size, const uint8_t *sha,
                          const char *cache_dir, const char *hex)
{
	char tmp[700], dst[700], buf[65536];
	uint8_t d[32];
	gnutls_hash_hd_t h;
	uint64_t left = size;
	int out, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s-%d", cache_dir, hex, (int)gettid());
	snprintf(dst, sizeof(dst), "%s/%s", cache_dir, hex);
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -ENOMEM;
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		gnutls_hash_deinit(h, d);
		return -errno;
	}
	while (left) {
		ssize_t r = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (r <= 0 || write(out, buf, (size_t)r) != r) {
			rc = -EIO;
			break;
		}
		gnutls_hash(h, buf, (size_t)r);
		left -= (uint64_t)r;
	}
	gnutls_hash_deinit(h, d);
	close(out);
	if (!rc)
		rc = memcmp(d, sha, 32) ? 0 : 1;
	if (rc == 1 && rename(tmp, dst))
		rc = -errno;
	if (rc != 1)
		unlink(tmp);
	return rc;
}

static int hash_file(const char *path, uint64_t *size, uint8_t d[32])
{
	char buf[65536];
	gnutls_hash_hd_t h;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t r;

	if (fd < 0)
		return -errno;
	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) {
		close(fd);
		return -ENOMEM;
	}
	*size = 0;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		gnutls_hash(h, buf, (size_t)r);
		*size += (uint64_t)r;
	}
	gnutls_hash_deinit(h, d);
	close(fd);
	return r < 0 ? -EIO : 0;
}

static void scan_work(void *ud)
{
	struct scan_job *j = ud;
	DIR *dir = opendir(j->cache_dir);
	struct dirent *de;

	/* the cache: keep what the manifest lists and still verifies */
	while (dir && (de = readdir(dir))) {
		char path[1000];
		size_t i;

		if (de->d_name[0] == '.') {
			/* leftovers of a fetch that died with us */
			if (j->first && !strncmp(de->d_name, ".tmp-", 5)) {
				snprintf(path, sizeof(path), "%s/%s", j->cache_dir,
				         de->d_name);
				unlink(path);
			}
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", j->cache_dir, de->d_name);
		for (i = 0; i < j->n; i++)
			if (!strcmp(j->e[i].hex, de->d_name))
				break;
		if (i < j->n) {
			uint64_t size;
			uint8_t d[32];
			if (!hash_file(path, &size, d) && size == j->e[i].size &&
			    !memcmp(d, j->e[i].sha256, 32)) {
				/* several paths may share one content */
				for (size_t k = i; k < j->n; k++)
					if (!strcmp(j->e[k].hex, de->d_name))
						j->held[k] = true;
				j->bytes += size;
				continue;
			}
		}
		unlink(path); /* not listed any more, or damaged */
	}
	if (dir)
		closedir(dir);
	if (!j->seed_dir[0])
		return;
	/* the seed dir: take in what matches the manifest */
	for (size_t i = 0; i < j->n; i++) {
		char path[1000];
		struct stat st;
		int fd, rc;

		if (j->held[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s", j->seed_dir, j->e[i].path);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
			close(fd);
			continue;
		}
		if ((uint64_t)st.st_size != j->e[i].size) {
			j->bad_seed[i] = true;
			close(fd);
			continue;
		}
		if (j->bytes + j->e[i].size > j->budget) {
			j->too_big++;
			close(fd);
			continue;
		}
		rc = store_verified(fd, j->e[i].size, j->e[i].sha256,
		                    j->cache_dir, j->e[i].hex);
		close(fd);
		if (rc == 1) {
			for (size_t k = i; k < j->n; k++)
				if (!strcmp(j->e[k].hex, j->e[i].hex))
					j->held[k] = true;
			j->bytes += j->e[i].size;
			j->seeded++;
		} else if (rc == 0) {
			j->bad_seed[i] = true;
		}
	}
}

static void scan_done(void *ud)
{
	struct scan_job *j = ud;
	struct peer *p = j->p;

	p->scanning = false;
	if (j->serial == p->mf.serial && j->n == p->mf.n && !p->rescan) {
		p->cache_bytes = j->bytes;
		for (size_t i = 0; i < j->n; i++) {
			p->files[i].held = j->held[i];
			p->files[i].bad_seed = j->bad_seed[i];
			if (j->bad_seed[i])
				peer_event(p, PXH_LOG_WARNING, "tampered", NULL,
				           "seed_dir copy of %s differs from the "
				           "manifest: not served", j->e[i].path);
		}
		p->c.too_big += j->too_big;
		pxh_log(p->h, PXH_LOG_INFO, NULL, "cache holds %u of %zu "
		        "files (%u taken from seed_dir), %llu bytes",
		        peer_content_held(p), p->mf.n, j->seeded,
		        (unsigned long long)p->cache_bytes);
	}
	if (p->rescan) {
		p->rescan = false;
		scan_start(p);
	}
	free(j->e);
	free(j->held);
	free(j->bad_seed);
	free(j);
}

static void scan_start(struct peer *p)
{
	static bool first_done;
	struct scan_job *j;

	if (p->scanning) {
		p->rescan = true;
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return;
	j->p = p;
	j->serial = p->mf.serial;
	j->n = p->mf.n;
	j->e = calloc(j->n + 1, sizeof(*j->e));
	j->held = calloc(j->n + 1, sizeof(bool));
	j->bad_seed = calloc(j->n + 1, sizeof(bool));
	j->first = !first_done;
	first_done = true;
	snprintf(j->seed_dir, sizeof(j->seed_dir), "%s", p->seed_dir);
	snprintf(j->cache_dir, sizeof(j->cache_dir), "%s", p->cache_dir);
	j->budget = p->cache_max;
	if (!j->e || !j->held || !j->bad_seed)
		goto fail;
	if (j->n)
		memcpy(j->e, p->mf.e, j->n * sizeof(*j->e));
	p->scanning = true;
	if (pxh_work_submit(p->h, scan_work, scan_done, j) == 0)
		return;
	p->scanning = false;
fail:
	free(j->e);
	free(j->held);
	free(j->bad_seed);
	free(j);
}

static void files_reset(struct peer *p)
{
	free(p->files);
	p->files = calloc(p->mf.n + 1, sizeof(*p->files));
	if (!p->files) /* keep a valid array: nothing held */
		p->mf.n = 0;
}

uint32_t peer_content_held(const struct peer *p)
{
	uint32_t n = 0;

	for (size_t i = 0; p->files && i < p->mf.n; i++)
		n += p->files[i].held;
	return n;
}

/* ---- fetching a file ---------------------------------------------------------------- */
struct fetch_job {
	struct peer *p;
	uint64_t serial;
	size_t idx;
	struct peer_mf_entry e;
	char cache_dir[600];
	char url[PEER_MAX_SOURCES][700];
	char src[PEER_MAX_SOURCES][80];
	size_t n_url;
	long timeout_ms;
	int got;                  /* index of the URL that gave it, or -1 */
	unsigned verify_failed;
	char bad[PEER_MAX_SOURCES][200]; /* why each source failed */
};

static void fetch_work(void *ud)
{
	struct fetch_job *j = ud;
	char tmp[700], dst[700];

	j->got = -1;
	snprintf(dst, sizeof(dst), "%s/%s", j->cache_dir, j->e.hex);
	for (size_t i = 0; i < j->n_url && j->got < 0; i++) {
		struct sink s = {.max = j->e.size};
		uint8_t d[32];
		int rc;

		snprintf(tmp, sizeof(tmp), "%s/.tmp-%s-%d", j->cache_dir, j->e.hex,
		         (int)gettid());
		s.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (s.fd < 0) {
			snprintf(j->bad[i], sizeof(j->bad[i]), "%.150s: %.40s", tmp,
			         strerror(errno));
			break;
		}
		if (gnutls_hash_init(&s.hash, GNUTLS_DIG_SHA256) < 0) {
			close(s.fd);
			unlink(tmp);
			break;
		}
		rc = http_get(j->url[i], j->timeout_ms, &s, j->bad[i],
		              sizeof(j->bad[i]));
		gnutls_hash_deinit(s.hash, d);
		if (close(s.fd))
			rc = -EIO;
		if (!rc && (s.len != j->e.size || memcmp(d, j->e.sha256, 32))) {
			/* served, but not what the upstream signed */
			snprintf(j->bad[i], sizeof(j->bad[i]), "%zu bytes, "
			         "SHA-256 does not match the manifest", s.len);
			j->verify_failed++;
			rc = -EBADMSG;
		} else if (!rc && s.too_big) {
			rc = -EFBIG;
		}
		if (!rc && rename(tmp, dst) == 0) {
			j->got = (int)i;
			continue;
		}
		unlink(tmp);
	}
}

/* Drop least recently used files until NEED more bytes fit; never KEEP. */
static void evict(struct peer *p, uint64_t need, size_t keep)
{
	while (p->cache_bytes + need > p->cache_max) {
		size_t old = p->mf.n;
		char path[700];

		for (size_t i = 0; i < p->mf.n; i++)
			if (p->files[i].held && i != keep &&
			    (old == p->mf.n ||
			     p->files[i].last_use < p->files[old].last_use))
				old = i;
		if (old == p->mf.n)
			return;
		snprintf(path, sizeof(path), "%s/%s", p->cache_dir,
		         p->mf.e[old].hex);
		unlink(path);
		for (size_t k = 0; k < p->mf.n; k++)
			if (p->files[k].held &&
			    !strcmp(p->mf.e[k].hex, p->mf.e[old].hex)) {
				p->files[k].held = false;
				p->files[k].next_try = pxh_now(p->h) + 3600;
			}
		p->cache_bytes -= p->cache_bytes >= p->mf.e[old].size
		                  ? p->mf.e[old].size : p->cache_bytes;
		p->c.evicted++;
	}
}

static void fetch_done(void *ud)
{
	struct fetch_job *j = ud;
	struct peer *p = j->p;
	double now = pxh_now(p->h);

	p->fetching--;
	p->c.verify_failed += j->verify_failed;
	for (size_t i = 0; i < j->n_url; i++)
		if (strstr(j->bad[i], "SHA-256"))
			peer_event(p, PXH_LOG_WARNING, "tampered", NULL,
			           "%s from %s rejected: %s", j->e.path, j->src[i],
			           j->bad[i]);
	if (j->serial != p->mf.serial || j->idx >= p->mf.n ||
	    strcmp(p->mf.e[j->idx].hex, j->e.hex)) {
		free(j); /* the manifest changed meanwhile; the scan decides */
		return;
	}
	struct peer_file *f = &p->files[j->idx];
	f->busy = false;
	if (j->got >= 0) {
		evict(p, j->e.size, j->idx);
		p->cache_bytes += j->e.size;
		for (size_t k = 0; k < p->mf.n; k++)
			if (!strcmp(p->mf.e[k].hex, j->e.hex)) {
				p->files[k].held = true;
				p->files[k].tries = 0;
			}
		f->last_use = now;
		p->c.fetch_ok++;
		peer_event(p, PXH_LOG_INFO, "fetched", NULL, "%s (%llu bytes) "
		           "from %s verified and cached", j->e.path,
		           (unsigned long long)j->e.size, j->src[j->got]);
	} else {
		/* 2, 4, 8, then every 10 s: a 404 costs a peer little */
		unsigned s = f->tries < 3 ? 2u << f->tries : 10;
		f->tries++;
		f->next_try = now + s;
		p->c.fetch_failed++;
		snprintf(p->last_error, sizeof(p->last_error), "%.120s: %.120s",
		         j->e.path, j->n_url ? j->bad[j->n_url - 1]
		                             : "no peer and no upstream to ask");
		pxh_log(p->h, f->tries == 1 ? PXH_LOG_NOTICE : PXH_LOG_DEBUG, NULL,
		        "%s: no source had it (%zu asked; last: %s); "
		        "again in %u s", j->e.path, j->n_url,
		        j->n_url ? j->bad[j->n_url - 1] : "-", s);
	}
	free(j);
}

static int by_held(const void *a, const void *b)
{
	const struct peer_member *x = *(const struct peer_member *const *)a;
	const struct peer_member *y = *(const struct peer_member *const *)b;

	return (y->held > x->held) - (y->held < x->held);
}

static void fetch_start(struct peer *p, size_t idx)
{
	struct fetch_job *j = calloc(1, sizeof(*j));
	const struct peer_member *src[PEER_MAX_MEMBERS];
	const struct peer_mf_entry *e = &p->mf.e[idx];
	size_t n = 0;
	char path[600];

	if (!j)
		return;
	j->p = p;
	j->serial = p->mf.serial;
	j->idx = idx;
	j->e = *e;
	j->timeout_ms = p->fetch_timeout_ms;
	snprintf(j->cache_dir, sizeof(j->cache_dir), "%s", p->cache_dir);
	url_path(e->path, path, sizeof(path));
	/* peers with the same manifest first, those holding more first */
	for (size_t i = 0; i < p->n; i++)
		if (p->m[i].alive && p->m[i].http_port && p->m[i].held &&
		    p->m[i].serial == p->mf.serial)
			src[n++] = &p->m[i];
	qsort(src, n, sizeof(*src), by_held);
	for (size_t i = 0; i < n && j->n_url < PEER_MAX_SOURCES - 1; i++) {
		snprintf(j->url[j->n_url], sizeof(j->url[0]),
		         "http://%s:%u/tftp/%.600s", inet_ntoa(src[i]->addr),
		         src[i]->http_port, path);
		snprintf(j->src[j->n_url], sizeof(j->src[0]), "peer %s",
		         src[i]->name);
		j->n_url++;
	}
	if (p->upstream[0]) {
		snprintf(j->url[j->n_url], sizeof(j->url[0]), "%.250s/tftp/%.400s",
		         p->upstream, path);
		snprintf(j->src[j->n_url], sizeof(j->src[0]), "upstream");
		j->n_url++;
	}
	p->files[idx].busy = true;
	p->fetching++;
	if (!j->n_url || pxh_work_submit(p->h, fetch_work, fetch_done, j)) {
		/* nobody to ask (yet): count it as a failed round */
		p->fetching--;
		p->files[idx].busy = false;
		p->files[idx].next_try = pxh_now(p->h) + 2;
		free(j);
	}
}

/* ---- loop-side entry points ------------------------------------------------------------ */
void peer_content_tick(struct peer *p)
{
	double now = pxh_now(p->h);

	if (!p->pub)
		return;
	if (p->manifest_src[0] && !p->mf_busy && now >= p->mf_next) {
		p->mf_next = now + p->manifest_interval;
		mf_fetch(p, p->manifest_src, p->manifest_src);
	}
	if (p->scanning || !p->files)
		return;
	for (size_t i = 0; i < p->mf.n && p->fetching < p->max_fetches; i++) {
		struct peer_file *f = &p->files[i];

		if (f->held || f->busy || f->next_try > now ||
		    p->mf.e[i].size > p->cache_max)
			continue;
		/* one fetch per content, when several paths share it */
		bool dup = false;
		for (size_t k = 0; k < p->mf.n && !dup; k++)
			dup = k != i && p->files[k].busy &&
			      !strcmp(p->mf.e[k].hex, p->mf.e[i].hex);
		if (!dup)
			fetch_start(p, i);
	}
}

void peer_content_heard(struct peer *p, const struct peer_member *m)
{
	char url[200], from[100];

	if (!p->pub || !m->http_port)
		return;
	if (m->serial > p->mf.serial && !p->mf_busy) {
		snprintf(url, sizeof(url), "http://%s:%u/plugins/peer/manifest",
		         inet_ntoa(m->addr), m->http_port);
		snprintf(from, sizeof(from), "peer %s", m->name);
		mf_fetch(p, url, from);
	}
	/* someone new to ask: failed files may be tried again at once */
	if (m->serial == p->mf.serial && m->held)
		for (size_t i = 0; p->files && i < p->mf.n; i++)
			if (!p->files[i].held && p->files[i].tries)
				p->files[i].next_try = 0;
}

struct mapping {
	void *addr;
	size_t len;
};

static void unmap(void *arg)
{
	struct mapping *m = arg;

	if (m->len)
		munmap(m->addr, m->len);
	free(m);
}

int peer_resolve(void *ud, const pxh_client *c, const char *path,
                 pxh_file *out)
{
	struct peer *p = ud;
	long i;
	struct peer_file *f;
	struct mapping *m;
	char file[700];
	struct stat st;
	int fd;

	if (!p->pub || !p->files || (i = peer_manifest_find(&p->mf, path)) < 0)
		return -ENOENT;
	f = &p->files[i];
	if (!f->held) {
		f->next_try = 0; /* asked for: fetch it now */
		peer_content_tick(p);
		if (f->bad_seed) {
			p->c.refused++;
			pxh_log(p->h, f->warned ? PXH_LOG_DEBUG : PXH_LOG_WARNING, c,
			        "%s: the local copy "
			        "differs from the manifest and no verified one is "
			        "here yet: refused", path);
			f->warned = true;
			return -EACCES;
		}
		return -ENOENT;
	}
	snprintf(file, sizeof(file), "%s/%s", p->cache_dir, p->mf.e[i].hex);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || (uint64_t)st.st_size != p->mf.e[i].size ||
	    !(m = calloc(1, sizeof(*m)))) {
		if (fd >= 0)
			close(fd);
		f->held = false; /* gone from under us: fetch again */
		return -ENOENT;
	}
	m->len = (size_t)st.st_size;
	m->addr = m->len ? mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0)
	                 : (void *)"";
	close(fd);
	if (m->addr == MAP_FAILED) {
		free(m);
		return -EIO;
	}
	f->last_use = pxh_now(p->h);
	p->c.served++;
	out->data = m->addr;
	out->len = m->len;
	out->free_fn = unmap;
	out->free_arg = m;
	return 0;
}

int peer_content_start(struct peer *p, char *why, size_t why_len)
{
	const char *pk = p->cf->public_key;
	static bool curl_ready;
	uint8_t *d = NULL, *s = NULL;
	size_t dl = 0, sl = 0;
	char path[700];
	int rc;

	if (!pk || !*pk) {
		pxh_log(p->h, PXH_LOG_INFO, NULL, "no public_key: election "
		        "only, no file sharing");
		return 0;
	}
	if ((rc = peer_pubkey_load(pk, &p->pub, why, why_len)))
		return rc;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
			snprintf(why, why_len, "libcurl: cannot initialise");
			return -EIO;
		}
		curl_ready = true;
	}
	if (mkdir(p->cache_dir, 0755) && errno != EEXIST) {
		rc = -errno;
		snprintf(why, why_len, "%s: %s", p->cache_dir, strerror(errno));
		return rc;
	}
	files_reset(p);
	/* the manifest kept from the last run, verified again */
	snprintf(path, sizeof(path), "%s/manifest", p->state_dir);
	if (!read_small(path, PEER_MF_MAX_BYTES, &d, &dl)) {
		strcat(path, ".sig");
		if (!read_small(path, PEER_SIG_MAX, &s, &sl) &&
		    adopt(p, d, dl, s, sl, "state dir", true) == 0)
			d = s = NULL;
	}
	free(d);
	free(s);
	return 0;
}

void peer_content_stop(struct peer *p)
{
	peer_pubkey_free(p->pub);
	p->pub = NULL;
	peer_manifest_free(&p->mf);
	free(p->mf_raw);
	free(p->mf_sig);
	free(p->files);
	p->mf_raw = p->mf_sig = NULL;
	p->files = NULL;
}
