/* Configuration Manager plugins: boot image content fetched once (libcurl with the network
 * access account, or copied from a local synced copy), SHA-256 checked,
 * kept in the plugin's state directory within a size bound (least
 * recently used evicted) and served with mmap through the file resolver. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "sccm_content.h"
#include "../curl/curl_fetch.h"

#define CT_MAX_FILES 64
#define CT_MAX_FETCHES 4 /* the three files of a boot, plus one */

enum { CT_NONE, CT_FETCHING, CT_READY, CT_FAILED };

struct ct_file {
	char name[128]; /* served name */
	char src[256];
	char hash[65];
	int state;
	unsigned long long size;
	double used, failed_at;
};

struct sccm_content {
	struct sccm_content_conf c;
	char *dir, *dp_url, *local_dir, *user, *password, *auth, *ca_file;
	pxh_host *h;
	struct ct_file files[CT_MAX_FILES];
	unsigned fetching;
	unsigned long long fetched, failed, hits;
};

/* one fetch on a pool thread */
struct fetch {
	struct sccm_content *ct;
	size_t idx;
	char name[128], src[256], hash[65];
	char path[512];
	int rc;
	unsigned long long size;
	char why[1024];
};

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static void disk_name(const struct sccm_content *ct, const char *name, char *out,
                      size_t len)
{
	size_t o = (size_t)snprintf(out, len, "%s/", ct->dir);

	for (; *name && o + 1 < len; name++)
		out[o++] = *name == '/' ? '_' : *name;
	out[o] = '\0';
}

struct sccm_content *sccm_content_new(const struct sccm_content_conf *conf, pxh_host *h,
                                  char *why, size_t why_len)
{
	struct sccm_content *ct = calloc(1, sizeof(*ct));

	if (!ct)
		return NULL;
	ct->c = *conf;
	ct->h = h;
	ct->dir = dup_or_empty(conf->dir);
	ct->dp_url = dup_or_empty(conf->dp_url);
	ct->local_dir = dup_or_empty(conf->local_dir);
	ct->user = dup_or_empty(conf->user);
	ct->password = dup_or_empty(conf->password);
	ct->auth = dup_or_empty(conf->auth);
	ct->ca_file = dup_or_empty(conf->ca_file);
	if (!ct->dir || !ct->dp_url || !ct->local_dir || !ct->user || !ct->password ||
	    !ct->auth || !ct->ca_file) {
		sccm_content_free(ct);
		return NULL;
	}
	if (mkdir(ct->dir, 0750) && errno != EEXIST) {
		snprintf(why, why_len, "%s: %s", ct->dir, strerror(errno));
		sccm_content_free(ct);
		return NULL;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return ct;
}

struct sccm_content *sccm_content_from_conf(pxh_host *h, char *why, size_t why_len)
{
	struct sccm_content_conf cc;
	char dir[512];

	memset(&cc, 0, sizeof(cc));
	snprintf(dir, sizeof(dir), "%s/content", pxh_host_state_dir(h));
	cc.dir = dir;
	const struct sccm_conf *cf = sccm_conf(h);

	cc.max_bytes = cf->cache_size_mb << 20;
	cc.dp_url = cf->dp_url;
	cc.local_dir = cf->content_dir;
	cc.user = cf->content_user;
	cc.password = cf->content_password;
	cc.auth = cf->content_auth;
	cc.ca_file = cf->content_ca_file;
	cc.verify_tls = cf->content_verify_tls;
	cc.timeout_s = (int)((cf->content_timeout_ms + 999) / 1000);
	cc.retry_s = 30;
	return sccm_content_new(&cc, h, why, why_len);
}

void sccm_content_free(struct sccm_content *ct)
{
	if (!ct)
		return;
	free(ct->dir);
	free(ct->dp_url);
	free(ct->local_dir);
	free(ct->user);
	if (ct->password)
		explicit_bzero(ct->password, strlen(ct->password));
	free(ct->password);
	free(ct->auth);
	free(ct->ca_file);
	free(ct);
}

static int sha256_file(int fd, char out[65], unsigned long long *size)
{
	gnutls_hash_hd_t hd;
	unsigned char buf[65536], dig[32];
	ssize_t n;

	*size = 0;
	if (gnutls_hash_init(&hd, GNUTLS_DIG_SHA256) < 0)
		return -EIO;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		gnutls_hash_deinit(hd, NULL);
		return -errno;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		gnutls_hash(hd, buf, (size_t)n);
		*size += (unsigned long long)n;
	}
	gnutls_hash_deinit(hd, dig);
	if (n < 0)
		return -errno;
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", dig[i]);
	return 0;
}

static long auth_bits(const char *a)
{
	if (!strcasecmp(a, "negotiate"))
		return (long)CURLAUTH_NEGOTIATE;
	if (!strcasecmp(a, "basic"))
		return (long)CURLAUTH_BASIC;
	if (!strcasecmp(a, "any"))
		return (long)CURLAUTH_ANY;
	return (long)CURLAUTH_NTLM;
}

/* The DP's credentials and TLS settings on the handle (curl_fetch). */
static void dp_options(void *ud, CURL *cu)
{
	const struct sccm_content *ct = ud;

	/* no file bigger than the whole cache lands on disk: announced sizes
	 * are refused up front, others stop there (curl_fetch counts) */
	curl_easy_setopt(cu, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ct->c.max_bytes);
	if (ct->user[0]) {
		curl_easy_setopt(cu, CURLOPT_HTTPAUTH, auth_bits(ct->auth));
		curl_easy_setopt(cu, CURLOPT_USERNAME, ct->user);
		curl_easy_setopt(cu, CURLOPT_PASSWORD, ct->password);
	}
	if (ct->ca_file[0])
		curl_easy_setopt(cu, CURLOPT_CAINFO, ct->ca_file);
	if (!ct->c.verify_tls) {
		curl_easy_setopt(cu, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(cu, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

static int fetch_http(struct fetch *f, int fd)
{
	struct sccm_content *ct = f->ct;
	char url[1024];
	struct curl_fetch cf = {
		.url = url, .timeout_ms = (long)ct->c.timeout_s * 1000,
		.connect_timeout_ms = 10000, .fd = fd, .max = ct->c.max_bytes,
		.setup = dp_options, .ud = ct,
	};
	int rc;

	snprintf(url, sizeof(url), "%s%s%s", ct->dp_url,
	         ct->dp_url[strlen(ct->dp_url) - 1] == '/' ? "" : "/", f->src);
	rc = curl_fetch_get(&cf);
	if (rc == -ENOMEM)
		return rc;
	if (rc == -EFBIG) {
		snprintf(f->why, sizeof(f->why), "GET %.400s: larger than the cache (%llu MiB): "
		         "raise cache_size_mb", url, (unsigned long long)ct->c.max_bytes >> 20);
		return -EFBIG;
	}
	if (rc) {
		snprintf(f->why, sizeof(f->why), "GET %.400s: %.200s%s", url,
		         cf.err[0] ? cf.err : curl_easy_strerror(cf.result),
		         cf.status == 401 ? " (credentials refused)" : "");
		return cf.status == 401 || cf.status == 403 ? -EACCES : -EIO;
	}
	return 0;
}

/* Where a local copy goes, and how much of it the cache can take. */
struct sink {
	int fd;
	unsigned long long written, max;
	bool over; /* stopped: more than MAX */
};

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n, off = 0;

	/* a file bigger than the whole cache stops here, not on a full disk */
	if (s->written + len > s->max) {
		s->over = true;
		return 0;
	}
	while (off < len) {
		ssize_t w = write(s->fd, p + off, len - off);
		if (w <= 0)
			return 0;
		off += (size_t)w;
	}
	s->written += len;
	return len;
}

static int fetch_local(struct fetch *f, int fd)
{
	char path[1024], buf[65536];
	struct sink sink = {fd, 0, f->ct->c.max_bytes, false};
	ssize_t n;
	int in;

	snprintf(path, sizeof(path), "%s/%s", f->ct->local_dir, f->src);
	in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0) {
		snprintf(f->why, sizeof(f->why), "%.400s: %.100s", path, strerror(errno));
		return -errno;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_cb(buf, 1, (size_t)n, &sink) != (size_t)n) {
			n = -1;
			break;
		}
	close(in);
	if (n < 0) {
		snprintf(f->why, sizeof(f->why), "copying %.400s: %.100s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

static void fetch_work(void *ud)
{
	struct fetch *f = ud;
	char tmp[560], got[65];
	int fd;

	disk_name(f->ct, f->name, f->path, sizeof(f->path));
	/* a copy from an earlier run counts when it still hashes right */
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		int ok = sha256_file(fd, got, &f->size) == 0 &&
		         (!f->hash[0] || !strcmp(got, f->hash));
		close(fd);
		if (ok) {
			f->rc = 0;
			return;
		}
		unlink(f->path);
	}
	snprintf(tmp, sizeof(tmp), "%s.part", f->path);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		f->rc = -errno;
		snprintf(f->why, sizeof(f->why), "%.560s: %.100s", tmp, strerror(errno));
		return;
	}
	f->rc = f->ct->local_dir[0] ? fetch_local(f, fd) : fetch_http(f, fd);
	if (!f->rc && (f->rc = sha256_file(fd, got, &f->size)) == 0 && f->hash[0] &&
	    strcmp(got, f->hash)) {
		snprintf(f->why, sizeof(f->why), "%.256s: SHA-256 %.64s, the site says %.64s",
		         f->src, got, f->hash);
		f->rc = -EBADMSG;
	}
	if (!f->rc && fsync(fd))
		f->rc = -errno;
	close(fd);
	if (!f->rc && rename(tmp, f->path))
		f->rc = -errno;
	if (f->rc)
		unlink(tmp);
	if (f->rc && !f->why[0])
		snprintf(f->why, sizeof(f->why), "%.256s: %.100s", f->src, strerror(-f->rc));
}

static unsigned long long cached_bytes(const struct sccm_content *ct)
{
	unsigned long long sum = 0;

	for (size_t i = 0; i < CT_MAX_FILES; i++)
		if (ct->files[i].state == CT_READY)
			sum += ct->files[i].size;
	return sum;
}

/* Least recently used out until the bound holds (KEEP stays). */
static void evict(struct sccm_content *ct, size_t keep)
{
	while (cached_bytes(ct) > ct->c.max_bytes) {
		size_t victim = CT_MAX_FILES;
		char path[512];
		for (size_t i = 0; i < CT_MAX_FILES; i++)
			if (i != keep && ct->files[i].state == CT_READY &&
			    (victim == CT_MAX_FILES || ct->files[i].used < ct->files[victim].used))
				victim = i;
		if (victim == CT_MAX_FILES)
			break;
		disk_name(ct, ct->files[victim].name, path, sizeof(path));
		unlink(path); /* clients still reading keep their mapping */
		pxh_log(ct->h, PXH_LOG_INFO, NULL, "%s: cache full, evicted %s",
		        pxh_host_plugin_name(ct->h), ct->files[victim].name);
		ct->files[victim].state = CT_NONE;
	}
}

static void fetch_done(void *ud)
{
	struct fetch *f = ud;
	struct sccm_content *ct = f->ct;
	struct ct_file *e = &ct->files[f->idx];

	ct->fetching--;
	if (!f->rc && f->size > ct->c.max_bytes) {
		snprintf(f->why, sizeof(f->why), "%.128s: %llu bytes, more than the cache holds",
		         f->name, f->size);
		unlink(f->path);
		f->rc = -EFBIG;
	}
	if (f->rc) {
		e->state = CT_FAILED;
		e->failed_at = pxh_now(ct->h);
		ct->failed++;
		pxh_log(ct->h, PXH_LOG_ERR, NULL, "%s: content %s: %s",
		        pxh_host_plugin_name(ct->h), f->name, f->why);
	} else {
		e->state = CT_READY;
		e->size = f->size;
		e->used = pxh_now(ct->h);
		ct->fetched++;
		pxh_log(ct->h, PXH_LOG_INFO, NULL, "%s: content %s cached (%llu bytes)",
		        pxh_host_plugin_name(ct->h), f->name, f->size);
		evict(ct, f->idx);
	}
	free(f);
}

static struct ct_file *find(struct sccm_content *ct, const char *name)
{
	for (size_t i = 0; i < CT_MAX_FILES; i++)
		if (ct->files[i].name[0] && !strcmp(ct->files[i].name, name))
			return &ct->files[i];
	return NULL;
}

int sccm_content_want(struct sccm_content *ct, const char *name, const char *src,
                    const char *hash)
{
	struct ct_file *e = find(ct, name);
	struct fetch *f;
	int rc;

	if (e && e->state == CT_READY && strcmp(e->hash, hash ? hash : ""))
		e->state = CT_NONE; /* the site has a new version */
	if (e && e->state == CT_READY)
		return 1;
	if (e && e->state == CT_FETCHING)
		return 0;
	if (e && e->state == CT_FAILED && pxh_now(ct->h) - e->failed_at < ct->c.retry_s)
		return -EIO;
	if (!ct->dp_url[0] && !ct->local_dir[0])
		return -ENOENT;
	if (ct->fetching >= CT_MAX_FETCHES)
		return -EAGAIN;
	if (!e) {
		for (size_t i = 0; i < CT_MAX_FILES && !e; i++)
			if (!ct->files[i].name[0] || ct->files[i].state == CT_NONE)
				e = &ct->files[i];
		if (!e)
			return -ENOSPC;
	}
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->src, sizeof(e->src), "%s", src);
	snprintf(e->hash, sizeof(e->hash), "%s", hash ? hash : "");
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->ct = ct;
	f->idx = (size_t)(e - ct->files);
	memcpy(f->name, e->name, sizeof(f->name));
	memcpy(f->src, e->src, sizeof(f->src));
	memcpy(f->hash, e->hash, sizeof(f->hash));
	rc = pxh_work_submit(ct->h, fetch_work, fetch_done, f);
	if (rc) {
		free(f);
		e->name[0] = '\0';
		return rc;
	}
	e->state = CT_FETCHING;
	ct->fetching++;
	return 0;
}

static void unmap(void *arg)
{
	struct pxh_file *f = arg;

	munmap((void *)f->data, f->len);
	free(f);
}

int sccm_content_open(struct sccm_content *ct, const char *name, pxh_file *out)
{
	struct ct_file *e = find(ct, name);
	char path[512];
	struct stat st;
	pxh_file *keep;
	void *p;
	int fd;

	if (!e || e->state != CT_READY)
		return -ENOENT;
	disk_name(ct, name, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || st.st_size == 0) {
		if (fd >= 0)
			close(fd);
		e->state = CT_NONE;
		return -ENOENT;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	keep = malloc(sizeof(*keep));
	if (p == MAP_FAILED || !keep) {
		if (p != MAP_FAILED)
			munmap(p, (size_t)st.st_size);
		free(keep);
		return -ENOMEM;
	}
	out->data = p;
	out->len = (size_t)st.st_size;
	out->content_type = "application/octet-stream";
	*keep = *out;
	out->free_fn = unmap;
	out->free_arg = keep;
	e->used = pxh_now(ct->h);
	ct->hits++;
	return 0;
}

void sccm_content_stats(struct sccm_content *ct, unsigned long long *bytes,
                      unsigned *files, unsigned long long *fetched,
                      unsigned long long *failed, unsigned long long *hits)
{
	*bytes = cached_bytes(ct);
	*files = 0;
	for (size_t i = 0; i < CT_MAX_FILES; i++)
		*files += ct->files[i].state == CT_READY;
	*fetched = ct->fetched;
	*failed = ct->failed;
	*hits = ct->hits;
}
