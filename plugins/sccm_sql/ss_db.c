/* sccm_sql: SQL Server through FreeTDS db-lib.  A DBPROCESS belongs to one
 * pool thread at a time; the error and message handlers only record what
 * happened (thread-local), never exit, and cancel on timeouts. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sybfront.h>
#include <sybdb.h>

#include "ss_db.h"

#define SS_CELL_MAX 4096

struct ss_conn {
	DBPROCESS *proc;
	int server; /* index into servers */
	struct ss_conn *next;
};

struct ss_db {
	struct ss_db_conf c;
	pxh_host *h;
	pthread_mutex_t mu;
	struct ss_conn *idle;
	unsigned open, busy;
	unsigned long long connects, failures;
};

/* What db-lib reported on this thread during the current call. */
static __thread char tl_why[256];
static __thread int tl_timeout, tl_login_failed;

static int on_error(DBPROCESS *proc, int severity, int dberr, int oserr,
                    char *dberrstr, char *oserrstr)
{
	(void)proc;
	(void)severity;
	if (dberr == SYBETIME)
		tl_timeout = 1;
	if (!tl_why[0] || dberr == SYBETIME)
		snprintf(tl_why, sizeof(tl_why), "%s%s%s", dberrstr ? dberrstr : "db-lib error",
		         oserr && oserrstr ? ": " : "", oserr && oserrstr ? oserrstr : "");
	/* never INT_EXIT; INT_CANCEL makes the call fail, also on timeouts */
	return INT_CANCEL;
}

static int on_message(DBPROCESS *proc, DBINT msgno, int msgstate, int severity,
                      char *msgtext, char *srvname, char *procname, int line)
{
	(void)proc;
	(void)msgstate;
	(void)srvname;
	(void)line;
	if (severity <= 10)
		return 0; /* "changed database context" and friends */
	if (msgno == 18456 || msgno == 18452)
		tl_login_failed = 1;
	snprintf(tl_why, sizeof(tl_why), "SQL Server error %d%s%s: %s", (int)msgno,
	         procname && *procname ? " in " : "", procname ? procname : "",
	         msgtext ? msgtext : "");
	return 0;
}

/* db-lib's context is process-wide: set up by the first pool, torn down
 * (dbexit) by the last, so unloading the plugin leaves nothing behind.
 * Both run on the loop thread. */
static unsigned instances;

static int lib_init(void)
{
	if (instances++ > 0)
		return 0;
	if (dbinit() != SUCCEED) {
		instances--;
		return -EIO;
	}
	dberrhandle(on_error);
	dbmsghandle(on_message);
	return 0;
}

struct ss_db *ss_db_new(const struct ss_db_conf *conf, pxh_host *h)
{
	struct ss_db *db;

	if (lib_init())
		return NULL;
	db = calloc(1, sizeof(*db));
	if (!db) {
		if (--instances == 0)
			dbexit();
		return NULL;
	}
	db->c = *conf;
	db->h = h;
	pthread_mutex_init(&db->mu, NULL);
	/* process-wide in db-lib; set before any work item runs */
	dbsetlogintime(conf->login_timeout_s);
	dbsettime(conf->query_timeout_s);
	return db;
}

void ss_db_free(struct ss_db *db)
{
	if (!db)
		return;
	while (db->idle) {
		struct ss_conn *c = db->idle;
		db->idle = c->next;
		dbclose(c->proc);
		free(c);
	}
	pthread_mutex_destroy(&db->mu);
	free(db);
	if (--instances == 0)
		dbexit();
}

void ss_db_stats(struct ss_db *db, unsigned *open, unsigned *busy,
                 unsigned long long *connects, unsigned long long *failures)
{
	pthread_mutex_lock(&db->mu);
	*open = db->open;
	*busy = db->busy;
	*connects = db->connects;
	*failures = db->failures;
	pthread_mutex_unlock(&db->mu);
}

static int connect_one(struct ss_db *db, struct ss_conn *c, char *why, size_t len)
{
	LOGINREC *login = dblogin();
	int rc = -ECONNREFUSED, any_login_failed = 0;

	if (!login) {
		snprintf(why, len, "db-lib: no memory for a login");
		return -ENOMEM;
	}
	DBSETLUSER(login, db->c.user);
	DBSETLPWD(login, db->c.password);
	DBSETLAPP(login, "pxehub-sccm_sql");
	DBSETLVERSION(login, DBVERSION_74);
	if (strchr(db->c.user, '\\'))
		DBSETLNTLMV2(login, 1); /* DOMAIN\user: NTLMv2 instead of a SQL login */
	/* encryption: freetds.conf (see sccm_sql.c), db-lib has no call */
	if (db->c.database && *db->c.database)
		DBSETLDBNAME(login, db->c.database);
	why[0] = '\0';
	for (size_t i = 0; i < db->c.nservers; i++) {
		tl_why[0] = '\0';
		tl_timeout = tl_login_failed = 0;
		c->proc = dbopen(login, db->c.servers[i]);
		if (c->proc) {
			c->server = (int)i;
			pxh_log(db->h, PXH_LOG_INFO, NULL, "sccm_sql: connected to %s%s",
			        db->c.servers[i], db->c.encrypt_require ? " (TLS)" : "");
			rc = 0;
			break;
		}
		any_login_failed |= tl_login_failed;
		pxh_log(db->h, PXH_LOG_WARNING, NULL, "sccm_sql: %s: %s", db->c.servers[i],
		        tl_why[0] ? tl_why : "connection failed");
		snprintf(why, len, "%s: %s", db->c.servers[i],
		         tl_why[0] ? tl_why : "connection failed");
	}
	if (rc && any_login_failed)
		rc = -EACCES;
	dbloginfree(login);
	return rc;
}

static struct ss_conn *acquire(struct ss_db *db, char *why, size_t len, int *rc)
{
	struct ss_conn *c;

	pthread_mutex_lock(&db->mu);
	c = db->idle;
	if (c) {
		db->idle = c->next;
		db->busy++;
		pthread_mutex_unlock(&db->mu);
		return c;
	}
	if (db->open >= db->c.pool_max) {
		pthread_mutex_unlock(&db->mu);
		snprintf(why, len, "all %u connections busy", db->c.pool_max);
		*rc = -EBUSY;
		return NULL;
	}
	db->open++;
	db->busy++;
	db->connects++;
	pthread_mutex_unlock(&db->mu);
	c = calloc(1, sizeof(*c));
	*rc = c ? connect_one(db, c, why, len) : -ENOMEM;
	if (*rc) {
		free(c);
		pthread_mutex_lock(&db->mu);
		db->open--;
		db->busy--;
		db->failures++;
		pthread_mutex_unlock(&db->mu);
		return NULL;
	}
	return c;
}

static void release(struct ss_db *db, struct ss_conn *c, int broken)
{
	if (broken) {
		dbclose(c->proc);
		free(c);
	}
	pthread_mutex_lock(&db->mu);
	db->busy--;
	if (broken) {
		db->open--;
	} else {
		c->next = db->idle;
		db->idle = c;
	}
	pthread_mutex_unlock(&db->mu);
}

static int is_text(int type)
{
	switch (type) {
	case SYBCHAR:
	case SYBVARCHAR:
	case SYBTEXT:
	case SYBNTEXT:
	case SYBNVARCHAR:
		return 1;
	default:
		return 0;
	}
}

static int is_date(int type)
{
	return type == SYBDATETIME || type == SYBDATETIME4 || type == SYBDATETIMN ||
	       type == SYBMSDATETIME2 || type == SYBMSDATE;
}

/* One cell as text: NULL for SQL NULL; dates as "YYYY-MM-DD HH:MM:SS". */
static int cell(DBPROCESS *p, int col, char **out)
{
	int type = dbcoltype(p, col);
	BYTE *data = dbdata(p, col);
	DBINT len = dbdatlen(p, col);
	char buf[128];
	DBINT n;

	*out = NULL;
	if (!data)
		return 0;
	if (len < 0)
		return -EINVAL;
	if (is_text(type)) {
		size_t k = (size_t)len > SS_CELL_MAX ? SS_CELL_MAX : (size_t)len;
		*out = strndup((const char *)data, k);
		return *out ? 0 : -ENOMEM;
	}
	if (is_date(type)) {
		DBDATETIME dt;
		DBDATEREC rec;
		if (dbconvert(p, type, data, len, SYBDATETIME, (BYTE *)&dt, sizeof(dt)) < 0 ||
		    dbdatecrack(p, &rec, &dt) != SUCCEED)
			return -EINVAL;
		/* MSDBLIB: 1-based months, like the wire's calendar */
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d",
		         rec.year, rec.month, rec.day, rec.hour, rec.minute, rec.second);
	} else if (type == SYBBINARY || type == SYBVARBINARY || type == SYBIMAGE) {
		buf[0] = '\0'; /* nothing the plugin reads is binary */
	} else {
		n = dbconvert(p, type, data, len, SYBCHAR, (BYTE *)buf, sizeof(buf) - 1);
		if (n < 0)
			return -EINVAL;
		buf[n] = '\0';
		while (n > 0 && buf[n - 1] == ' ')
			buf[--n] = '\0';
	}
	*out = strdup(buf);
	return *out ? 0 : -ENOMEM;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* db-lib's timeout (dbsettime) bounds each wait for the server; rows that
 * trickle in would never trip it, so the whole statement is also held to
 * query_timeout here, between rows and result sets. */
static int past(struct ss_db *db, struct ss_conn *c, double end, char *why, size_t len)
{
	if (mono_s() <= end)
		return 0;
	snprintf(why, len, "%s: the statement ran longer than query_timeout (%d s)",
	         db->c.servers[c->server], db->c.query_timeout_s);
	return -ETIMEDOUT;
}

static int run(struct ss_db *db, struct ss_conn *c, const char *sql,
               struct ss_table *t, char *why, size_t len)
{
	DBPROCESS *p = c->proc;
	RETCODE r;
	int rc = 0;
	double end = mono_s() + db->c.query_timeout_s;

	tl_why[0] = '\0';
	tl_timeout = 0;
	if (dbcmd(p, sql) != SUCCEED || dbsqlexec(p) != SUCCEED) {
		snprintf(why, len, "%s: %s", db->c.servers[c->server],
		         tl_why[0] ? tl_why : "statement failed");
		return tl_timeout ? -ETIMEDOUT : -EIO;
	}
	while ((r = dbresults(p)) == SUCCEED) {
		int ncols = dbnumcols(p);

		if ((rc = past(db, c, end, why, len)))
			return rc;
		int keep = ncols > 0 && t->ncols == 0 && rc == 0;
		STATUS st;

		if (keep && (rc = ss_table_set_names(t, (size_t)ncols)) == 0)
			for (int i = 0; i < ncols && rc == 0; i++) {
				const char *nm = dbcolname(p, i + 1);
				t->names[i] = strdup(nm ? nm : "");
				if (!t->names[i])
					rc = -ENOMEM;
			}
		while ((st = dbnextrow(p)) != NO_MORE_ROWS) {
			if (past(db, c, end, why, len))
				return -ETIMEDOUT;
			if (st == FAIL) {
				snprintf(why, len, "%s: %s", db->c.servers[c->server],
				         tl_why[0] ? tl_why : "reading rows failed");
				return tl_timeout ? -ETIMEDOUT : -EIO;
			}
			if (!keep)
				continue;
			if (rc || (rc = ss_table_add_row(t)))
				break; /* too many rows, or no memory: the caller
				        * cancels the rest (dbcancel) */
			for (int i = 0; i < ncols && !rc; i++)
				rc = cell(p, i + 1, &t->cells[(t->nrows - 1) * t->ncols + (size_t)i]);
		}
		if (rc)
			break;
	}
	if (!rc && r == FAIL) {
		snprintf(why, len, "%s: %s", db->c.servers[c->server],
		         tl_why[0] ? tl_why : "statement failed");
		return tl_timeout ? -ETIMEDOUT : -EIO;
	}
	if (rc)
		snprintf(why, len, "result unreadable (%s)", strerror(-rc));
	return rc ? -EIO : 0;
}

int ss_db_query(struct ss_db *db, const char *sql, struct ss_table *t,
                char *why, size_t why_len)
{
	int rc = 0;

	/* a pooled connection may have died (failover, idle timeout): one
	 * retry on a fresh one */
	for (int attempt = 0; attempt < 2; attempt++) {
		struct ss_conn *c = acquire(db, why, why_len, &rc);
		int broken;

		if (!c)
			return rc;
		ss_table_free(t);
		rc = run(db, c, sql, t, why, why_len);
		broken = dbdead(c->proc) || rc == -ETIMEDOUT;
		/* results left unread (an error mid-batch, a row cap) would
		 * make FreeTDS refuse every later statement on this pooled
		 * connection: cancel them, or do not pool it again */
		if (rc && !broken && dbcancel(c->proc) != SUCCEED)
			broken = 1;
		release(db, c, broken);
		if (!(rc && broken && attempt == 0 && rc != -ETIMEDOUT))
			break;
	}
	if (rc)
		ss_table_free(t);
	return rc;
}
