/* The console: the page at /, built on the server from the same JSON as
 * the API (HTML-escaped), its one script and style sheet (embedded in the
 * binary, no outside assets), and the sign-in form that keeps the API
 * token in a cookie.  docs/console.md explains the design. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "http.h"
#include "clients.h"
#include "log.h"
#include "server.h"

/* console.js, console.css and the icon, as they are in the source tree:
 * the assembler copies the files into the binary (no generated sources,
 * nothing fetched at build time). */
#define ASSET(sym, file)                                                       \
	__asm__(".section .rodata\n"                                           \
	        ".global " #sym "\n.type " #sym ", @object\n.balign 16\n"     \
	        #sym ":\n.incbin \"" file "\"\n"                               \
	        ".global " #sym "_end\n" #sym "_end:\n.byte 0\n.previous\n");   \
	extern const char sym[], sym##_end[];
ASSET(pxh_console_js, "core/http/console/console.js")
ASSET(pxh_console_css, "core/http/console/console.css")
ASSET(pxh_console_icon, "core/http/console/icon.svg")

#define COOKIE "pxehub_token"
#define HTML_TYPE "text/html; charset=utf-8"
/* The page runs only its own script and style: no inline code, no other
 * origin, no frames; forms post back here only. */
#define PAGE_HEADERS                                                           \
	"Cache-Control: no-store\r\n"                                          \
	"X-Content-Type-Options: nosniff\r\n"                                  \
	"X-Frame-Options: DENY\r\n"                                            \
	"Referrer-Policy: no-referrer\r\n"                                     \
	"Content-Security-Policy: default-src 'self'; script-src 'self'; "     \
	"style-src 'self'; img-src 'self'; connect-src 'self'; "               \
	"object-src 'none'; base-uri 'none'; form-action 'self'; "             \
	"frame-ancestors 'none'\r\n"

/* ---- the cookie ------------------------------------------------------------ */
/* The value of cookie NAME in the request's Cookie header into OUT. */
static bool cookie_get(const struct pxh_http_req *rq, const char *name,
                       char *out, size_t len)
{
	const char *h = pxh_http_req_header(rq, "Cookie");
	size_t nl = strlen(name);

	while (h && *h) {
		size_t vl;

		h += strspn(h, " ;");
		if (!strncmp(h, name, nl) && h[nl] == '=') {
			h += nl + 1;
			vl = strcspn(h, ";");
			if (vl >= len)
				return false;
			memcpy(out, h, vl);
			out[vl] = 0;
			return true;
		}
		h = strchr(h, ';');
	}
	return false;
}

bool pxh_http_cookie_ok(const struct pxh_http_req *rq, const char *token)
{
	char v[512], authz[520];

	/* a cookie rides along with any request the browser makes, even one
	 * another site's page starts: it only opens what reading opens */
	if (!token || !*token ||
	    (rq->method != HTTP_GET && rq->method != HTTP_HEAD) ||
	    !cookie_get(rq, COOKIE, v, sizeof(v)))
		return false;
	snprintf(authz, sizeof(authz), "Bearer %s", v);
	return pxh_http_bearer_ok(authz, token);
}

/* ---- building HTML ----------------------------------------------------------- */
struct sbuf {
	char *p;
	size_t len, cap;
	bool fail;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->fail)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8192;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->fail = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* Text and attribute values: every character that means something in
 * HTML, and control bytes, become entities. */
static void sb_html(struct sbuf *b, const char *s)
{
	char ent[16];

	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '<': sb_str(b, "&lt;"); break;
		case '>': sb_str(b, "&gt;"); break;
		case '&': sb_str(b, "&amp;"); break;
		case '"': sb_str(b, "&quot;"); break;
		case '\'': sb_str(b, "&#39;"); break;
		default:
			if (ch < 0x20 || ch == 0x7f) {
				snprintf(ent, sizeof(ent), "&#%u;", ch);
				sb_str(b, ent);
			} else {
				sb_add(b, s, 1);
			}
		}
	}
}

static const char *jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* "3 d 4 h", "2 h 5 min", "4 min", "12 s" */
static void human_span(double secs, char *out, size_t len)
{
	long s = secs >= 0 && secs < 1e15 ? (long)secs : 0;

	if (s >= 86400)
		snprintf(out, len, "%ld d %ld h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(out, len, "%ld h %ld min", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(out, len, "%ld min", s / 60);
	else
		snprintf(out, len, "%ld s", s);
}

/* <time> with the UTC time as text; the script turns it into "2 min ago"
 * with the browser's local time on hover. */
static void sb_time(struct sbuf *b, double t)
{
	char iso[40], num[40];
	time_t tt;

	/* a number outside what time_t holds is not a time (and converting
	 * it would be undefined): year 0..9999 only */
	if (!(t >= 0 && t <= 253402300799.0))
		t = 0;
	tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(num, sizeof(num), "%.3f", t);
	sb_str(b, "<time datetime=\"");
	sb_str(b, iso);
	sb_str(b, "\" data-t=\"");
	sb_str(b, num);
	sb_str(b, "\">");
	sb_str(b, iso);
	sb_str(b, "</time>");
}

static void page_head(struct sbuf *b, const char *title)
{
	sb_str(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	          "<title>");
	sb_html(b, title);
	sb_str(b, "</title><link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">"
	          "<link rel=\"stylesheet\" href=\"/console.css\">"
	          "<script src=\"/console.js\" defer></script></head>\n");
}

/* B as the answer, with the page's headers (CSP ...). */
static int page_answer(struct pxh_http_resp *rs, struct sbuf *b, int status)
{
	if (b->fail) {
		free(b->p);
		pxh_http_resp_error(rs, 503, NULL);
		return 0;
	}
	pxh_http_resp_take(rs, status, HTML_TYPE, b->p, b->len);
	pxh_http_resp_header(rs, PAGE_HEADERS);
	return 0;
}

static void sign_in_form(struct sbuf *b, bool failed)
{
	sb_str(b, "<form id=\"signin\" method=\"post\" action=\"/login\">"
	          "<label>API token <input type=\"password\" name=\"token\" "
	          "id=\"token\" autocomplete=\"current-password\" required></label> "
	          "<button type=\"submit\">Sign in</button>");
	if (failed)
		sb_str(b, " <span class=\"bad\" id=\"signin-failed\">wrong token</span>");
	sb_str(b, "</form>");
}

static void section_machines(struct sbuf *b, json_t *clients)
{
	json_t *c;
	size_t i;

	sb_str(b, "<section id=\"machines\"><h2>Machines</h2>"
	          "<p><input type=\"search\" id=\"filter\" placeholder=\"Filter by MAC, UUID, "
	          "serial, IP, arch or verdict\" aria-label=\"filter machines\"> "
	          "<span id=\"machines-count\"></span></p>"
	          "<table id=\"machines-table\"><thead><tr><th>Machine</th><th>Address</th>"
	          "<th>Arch</th><th>Serial</th><th>UUID</th><th>Verdict</th><th>By</th>"
	          "<th>Last seen</th></tr></thead><tbody>\n");
	json_array_foreach(clients, i, c) {
		if (i >= 200)
			break;
		/* markup, then the value of KEY escaped, in turn */
		static const char *const parts[][2] = {
			{"<tr data-mac=\"", "mac"}, {"\"><td><a class=\"mac\" href=\"#story=", "mac"},
			{"\">", "mac"}, {"</a></td><td>", "ip"}, {"</td><td>", "arch"},
			{"</td><td class=\"serial\">", "serial"}, {"</td><td class=\"uuid\">", "uuid"},
			{"</td><td>", "verdict"}, {"</td><td>", "decided_by"},
		};

		for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
			sb_str(b, parts[k][0]);
			sb_html(b, jstr(c, parts[k][1]));
		}
		sb_str(b, "</td><td>");
		sb_time(b, json_number_value(json_object_get(c, "last_seen")));
		sb_str(b, "</td></tr>\n");
	}
	sb_str(b, "</tbody></table></section>\n"
	          "<section id=\"story\" hidden><h2>The story of <span id=\"story-mac\"></span></h2>"
	          "<p><a href=\"#machines\" id=\"story-close\">back to the list</a></p>"
	          "<div id=\"story-body\"></div></section>\n");
}

static void section_health(struct sbuf *b, json_t *st, bool hide)
{
	json_t *reports = json_object_get(st, "plugin_reports");
	json_t *plugins = json_object_get(st, "plugins"), *p, *conf, *l;
	size_t i;

	sb_str(b, "<section id=\"health\"><h2>Health</h2><h3>Plugins</h3>"
	          "<table id=\"plugins-table\"><thead><tr><th>Plugin</th><th>Version</th>"
	          "<th>Priority</th><th>State</th></tr></thead><tbody>\n");
	json_array_foreach(plugins, i, p) {
		json_t *figs = json_object_get(reports, jstr(p, "name")), *v;
		const char *k;
		char num[64];

		sb_str(b, "<tr data-plugin=\"");
		sb_html(b, jstr(p, "name"));
		sb_str(b, "\"><td>");
		sb_html(b, jstr(p, "name"));
		sb_str(b, "</td><td>");
		sb_html(b, jstr(p, "version"));
		snprintf(num, sizeof(num), "</td><td>%lld</td><td class=\"figures\">",
		         (long long)json_integer_value(json_object_get(p, "priority")));
		sb_str(b, num);
		json_object_foreach(figs, k, v) {
			sb_str(b, "<span class=\"fig\">");
			sb_html(b, k);
			sb_str(b, " ");
			if (json_is_string(v))
				sb_html(b, json_string_value(v));
			else {
				snprintf(num, sizeof(num), "%g", json_number_value(v));
				sb_str(b, num);
			}
			sb_str(b, "</span> ");
		}
		sb_str(b, "</td></tr>\n");
	}
	sb_str(b, "</tbody></table><h3>Configuration</h3><dl id=\"config\">");
	conf = json_object_get(st, "config");
	if (!hide) {
		sb_str(b, "<dt>file</dt><dd id=\"config-path\">");
		sb_html(b, jstr(conf, "path"));
		sb_str(b, "</dd>");
	}
	sb_str(b, "<dt>loaded</dt><dd>");
	sb_time(b, json_number_value(json_object_get(conf, "loaded_time")));
	sb_str(b, "</dd><dt>last reload</dt><dd id=\"config-reload\">");
	if (json_object_get(conf, "last_reload")) {
		sb_html(b, jstr(conf, "last_reload"));
		sb_str(b, " ");
		sb_time(b, json_number_value(json_object_get(conf, "last_reload_time")));
		if (*jstr(conf, "last_reload_error")) {
			sb_str(b, " <span class=\"bad\">");
			sb_html(b, jstr(conf, "last_reload_error"));
			sb_str(b, "</span>");
		}
	} else {
		sb_str(b, "none since start");
	}
	sb_str(b, "</dd></dl><h3>Listening</h3><table id=\"sockets-table\"><thead><tr>"
	          "<th>Protocol</th><th>Address</th><th>Port</th></tr></thead><tbody>\n");
	json_array_foreach(json_object_get(st, "listening"), i, l) {
		char port[24];

		sb_str(b, "<tr><td>");
		sb_html(b, jstr(l, "proto"));
		sb_str(b, "</td><td>");
		sb_html(b, jstr(l, "address"));
		snprintf(port, sizeof(port), "</td><td>%lld", (long long)json_integer_value(json_object_get(l, "port")));
		sb_str(b, port);
		sb_str(b, "</td></tr>\n");
	}
	if (hide)
		sb_str(b, "<tr><td colspan=\"3\">sign in to see them</td></tr>");
	sb_str(b, "</tbody></table></section>\n");
}

static int render_page(struct pxh_http_ctx *x, struct pxh_http_resp *rs,
                       bool signed_in_by_cookie)
{
	struct sbuf b = {0};
	char *st = pxh_status_json(x->srv, x->hide_facts);
	char *cl = pxh_clients_json(x->srv, x->hide_facts, false);
	json_t *sj = st ? json_loads(st, 0, NULL) : NULL;
	json_t *cj = cl ? json_loads(cl, 0, NULL) : NULL;
	char host[256] = "", up[64];

	gethostname(host, sizeof(host) - 1);
	page_head(&b, "pxehub console");
	snprintf(up, sizeof(up), "%g", x->set->stuck_after);
	sb_str(&b, "<body data-stuck=\"");
	sb_str(&b, up);
	sb_str(&b, "\"><header><h1>pxehub</h1> <span id=\"version\">");
	sb_html(&b, PXH_VERSION);
	sb_str(&b, "</span> on <span id=\"host\">");
	sb_html(&b, host);
	human_span(json_number_value(json_object_get(sj, "uptime_seconds")), up, sizeof(up));
	sb_str(&b, "</span>, up <span id=\"uptime\">");
	sb_str(&b, up);
	sb_str(&b, "</span> <span id=\"live\" class=\"off\">not live</span> <span id=\"auth\">");
	if (signed_in_by_cookie)
		sb_str(&b, "signed in <form method=\"post\" action=\"/logout\" class=\"inline\">"
		           "<button type=\"submit\" id=\"signout\">Sign out</button></form>");
	else if (x->authenticated)
		sb_str(&b, "signed in (client certificate or token)");
	else if (x->set->api_token && *x->set->api_token)
		sign_in_form(&b, strstr(x->rq->query, "signin=failed") != NULL);
	sb_str(&b, "</span></header>\n<nav><a href=\"#now\">Now</a> <a href=\"#machines\">Machines</a> "
	           "<a href=\"#health\">Health</a> <a href=\"#numbers\">Numbers</a></nav>\n<main>\n");
	if (x->hide_facts)
		sb_str(&b, "<p class=\"note\" id=\"facts-hidden\">Serial numbers, asset tags and "
		           "UUIDs are hidden: sign in to see them.</p>\n");
	sb_str(&b, "<section id=\"now\"><h2>Now</h2><table id=\"now-table\"><thead><tr>"
	           "<th>Machine</th><th>Address</th><th>Phase</th><th>File</th><th>Progress</th>"
	           "<th>Rate</th><th>Quiet for</th></tr></thead><tbody></tbody></table>"
	           "<p id=\"now-empty\">No machine is booting right now.</p>"
	           "<h3>Events as they come</h3><ol id=\"events\" reversed></ol></section>\n");
	section_machines(&b, json_object_get(cj, "clients"));
	section_health(&b, sj, x->hide_facts);
	sb_str(&b, "<section id=\"numbers\"><h2>Numbers</h2><div id=\"charts\"></div>"
	           "<table id=\"numbers-table\"><thead><tr><th>Counter</th><th>Total</th>"
	           "<th>Last hour</th></tr></thead><tbody></tbody></table></section>\n</main>\n"
	           "<footer>The same data as JSON: <a href=\"/api/v1/status\">status</a> · "
	           "<a href=\"/api/v1/clients?steps=no\">machines</a> · <a href=\"/api/v1/now\">now</a> · "
	           "<a href=\"/api/v1/series\">series</a> · <a href=\"/metrics\">metrics</a> · "
	           "events: <code>curl -N /api/v1/events</code>"
	           "<noscript> · without JavaScript this page does not update itself</noscript>"
	           "</footer></body></html>\n");
	json_decref(sj);
	json_decref(cj);
	free(st);
	free(cl);
	return page_answer(rs, &b, 200);
}

/* require_auth and no credentials: a page with the form alone. */
static int render_signin(struct pxh_http_ctx *x, struct pxh_http_resp *rs)
{
	struct sbuf b = {0};

	page_head(&b, "pxehub: sign in");
	sb_str(&b, "<body><header><h1>pxehub</h1></header><main><section id=\"signin-page\">"
	           "<h2>Sign in</h2><p>This server shows its console to signed-in "
	           "users only: give the API token (<code>[http] api_token</code>), or "
	           "open it over HTTPS with a client certificate.</p>");
	if (x->set->api_token && *x->set->api_token)
		sign_in_form(&b, strstr(x->rq->query, "signin=failed") != NULL);
	sb_str(&b, "</section></main></body></html>\n");
	return page_answer(rs, &b, 401);
}

/* ---- sign in, sign out ------------------------------------------------------- */
static void redirect(struct pxh_http_resp *rs, const char *to)
{
	pxh_http_resp_text(rs, 303, "text/plain; charset=utf-8", "", 0);
	pxh_http_resp_header(rs, "Location: %s\r\nCache-Control: no-store\r\n", to);
}

static int handle_login(struct pxh_http_ctx *x, struct pxh_http_resp *rs)
{
	const struct pxh_http_req *rq = x->rq;
	char token[512], authz[520];
	const char *secure = x->tls ? "; Secure" : "";

	if (!strcmp(x->m->rest, "logout")) {
		redirect(rs, "/");
		pxh_http_resp_header(rs, "Set-Cookie: " COOKIE "=; Path=/; Max-Age=0; "
		                         "HttpOnly; SameSite=Strict%s\r\n", secure);
		return 0;
	}
	/* the same budget as reports: guessing tokens stays slow */
	if (!pxh_http_rate_ok(x->peer, pxh_server_now(x->srv), x->set->report_rate)) {
		(*pxh_http_ctrs(x->srv)->reports_limited)++;
		pxh_http_resp_error(rs, 429, "too many sign-in attempts");
		return 0;
	}
	if (!x->set->api_token || !*x->set->api_token ||
	    pxh_http_form_get(rq->body ? rq->body : "", rq->body_len, "token",
	                      token, sizeof(token)) <= 0 ||
	    strpbrk(token, ";,\r\n \t")) {
		redirect(rs, "/?signin=failed");
		return 0;
	}
	snprintf(authz, sizeof(authz), "Bearer %s", token);
	if (!pxh_http_bearer_ok(authz, x->set->api_token)) {
		pxh_info("http: %s: console sign-in with a wrong token", x->peer);
		redirect(rs, "/?signin=failed");
		return 0;
	}
	redirect(rs, "/");
	/* HttpOnly: no script reads it; Strict: no other site's page sends
	 * it; a session cookie: gone when the browser closes */
	pxh_http_resp_header(rs, "Set-Cookie: " COOKIE "=%s; Path=/; HttpOnly; "
	                         "SameSite=Strict%s\r\n", token, secure);
	return 0;
}

/* ---- dispatch ---------------------------------------------------------------- */
static int asset(struct pxh_http_resp *rs, const char *ctype, const char *p,
                 const char *end)
{
	pxh_http_resp_text(rs, 200, ctype, p, (size_t)(end - p));
	/* same URL, new binary: a restart after an upgrade must not keep the
	 * old script; revalidating a few KiB costs nothing */
	pxh_http_resp_header(rs, "Cache-Control: no-cache\r\n"
	                         "X-Content-Type-Options: nosniff\r\n");
	return 0;
}

int pxh_http_handle_console(struct pxh_http_ctx *x, struct pxh_http_resp *rs)
{
	bool by_cookie;

	switch (x->m->route) {
	case PXH_ROUTE_ASSET:
		/* the same for everyone and free of data: no auth */
		if (!strcmp(x->m->rest, "console.js"))
			return asset(rs, "text/javascript; charset=utf-8", pxh_console_js,
			             pxh_console_js_end);
		if (!strcmp(x->m->rest, "console.css"))
			return asset(rs, "text/css; charset=utf-8", pxh_console_css,
			             pxh_console_css_end);
		return asset(rs, "image/svg+xml", pxh_console_icon, pxh_console_icon_end);
	case PXH_ROUTE_LOGIN:
		return handle_login(x, rs);
	default:
		break;
	}
	if (pxh_http_needs_auth(x->set, x->authenticated))
		return render_signin(x, rs);
	by_cookie = pxh_http_cookie_ok(x->rq, x->set->api_token) &&
	            !pxh_http_bearer_ok(pxh_http_req_header(x->rq, "Authorization"),
	                                x->set->api_token);
	return render_page(x, rs, by_cookie);
}
