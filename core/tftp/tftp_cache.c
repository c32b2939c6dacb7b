/* In-memory cache of whole hot files (boot loaders every client fetches),
 * validated against the file's inode, size and mtime on every open. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tftp_server.h"
#include "files.h"

struct tftp_cache_entry {
	struct tftp_cache_entry *next;
	char path[512];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	uint8_t *data;
	unsigned refs;
	uint64_t used; /* LRU stamp */
	bool stale;    /* replaced: freed when the last user puts it */
	bool orphan;   /* its cache is gone: nothing to account to */
};

/* Memory held: BYTES (the listed entries) plus STALE (entries replaced on
 * disk that transfers still send from); both count against CAP. */
struct tftp_cache {
	struct tftp_cache_entry *head;
	uint64_t bytes, stale, cap, file_max, clock;
};

struct tftp_cache *tftp_cache_new(void)
{
	return calloc(1, sizeof(struct tftp_cache));
}

static void entry_free(struct tftp_cache_entry *e)
{
	free(e->data);
	free(e);
}

/* Unlink E; free it now or when its last user is done. */
static void entry_drop(struct tftp_cache *c, struct tftp_cache_entry *e)
{
	struct tftp_cache_entry **pp;

	for (pp = &c->head; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	c->bytes -= (uint64_t)e->size;
	if (e->refs) {
		e->stale = true;
		c->stale += (uint64_t)e->size;
	} else {
		entry_free(e);
	}
}

/* Evict unused entries, least recently used first, until WANT more bytes
 * fit.  Entries a transfer sends from stay: dropping them frees nothing. */
static void trim(struct tftp_cache *c, uint64_t want)
{
	struct tftp_cache_entry *e, *lru;

	/* bounded: every round removes one entry or stops */
	while (c->bytes + c->stale + want > c->cap) {
		lru = NULL;
		for (e = c->head; e; e = e->next)
			if (!e->refs && (!lru || e->used < lru->used))
				lru = e;
		if (!lru)
			break;
		entry_drop(c, lru);
	}
}

void tftp_cache_limits(struct tftp_cache *c, uint64_t bytes, uint64_t file_max)
{
	c->cap = bytes;
	c->file_max = file_max;
	trim(c, 0);
}

void tftp_cache_free(struct tftp_cache *c)
{
	struct tftp_cache_entry *e, *n;

	if (!c)
		return;
	for (e = c->head; e; e = n) {
		n = e->next;
		if (e->refs)
			e->stale = e->orphan = true; /* a transfer still holds it */
		else
			entry_free(e);
	}
	free(c);
}

static bool same_file(const struct tftp_cache_entry *e, const struct stat *st)
{
	return e->dev == st->st_dev && e->ino == st->st_ino &&
	       e->size == st->st_size &&
	       e->mtime.tv_sec == st->st_mtim.tv_sec &&
	       e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int read_all(int fd, uint8_t *buf, size_t len)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = pread(fd, buf + off, len - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	return 0;
}

struct tftp_cache_entry *tftp_cache_get(struct tftp_cache *c,
                                        const struct pxh_open_file *f,
                                        bool *hit)
{
	struct tftp_cache_entry *e;
	struct stat st;

	*hit = false;
	if (!c || c->cap == 0 || f->fd < 0 || fstat(f->fd, &st) < 0 ||
	    !S_ISREG(st.st_mode) || (uint64_t)st.st_size > c->file_max ||
	    (uint64_t)st.st_size > c->cap)
		return NULL;
	for (e = c->head; e; e = e->next) {
		if (strcmp(e->path, f->path) != 0)
			continue;
		if (same_file(e, &st)) {
			e->refs++;
			e->used = ++c->clock;
			*hit = true;
			return e;
		}
		entry_drop(c, e); /* changed on disk */
		break;
	}
	/* room first: when transfers hold too much, this one reads the file */
	trim(c, (uint64_t)st.st_size);
	if (c->bytes + c->stale + (uint64_t)st.st_size > c->cap)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	snprintf(e->path, sizeof(e->path), "%s", f->path);
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtime = st.st_mtim;
	e->data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!e->data || read_all(f->fd, e->data, (size_t)st.st_size) < 0) {
		entry_free(e);
		return NULL;
	}
	/* the content must still be the file we stat'ed */
	if (fstat(f->fd, &st) < 0 || !same_file(e, &st)) {
		entry_free(e);
		return NULL;
	}
	e->refs = 1;
	e->used = ++c->clock;
	e->next = c->head;
	c->head = e;
	c->bytes += (uint64_t)st.st_size;
	return e;
}

const uint8_t *tftp_cache_data(const struct tftp_cache_entry *e)
{
	return e->data;
}

void tftp_cache_put(struct tftp_cache *c, struct tftp_cache_entry *e)
{
	if (!e)
		return;
	if (--e->refs == 0 && e->stale) {
		if (c && !e->orphan)
			c->stale -= (uint64_t)e->size;
		entry_free(e);
	}
}

uint64_t tftp_cache_used(const struct tftp_cache *c)
{
	return c ? c->bytes + c->stale : 0;
}
