/* Endpoint handlers: dispatch, static files, plugin routes, responses. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "access.h"
#include "files.h"
#include "http_module.h"
#include "log.h"
#include "plugins.h"
#include "server.h"

/* ---- response helpers ------------------------------------------------- */
void pxh_http_resp_header(struct pxh_http_resp *rs, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rs->extra + rs->extra_len,
	              sizeof(rs->extra) - rs->extra_len, fmt, ap);
	va_end(ap);
	/* a header that does not fit is dropped whole */
	if (n < 0 || (size_t)n >= sizeof(rs->extra) - rs->extra_len)
		rs->extra[rs->extra_len] = '\0';
	else
		rs->extra_len += (size_t)n;
}

void pxh_http_resp_line(struct pxh_http_resp *rs, const char *line)
{
	size_t n = strlen(line);

	/* a header that does not fit is dropped whole */
	if (n >= sizeof(rs->extra) - rs->extra_len)
		return;
	memcpy(rs->extra + rs->extra_len, line, n + 1);
	rs->extra_len += n;
}

void pxh_http_resp_take(struct pxh_http_resp *rs, int status,
                        const char *ctype, char *text, size_t len)
{
	free(rs->body);
	rs->status = status;
	rs->ctype = ctype;
	rs->body = text;
	rs->body_len = text ? len : 0;
}

void pxh_http_resp_text(struct pxh_http_resp *rs, int status,
                        const char *ctype, const char *text, size_t len)
{
	char *b = malloc(len + 1);

	if (!b) {
		pxh_http_resp_take(rs, 503, NULL, NULL, 0);
		return;
	}
	memcpy(b, text, len);
	b[len] = '\0';
	pxh_http_resp_take(rs, status, ctype, b, len);
}

void pxh_http_resp_error(struct pxh_http_resp *rs, int status,
                         const char *why)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "%d %s%s%s\n", status,
	                 pxh_http_reason(status), why ? ": " : "", why ? why : "");

	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	pxh_http_resp_text(rs, status, "text/plain; charset=utf-8", msg, (size_t)n);
	if (status == 405)
		pxh_http_resp_header(rs, "Allow: GET, HEAD, POST\r\n");
	if (status == 401)
		pxh_http_resp_header(rs, "WWW-Authenticate: Bearer realm=\"pxehub\"\r\n");
}

/* ---- static files: /files/ and /tftp/ ---------------------------------- */
static int errno_status(int rc)
{
	switch (rc) {
	case -ENOENT:
	case -ENOTDIR:
		return 404;
	case -ENAMETOOLONG:
		return 414;
	case -EACCES:
	case -EPERM:
	case -EINVAL:
	case -EISDIR:
	case -ELOOP:
		return 403;
	default:
		return 500;
	}
}

static void http_client(struct pxh_http_ctx *x, pxh_client *c)
{
	char mac[64];

	memset(c, 0, sizeof(*c));
	c->struct_size = sizeof(*c);
	c->phase = PXH_PHASE_HTTP;
	c->arch = PXH_ARCH_UNKNOWN;
	c->arch_raw = 0xffff;
	pxh_http_copy(c->ip, sizeof(c->ip), x->peer);
	pxh_http_copy(c->server_ip, sizeof(c->server_ip), x->local);
	/* scripts may tag file URLs with ?mac=${net0/mac} for resolvers */
	if (pxh_http_form_get(x->rq->query, strlen(x->rq->query), "mac", mac,
	                      sizeof(mac)) > 0 &&
	    pxh_http_mac_normalise(mac, c->mac) < 0)
		c->mac[0] = '\0';
}

bool pxh_http_access_ok(struct pxh_http_ctx *x, const char *proto,
                        const char *what)
{
	pxh_client a;
	char why[160];

	pxh_access_peer_client(x->srv, PXH_PHASE_HTTP, x->peer, &a);
	if (pxh_access_peer_allowed(x->srv, proto, &a, why, sizeof(why)))
		return true;
	(*pxh_http_ctrs(x->srv)->refused_access)++;
	pxh_access_log_refusal(x->srv, &a, what, why);
	return false;
}

int pxh_http_handle_file(struct pxh_http_ctx *x, struct pxh_http_resp *rs)
{
	const struct pxh_http_req *rq = x->rq;
	const char *root = x->m->route == PXH_ROUTE_TFTP ? x->set->tftp_root
	                                                 : x->set->root;
	struct pxh_http_range r;
	pxh_client c;
	char etag[64], date[40];
	int rc;

	if (!root) {
		pxh_http_resp_error(rs, 404, "no root configured");
		return 0;
	}
	if (!pxh_http_access_ok(x, "files", "http: file")) {
		pxh_http_resp_error(rs, 403, "not allowed");
		return 0;
	}
	http_client(x, &c);
	rc = pxh_file_open(x->srv, root, x->m->rest, &c, x->set->file_flags,
	                   &rs->file);
	if (rc < 0) {
		pxh_debug("http: %s: %s: %s", x->peer, rq->path, strerror(-rc));
		pxh_http_resp_error(rs, errno_status(rc), NULL);
		return 0;
	}
	rs->has_file = true;
	pxh_http_etag(rs->file.size, rs->file.mtime, etag, sizeof(etag));
	pxh_http_eval_range(rs->file.size, etag, rs->file.mtime,
	                    pxh_http_req_header(rq, "If-None-Match"),
	                    pxh_http_req_header(rq, "If-Modified-Since"),
	                    pxh_http_req_header(rq, "Range"),
	                    pxh_http_req_header(rq, "If-Range"), &r);
	rs->status = r.status;
	rs->off = r.off;
	rs->len = r.len;
	rs->ctype = rs->file.content_type;
	if (!rs->ctype)
		rs->ctype = pxh_mime_type(rs->file.path);
	if (!rs->ctype)
		rs->ctype = "application/octet-stream";
	pxh_http_date(rs->file.mtime, date, sizeof(date));
	pxh_http_resp_header(rs, "ETag: %s\r\nLast-Modified: %s\r\n"
	                         "Accept-Ranges: bytes\r\n",
	                     etag, date);
	if (r.status == 206)
		pxh_http_resp_header(rs, "Content-Range: bytes %llu-%llu/%llu\r\n",
		                     (unsigned long long)r.off,
		                     (unsigned long long)(r.off + r.len - 1),
		                     (unsigned long long)rs->file.size);
	if (r.status == 416) {
		pxh_http_resp_header(rs, "Content-Range: bytes */%llu\r\n",
		                     (unsigned long long)rs->file.size);
		pxh_file_close(&rs->file);
		rs->has_file = false;
	}
	if (r.status == 304) {
		pxh_file_close(&rs->file);
		rs->has_file = false;
	}
	return 0;
}

/* ---- plugin routes ----------------------------------------------------- */
const char *pxh_http_header(const pxh_http_request *rq, const char *name)
{
	if (!rq || !name || rq->struct_size < sizeof(pxh_http_request) || !rq->core)
		return NULL;
	return pxh_http_req_header((const struct pxh_http_req *)rq->core, name);
}

int pxh_http_handle_plugin(struct pxh_http_ctx *x, struct pxh_http_resp *rs)
{
	struct pxh_hook *hook = pxh_http_route_for(x->srv, x->m->plugin);
	struct { pxh_http_request pub; } prq;
	pxh_http_response prs;
	int rc;

	if (!hook || !hook->fn.http) {
		pxh_http_resp_error(rs, 404, "no such plugin route");
		return 0;
	}
	memset(&prq, 0, sizeof(prq));
	prq.pub.struct_size = sizeof(prq.pub);
	prq.pub.method = http_method_str((enum http_method)x->rq->method);
	prq.pub.path = x->m->rest;
	prq.pub.query = x->rq->query;
	prq.pub.body = x->rq->body ? x->rq->body : "";
	prq.pub.body_len = x->rq->body_len;
	prq.pub.peer = x->peer;
	prq.pub.authenticated = x->authenticated;
	prq.pub.core = x->rq;
	memset(&prs, 0, sizeof(prs));
	prs.struct_size = sizeof(prs);
	prs.status = 200;
	rc = hook->fn.http(hook->ud, &prq.pub, &prs);
	if (rc < 0) {
		free(prs.body);
		pxh_http_resp_error(rs, rc == -ENOENT ? 404 :
		                        rc == -EACCES || rc == -EPERM ? 403 : 500,
		                    NULL);
		return 0;
	}
	if (prs.status < 100 || prs.status > 599)
		prs.status = 500;
	pxh_http_resp_take(rs, prs.status, NULL, prs.body,
	                   prs.body ? prs.body_len : 0);
	/* the plugin's string may go with the plugin: copy it */
	if (prs.content_type && *prs.content_type &&
	    !strpbrk(prs.content_type, "\r\n")) {
		pxh_http_copy(rs->ctype_buf, sizeof(rs->ctype_buf), prs.content_type);
		rs->ctype = rs->ctype_buf;
	}
	pxh_http_resp_header(rs, "X-Content-Type-Options: nosniff\r\n");
	return 0;
}

/* ---- dispatch ----------------------------------------------------------- */
bool pxh_http_hide_facts(const struct pxh_http_settings *set,
                         bool authenticated)
{
	return !authenticated && !set->public_facts;
}

bool pxh_http_needs_auth(const struct pxh_http_settings *set,
                         bool authenticated)
{
	return set->require_auth && !authenticated;
}

bool pxh_http_auth_configured(struct pxh_server *s)
{
	return s && s->http && pxh_http_settings(s)->auth_configured;
}

static bool needs_auth(struct pxh_http_ctx *x)
{
	return pxh_http_needs_auth(x->set, x->authenticated);
}

int pxh_http_handle(struct pxh_http_ctx *x, struct pxh_http_resp *rs)
{
	const struct pxh_http_match *m = x->m;

	if (m->status) {
		pxh_http_resp_error(rs, m->status, NULL);
		return 0;
	}
	switch (m->route) {
	case PXH_ROUTE_BOOT:
		return pxh_http_handle_boot(x, rs);
	case PXH_ROUTE_GRUB:
		return pxh_http_handle_grub(x, rs);
	case PXH_ROUTE_FILES:
	case PXH_ROUTE_TFTP:
		return pxh_http_handle_file(x, rs);
	case PXH_ROUTE_PLUGIN:
		/* plugins' routes obey require_auth like the core's API; the
		 * plugin still sees whether the caller authenticated */
		if (needs_auth(x)) {
			pxh_http_resp_error(rs, 401, "token or client certificate required");
			return 0;
		}
		return pxh_http_handle_plugin(x, rs);
	case PXH_ROUTE_INDEX:
	case PXH_ROUTE_ASSET:
	case PXH_ROUTE_LOGIN:
		if (!x->set->status_page) {
			pxh_http_resp_error(rs, 404, NULL);
			return 0;
		}
		/* the console checks auth itself: a sign-in form, not a 401 */
		return pxh_http_handle_console(x, rs);
	case PXH_ROUTE_STATUS:
	case PXH_ROUTE_CLIENTS:
	case PXH_ROUTE_REPORT:
	case PXH_ROUTE_METRICS:
	case PXH_ROUTE_CLIENT:
	case PXH_ROUTE_NOW:
	case PXH_ROUTE_SERIES:
	case PXH_ROUTE_EVENTS:
		if (needs_auth(x)) {
			pxh_http_resp_error(rs, 401, "token or client certificate required");
			return 0;
		}
		return pxh_http_handle_api(x, rs);
	default:
		pxh_http_resp_error(rs, 404, NULL);
		return 0;
	}
}
