/* sccm_sql: the SQL Server connection pool (FreeTDS db-lib). */
#ifndef SS_DB_H
#define SS_DB_H

#include "sccm_sql.h"

struct ss_db_conf {
	char **servers; /* "host", "host:port", "host\\instance"; tried in order */
	size_t nservers;
	const char *user; /* "login" or "DOMAIN\\user" (NTLMv2) */
	const char *password;
	const char *database; /* "" = the login's default */
	int encrypt_require;
	int login_timeout_s, query_timeout_s;
	unsigned pool_max;
};

struct ss_db;

/* Loop thread.  Copies CONF.  NULL when out of memory. */
struct ss_db *ss_db_new(const struct ss_db_conf *conf, pxh_host *h);
/* Loop thread, once no work item uses the pool. */
void ss_db_free(struct ss_db *db);

/* Pool thread: run SQL on a pooled connection (opened on demand, trying
 * every server in order) and keep the first result set that has columns
 * in T.  Returns 0, -EBUSY (every connection in use), -ETIMEDOUT,
 * -ECONNREFUSED (no server reachable / login failed) or -EIO (the server
 * refused the statement), with WHY set. */
int ss_db_query(struct ss_db *db, const char *sql, struct ss_table *t,
                char *why, size_t why_len);

/* Figures for the report hook (any thread). */
void ss_db_stats(struct ss_db *db, unsigned *open, unsigned *busy,
                 unsigned long long *connects, unsigned long long *failures);

#endif
