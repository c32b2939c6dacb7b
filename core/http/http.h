/* HTTP module internals: request parsing, routing, connections, TLS. */
#ifndef PXEHUB_HTTP_H
#define PXEHUB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <http_parser.h>
#include <pthread.h>

#include "pxehub/plugin.h"
#include "addr_limit.h"
#include "files.h"
#include "server.h"
#include "ipxe_script.h"

/* Copy S into D of size N, cut to fit (names, addresses, paths). */
static inline void pxh_http_copy(char *d, size_t n, const char *s)
{
	size_t l = strlen(s);

	if (n == 0)
		return;
	if (l >= n)
		l = n - 1;
	memcpy(d, s, l);
	d[l] = '\0';
}

/* ---- limits (compile-time ceilings; config picks values below them) ---- */
#define PXH_HTTP_MAX_URL 4096       /* longer: 414 */
#define PXH_HTTP_MAX_HEADERS 64     /* more header lines: 431 */
#define PXH_HTTP_HDR_CEILING 65536  /* [http] max_header_size upper bound */
#define PXH_HTTP_BODY_DEFAULT 16384 /* request bodies outside the API */
#define PXH_HTTP_BODY_PLUGIN (1 << 20)

/* ---- one parsed request (no I/O; shared with the fuzz target) ---------- */
struct pxh_http_header {
	uint32_t name, value; /* offsets into hbuf, NUL terminated */
};

enum pxh_http_parse_state {
	PXH_RQ_IDLE = 0,   /* nothing of a request seen yet */
	PXH_RQ_HEADERS,    /* request line / headers arriving */
	PXH_RQ_BODY,       /* headers complete, body arriving */
	PXH_RQ_COMPLETE,   /* a whole request: parser paused */
	PXH_RQ_ERROR,      /* bad request: answer ERR_STATUS and close */
};

struct pxh_http_req {
	http_parser parser;
	enum pxh_http_parse_state state;
	int err_status; /* 400, 413, 414, 431, 501, 505 when PXH_RQ_ERROR */
	const char *err_why;
	size_t max_header; /* bytes of request line + headers */
	size_t max_body;   /* set per route when headers complete */
	size_t report_max; /* [http] report_max_size */
	size_t hdr_bytes;
	/* request line */
	unsigned method; /* enum http_method */
	char url[PXH_HTTP_MAX_URL + 1];
	size_t url_len;
	/* headers, "name\0value\0" packed */
	char *hbuf;
	size_t hbuf_len, hbuf_cap;
	struct pxh_http_header hdr[PXH_HTTP_MAX_HEADERS];
	unsigned n_hdr;
	bool in_value; /* last callback was a header value */
	/* body */
	char *body;
	size_t body_len, body_cap;
	bool keep_alive;
	bool expect_continue;
	unsigned http_minor, http_major;
	/* decoded from url when headers complete */
	char path[PXH_HTTP_MAX_URL + 1]; /* percent-decoded, starts with '/' */
	const char *query;               /* raw, into url; "" when none */
};

void pxh_http_req_init(struct pxh_http_req *rq, size_t max_header);
void pxh_http_req_free(struct pxh_http_req *rq);
/* Forget the last request and get ready for the next on this connection. */
void pxh_http_req_next(struct pxh_http_req *rq);
/* Feed bytes; returns how many were consumed.  Stops after one complete
 * request (state PXH_RQ_COMPLETE) or at an error (PXH_RQ_ERROR). */
size_t pxh_http_req_feed(struct pxh_http_req *rq, const char *p, size_t len);
/* Header value by case-insensitive name, or NULL. */
const char *pxh_http_req_header(const struct pxh_http_req *rq,
                                const char *name);
/* Body limit for a path (called when headers are complete). */
size_t pxh_http_body_limit(const char *path, unsigned method,
                           size_t report_max);

/* ---- routing (pure) ---------------------------------------------------- */
enum pxh_http_route {
	PXH_ROUTE_NONE = 0,
	PXH_ROUTE_INDEX,   /* / */
	PXH_ROUTE_BOOT,    /* /boot.ipxe */
	PXH_ROUTE_FILES,   /* /files/PATH */
	PXH_ROUTE_TFTP,    /* /tftp/PATH */
	PXH_ROUTE_PLUGIN,  /* /plugins/NAME/... */
	PXH_ROUTE_STATUS,  /* /api/v1/status */
	PXH_ROUTE_CLIENTS, /* /api/v1/clients */
	PXH_ROUTE_REPORT,  /* /api/v1/report */
	PXH_ROUTE_METRICS, /* /metrics */
	PXH_ROUTE_CLIENT,  /* /api/v1/clients/MAC: one machine's story */
	PXH_ROUTE_NOW,     /* /api/v1/now: machines booting now */
	PXH_ROUTE_SERIES,  /* /api/v1/series: the last hour of counters */
	PXH_ROUTE_EVENTS,  /* /api/v1/events: live event stream */
	PXH_ROUTE_ASSET,   /* /console.js, /console.css */
	PXH_ROUTE_LOGIN,   /* POST /login, /logout: the console's cookie */
	PXH_ROUTE_GRUB,    /* /boot.grub, PREFIX/grub.cfg: GRUB's two stages */
	PXH_ROUTE__MAX
};

struct pxh_http_match {
	enum pxh_http_route route;
	int status;       /* 0 when routed; 404/405 otherwise */
	const char *rest; /* PATH of /files/, /tftp/; "/..." of a plugin; MAC
	                   * of /api/v1/clients/; the asset's name */
	char plugin[64];  /* NAME of /plugins/NAME/ */
};

/* Percent-decode the path of URL into OUT (NUL terminated); sets *QUERY to
 * the raw query ("" if none).  Refuses %00, bad escapes and non-origin
 * forms: returns 0 or -EINVAL. */
int pxh_http_split_url(const char *url, char *out, size_t len,
                       const char **query);
/* Route a decoded path and method; fills M. */
void pxh_http_route_match(const char *path, unsigned method,
                          struct pxh_http_match *m);
const char *pxh_http_route_name(enum pxh_http_route r);
/* Form/query value of KEY (application/x-www-form-urlencoded), decoded into
 * OUT.  Returns the decoded length, or -1 when absent. */
int pxh_http_form_get(const char *form, size_t len, const char *key, char *out,
                      size_t out_len);
/* Fill the iPXE facts of C from FORM (query string or POST body).
 * Returns the number of facts found; MAC is normalised or left empty. */
int pxh_http_facts(const char *form, size_t len, pxh_client *c);
/* Normalise a MAC ("00-11-22-AA-BB-CC", "001122aabbcc", "0:1:2:a:b:c")
 * into "00:11:22:aa:bb:cc".  Returns 0 or -EINVAL. */
int pxh_http_mac_normalise(const char *in, char out[18]);


/* ---- ranges and validators (pure) -------------------------------------- */
struct pxh_http_range {
	uint64_t off, len; /* what to send */
	int status;        /* 200, 206, 304, 412 or 416 */
};
/* Decide 200/206/304/416 for a GET/HEAD of an entity SIZE bytes, ETAG and
 * MTIME, given the request's conditional and Range headers (may be NULL). */
void pxh_http_eval_range(uint64_t size, const char *etag, time_t mtime,
                         const char *if_none_match, const char *if_mod_since,
                         const char *range, const char *if_range,
                         struct pxh_http_range *out);
/* Strong validator of a file: "\"SIZE-MTIME\"" in hex. */
void pxh_http_etag(uint64_t size, time_t mtime, char *out, size_t len);
/* IMF-fixdate (RFC 9110) of T into OUT (at least 30 bytes). */
void pxh_http_date(time_t t, char *out, size_t len);
/* Parse an IMF-fixdate; returns (time_t)-1 when malformed. */
time_t pxh_http_parse_date(const char *s);
const char *pxh_http_reason(int status);

/* ---- settings read from [http] (refreshed on start and reload) -------- */
struct pxh_http_settings {
	char *root;      /* [http] root */
	char *tftp_root; /* [tftp] root */
	char *api_token;
	bool require_auth;
	bool auth_configured; /* a token or a client CA exists */
	bool public_facts;    /* [http] public_facts: anonymous callers see them */
	bool status_page;
	size_t max_connections;
	size_t max_per_client; /* connections per client address, 0 = any */
	size_t max_streams; /* [http] max_event_streams */
	double stuck_after; /* [http] stuck_after: the console's Now view */
	size_t max_header;
	size_t report_max;
	double report_rate; /* reports per second per source */
	double header_timeout, idle_timeout, send_timeout;
	double body_timeout; /* a request body, from its first byte to its last */
	char *server_name; /* Server header */
	unsigned file_flags;
};

/* The one rule for client facts (serial, asset tag, UUID, SMBIOS, vendor
 * class, config paths) in what HTTP serves: hidden from a caller without
 * the token or a client certificate unless [http] public_facts = yes.
 * Every route that shows clients (the status page, the API, event streams) asks this. */
bool pxh_http_hide_facts(const struct pxh_http_settings *set,
                         bool authenticated);
/* Routes that need the token or a client certificate from this caller
 * ([http] require_auth applies to every route but the boot path:
 * boot.ipxe, files and tftp). */
bool pxh_http_needs_auth(const struct pxh_http_settings *set,
                         bool authenticated);

struct pxh_http_ctx;
/* [access] for the TCP peer of X (pxh_access_peer_client: its address, and
 * MAC/arch only as the DHCP phase knows them), PROTO "files" or NULL
 * (/boot.ipxe); a refusal is counted (pxehub_http_rejected_total
 * {reason="access"}) and logged as WHAT. */
bool pxh_http_access_ok(struct pxh_http_ctx *x, const char *proto,
                        const char *what);

/* ---- TLS (http_tls.c) -------------------------------------------------- */
struct pxh_http_tls;
/* Load (or create) certificate and key as root.  Returns 0 or -errno with
 * the reason logged. */
int pxh_http_tls_open(const struct pxh_conf *conf, struct pxh_http_tls **out);
/* Drops the caller's reference: the credentials go with the last session
 * that uses them, so a reload can swap them under open connections. */
void pxh_http_tls_free(struct pxh_http_tls *t);
/* Another reference to T (a worker loop's); T may be NULL. */
struct pxh_http_tls *pxh_http_tls_ref(struct pxh_http_tls *t);
/* New server session on FD, holding a reference to T; returns NULL on
 * failure.  End it with pxh_http_tls_session_end. */
void *pxh_http_tls_session(struct pxh_http_tls *t, int fd);
void pxh_http_tls_session_end(void *session);
/* After the handshake: true when a client certificate was presented and
 * verified against client_ca. */
bool pxh_http_tls_peer_ok(void *session);
/* After the handshake: the kernel encrypts what is sent (kTLS: GnuTLS
 * built with it, enabled in its config, the kernel's tls module). */
bool pxh_http_tls_ktls_send(void *session);
/* COUNT bytes of FD from *OFF through a kTLS session (sendfile); returns
 * bytes sent (*OFF advanced), -EAGAIN, or -EPIPE. */
ssize_t pxh_http_tls_send_file(void *session, int fd, off_t *off, size_t count);
/* Whether this kernel can do TLS (the "tls" TCP ULP), logged once with
 * the reason when not; called as root, so a module can be loaded. */
bool pxh_http_ktls_probe(void);

/* Create a self-signed RSA certificate for FQDN with SANS (DNS names or
 * textual IPv4/IPv6 addresses) into CERT_PATH and KEY_PATH; writes the
 * SHA-256 fingerprint (hex with colons) into FPR. */
int pxh_http_make_selfsigned(const char *fqdn, const char *const *sans,
                             size_t n_sans, unsigned bits, unsigned days,
                             const char *cert_path, const char *key_path,
                             char *fpr, size_t fpr_len);

/* ---- the module -------------------------------------------------------- */
struct pxh_http_conn;
struct pxh_http_resp;

/* The answer to one request, built by a handler. */
struct pxh_http_resp {
	int status;
	const char *ctype;
	char ctype_buf[128]; /* ctype may point here */
	char extra[512]; /* further header lines, each ending "\r\n" */
	size_t extra_len;
	/* body: memory (owned) or a file */
	char *body;
	size_t body_len;
	struct pxh_open_file file;
	bool has_file;
	uint64_t off, len; /* file range to send */
	bool close;        /* Connection: close after this one */
	bool stream;       /* an event stream: no length, the body follows */
};

/* An empty answer (no body, no file).  The buffers are not cleared: the
 * struct is over a kilobyte and this runs for every request. */
static inline void pxh_http_resp_init(struct pxh_http_resp *rs)
{
	rs->status = 0;
	rs->ctype = NULL;
	rs->ctype_buf[0] = '\0';
	rs->extra[0] = '\0';
	rs->extra_len = 0;
	rs->body = NULL;
	rs->body_len = 0;
	rs->file.fd = -1;
	rs->file.mem = NULL;
	rs->has_file = false;
	rs->off = rs->len = 0;
	rs->close = false;
	rs->stream = false;
}

void pxh_http_resp_header(struct pxh_http_resp *rs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A header LINE (ending "\r\n") as it is, without printf. */
void pxh_http_resp_line(struct pxh_http_resp *rs, const char *line);
/* Plain text body (copied), with status. */
void pxh_http_resp_text(struct pxh_http_resp *rs, int status,
                        const char *ctype, const char *text, size_t len);
/* Take ownership of malloc'd TEXT. */
void pxh_http_resp_take(struct pxh_http_resp *rs, int status,
                        const char *ctype, char *text, size_t len);
void pxh_http_resp_error(struct pxh_http_resp *rs, int status,
                         const char *why);

/* What a handler sees of the connection. */
struct pxh_http_ctx {
	struct pxh_server *srv;
	struct pxh_http_conn *conn;
	const struct pxh_http_req *rq;
	const struct pxh_http_match *m;
	const struct pxh_http_settings *set;
	char peer[64];  /* client address */
	char local[64]; /* our address on that connection */
	unsigned local_port;
	bool tls;
	bool authenticated;
	bool hide_facts;
};

/* Handlers: fill RS and return 0, or return 1 when the answer comes later
 * through pxh_http_conn_respond(). */
int pxh_http_handle(struct pxh_http_ctx *x, struct pxh_http_resp *rs);
int pxh_http_handle_boot(struct pxh_http_ctx *x, struct pxh_http_resp *rs);
/* /boot.grub (stage 2, or stage 1 without facts) and PREFIX/grub.cfg. */
int pxh_http_handle_grub(struct pxh_http_ctx *x, struct pxh_http_resp *rs);
int pxh_http_handle_file(struct pxh_http_ctx *x, struct pxh_http_resp *rs);
int pxh_http_handle_api(struct pxh_http_ctx *x, struct pxh_http_resp *rs);
int pxh_http_handle_plugin(struct pxh_http_ctx *x, struct pxh_http_resp *rs);
/* Finish a deferred request (loop thread).  RS is moved from. */
void pxh_http_conn_respond(struct pxh_http_conn *c, struct pxh_http_resp *rs);
/* The request being answered on C (valid until it responds). */
const struct pxh_http_req *pxh_http_conn_req(struct pxh_http_conn *c);

/* Counters of the module (registered at start). */
struct pxh_http_counters {
	uint64_t *requests[PXH_ROUTE__MAX];
	uint64_t *status[6]; /* 1xx..5xx */
	uint64_t *bytes;
	uint64_t *conns;
	uint64_t *rejected_cap, *timeouts, *bad_requests, *tls_failures;
	uint64_t *rejected_per_client;
	uint64_t *reports, *reports_limited;
	uint64_t *refused_access; /* [access] refused the caller */
	uint64_t *scripts, *downloads;
};
struct pxh_http_counters *pxh_http_ctrs(struct pxh_server *s);
const struct pxh_http_settings *pxh_http_settings(struct pxh_server *s);

/* Read [http]/[tftp] settings from CONF into SET (owned strings). */
void pxh_http_settings_load(const struct pxh_conf *conf,
                            struct pxh_http_settings *set);
void pxh_http_settings_free(struct pxh_http_settings *set);

/* Constant-time token check of an "Authorization" header value. */
bool pxh_http_bearer_ok(const char *authz, const char *token);

/* A POST /api/v1/report body (JSON) into EV and its client WHO (kind
 * report, MAC or UUID, status as action, step as file, message, progress
 * as bytes; the caller sets the address).  Returns 0, or the HTTP status
 * to answer (400 not a JSON object, 422 a member missing or invalid) with
 * WHY. */
int pxh_http_report_parse(const char *body, size_t len, pxh_event *ev,
                          pxh_client *who, char *why, size_t why_len);

/* Per-source rate limit for reports: true when allowed. */
bool pxh_http_rate_ok(const char *peer, double now, double rate);

/* ---- module state (http_server.c, http_conn.c, http_workers.c) -------- */
/* [server] workers > 1 binds every address and port once per worker
 * (SO_REUSEPORT): up to 16 workers x 2 ports x 16 addresses */
#define PXH_HTTP_MAX_LISTEN 512
#define PXH_HTTP_MAX_WORKERS 16

/* Counters the worker loops and the main loop both bump (relaxed atomics:
 * exact sums, no order needed; counters.c reads them the same way). */
#define PXH_HTTP_ADD(p, n) __atomic_fetch_add((p), (n), __ATOMIC_RELAXED)

struct pxh_http_loop;

struct pxh_http_listener {
	int fd;
	bool tls;
	char addr[64];
	void *watcher; /* ev_io, allocated in start */
	struct pxh_http *h;
	struct pxh_http_loop *lp; /* the loop that accepts on it */
};

/* A loop that serves connections: the main loop (index 0: DHCP, TFTP,
 * decisions, plugins, and every HTTP handler), and with [server] workers
 * > 1 one worker loop per thread (index 1..N: accept, TLS, reads, parsing,
 * sending).  A connection belongs to one loop at a time; it crosses to
 * the main loop when a request is complete and back to its worker when
 * the answer is ready (http_workers.c, docs/http.md). */
struct pxh_http_msg;
struct pxh_http_loop {
	struct pxh_http *h;
	struct ev_loop *loop;
	unsigned index;
	struct pxh_http_conn *conns; /* owned here; the list under LOCK */
	const struct pxh_http_settings *set; /* main: &h->set; workers: own */
	struct pxh_http_settings *own_set;
	struct pxh_http_tls *tls; /* workers: their reference */
	bool stopping;
	char date[40]; /* cached Date header value */
	double date_at;
	char head[160]; /* "Server: ...\r\nDate: ...\r\n" of that second */
	size_t head_len;
	uint64_t *requests; /* pxehub_http_worker_requests_total{worker=N} */
	struct pxh_http_bulk *bulk; /* the loop's bulk send queue (http_conn.c) */
	struct pxh_loop_stats *stats; /* a worker's turn lengths */
	/* the inbox: connections handed over, and messages */
	pthread_mutex_t lock;
	ev_async wake;
	pthread_t thread; /* workers */
	bool running;     /* the thread was started */
	struct pxh_http_conn *in_conns, *in_tail;
	struct pxh_http_msg *in_msgs, *in_msgs_tail;
};

struct pxh_http_menu_entry {
	char *id, *label, *script;
};

struct pxh_http {
	struct pxh_server *srv;
	struct pxh_http_settings set;
	struct pxh_http_listener lis[PXH_HTTP_MAX_LISTEN];
	size_t n_lis;
	struct pxh_http_tls *tls;
	struct pxh_http_tls *next_tls; /* a reload's, until it commits */
	size_t n_conns, n_busy; /* every loop's (atomics) */
	struct pxh_addr_count per_addr; /* open connections by client address */
	struct pxh_http_loop main_lp; /* the main loop's connections */
	struct pxh_http_loop *workers; /* [server] workers > 1: N of them */
	unsigned n_workers;
	struct pxh_http_counters ctr;
	bool started, stopping;
	void *grace_timer; /* ev_timer */
	struct pxh_http_menu_entry *menu;
	size_t n_menu;
	char *menu_text; /* the built-in menu's script, made on first use */
	size_t menu_text_len;
	struct pxh_http_streams *streams; /* /api/v1/events (http_events.c) */
};

/* The console (http_console.c): the page at /, its script and style, the
 * sign-in form.  A browser signs in with the API token once and keeps it in
 * a cookie, which authenticates GET and HEAD requests only. */
int pxh_http_handle_console(struct pxh_http_ctx *x, struct pxh_http_resp *rs);
bool pxh_http_cookie_ok(const struct pxh_http_req *rq, const char *token);

/* One event as Server-Sent Events text, "id: SEQ\ndata: {JSON}\n\n", into
 * BUF (cut to CAP - 1, NUL terminated); MAC is its machine; HIDE leaves
 * the UUID out.  Returns the length. */
size_t pxh_http_event_text(const pxh_event *ev, const char *mac, uint64_t seq,
                           bool hide, char *buf, size_t cap);
/* GET /api/v1/events: subscribe the connection (http_events.c). */
int pxh_http_handle_events(struct pxh_http_ctx *x, struct pxh_http_resp *rs);
void pxh_http_events_free(struct pxh_http *h);
/* After a reload: subscribers the new auth settings refuse are cut off,
 * the others see facts as the new settings say. */
void pxh_http_events_reload(struct pxh_http *h);

/* The bulk send queue of one event loop (http_conn.c): file bodies larger
 * than a slice go out from it, round-robin, at most a slice per connection
 * per turn and a time budget per turn, after the turn's other callbacks
 * (requests, scripts, API, TFTP, DHCP).  One per loop; freed at stop. */
struct pxh_http_bulk *pxh_http_bulk_new(struct ev_loop *loop);
void pxh_http_bulk_free(struct pxh_http_bulk *q);

static inline void pxh_http_loop_lock(struct pxh_http_loop *lp)
{
	pthread_mutex_lock(&lp->lock);
}

static inline void pxh_http_loop_unlock(struct pxh_http_loop *lp)
{
	pthread_mutex_unlock(&lp->lock);
}

/* Accept a new connection on listener L (its loop's thread). */
void pxh_http_conn_accept(struct pxh_http_loop *lp, struct pxh_http_listener *l);
/* Close every connection of LP now (stop) or only idle ones (grace). */
void pxh_http_loop_conns_close(struct pxh_http_loop *lp, bool idle_only);
/* The same on every loop (the workers' through their inboxes). */
void pxh_http_conns_close(struct pxh_http *h, bool idle_only);
/* A connection handed to LP (its thread): link it in and go on with it. */
void pxh_http_conn_arrive(struct pxh_http_loop *lp, struct pxh_http_conn *c);
/* A worker's event (download_end): emitted on the main loop. */
void pxh_http_emit(struct pxh_http_loop *lp, const pxh_event *ev);

/* ---- worker loops (http_workers.c) --------------------------------------- */
/* [server] workers as configured (0 = CPUs, at most PXH_HTTP_MAX_WORKERS). */
unsigned pxh_http_workers_wanted(const struct pxh_conf *conf);
/* Set up the main loop's record (always) and N worker records (N > 1). */
int pxh_http_loops_init(struct pxh_http *h, unsigned n);
/* Start the worker threads (after the listeners' watchers are set). */
int pxh_http_workers_start(struct pxh_http *h);
/* Hand C to loop TO (called by C's current loop, its last touch of C). */
void pxh_http_loop_send_conn(struct pxh_http_loop *to, struct pxh_http_conn *c);
/* LP's thread: go on with the connections handed to it (http_conn.c);
 * or close them (a stop). */
void pxh_http_loop_deliver(struct pxh_http_loop *lp);
void pxh_http_loop_inbox_close(struct pxh_http_loop *lp);
/* Reload: each worker gets the new settings and TLS credentials. */
void pxh_http_workers_reload(struct pxh_http *h);
/* Stop: workers close their listeners and idle connections (IDLE_ONLY)
 * or every connection. */
void pxh_http_workers_close(struct pxh_http *h, bool listeners, bool idle_only);
/* End the threads (after closing everything) and free the records. */
void pxh_http_loops_free(struct pxh_http *h);
/* Close LP's listeners (its thread). */
void pxh_http_loop_close_listeners(struct pxh_http_loop *lp);
/* Read the built-in menu's extra items from [boot] menu_dir. */
void pxh_http_menu_load(struct pxh_http *h, const struct pxh_conf *conf);
void pxh_http_menu_free(struct pxh_http *h);

/* Event streams (RS.STREAM): bytes queued on C and not yet sent; add
 * bytes (0 or -errno); send what is queued now (loop thread). */
size_t pxh_http_conn_queued(const struct pxh_http_conn *c);
int pxh_http_conn_stream_add(struct pxh_http_conn *c, const char *p, size_t n);
void pxh_http_conn_stream_flush(struct pxh_http_conn *c);
/* End the stream on C now (closes the connection). */
void pxh_http_conn_stream_end(struct pxh_http_conn *c);

/* Deferred work attached to a connection (a /boot.ipxe decision): FREE
 * runs when the connection goes away first. */
void pxh_http_conn_set_pending(struct pxh_http_conn *c, void *ud,
                               void (*cancel)(void *ud));

#endif /* PXEHUB_HTTP_H */
