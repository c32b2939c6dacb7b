/* Validators, conditional requests and byte ranges (RFC 9110 13, 14). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"

void pxh_http_etag(uint64_t size, time_t mtime, char *out, size_t len)
{
	snprintf(out, len, "\"%llx-%llx\"", (unsigned long long)size,
	         (unsigned long long)mtime);
}

void pxh_http_date(time_t t, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

time_t pxh_http_parse_date(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end || *end)
		return (time_t)-1;
	return timegm(&tm);
}

/* RFC 9110 13.1.2: If-None-Match is a list of entity tags or "*"; weak
 * comparison (W/ prefixes ignored). */
static bool etag_in_list(const char *list, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = list;

	while (*p) {
		const char *q;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"')
			return false;
		q = strchr(p + 1, '"');
		if (!q)
			return false;
		if ((size_t)(q + 1 - p) == elen && memcmp(p, etag, elen) == 0)
			return true;
		p = q + 1;
	}
	return false;
}

/* Parse "bytes=A-B", "bytes=A-", "bytes=-N" (one range only).  Returns 1
 * with the range, 0 to ignore the header, -1 when unsatisfiable. */
static int parse_range(const char *r, uint64_t size, uint64_t *off,
                       uint64_t *len)
{
	const char *p;
	char *end;
	unsigned long long a, b;

	if (strncasecmp(r, "bytes=", 6) != 0)
		return 0;
	p = r + 6;
	while (*p == ' ')
		p++;
	/* several ranges: RFC 9110 14.2 lets a server ignore Range */
	if (strchr(p, ','))
		return 0;
	if (*p == '-') {
		if (!isdigit((unsigned char)p[1]))
			return 0;
		b = strtoull(p + 1, &end, 10);
		while (*end == ' ')
			end++;
		if (*end)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		if (b > size)
			b = size;
		*off = size - b;
		*len = b;
		return 1;
	}
	if (!isdigit((unsigned char)*p))
		return 0;
	a = strtoull(p, &end, 10);
	if (*end != '-')
		return 0;
	p = end + 1;
	if (*p == '\0' || *p == ' ') {
		b = size ? size - 1 : 0;
	} else {
		if (!isdigit((unsigned char)*p))
			return 0;
		b = strtoull(p, &end, 10);
		while (*end == ' ')
			end++;
		if (*end || b < a)
			return 0;
	}
	if (a >= size)
		return -1;
	if (b >= size)
		b = size - 1;
	*off = a;
	*len = b - a + 1;
	return 1;
}

void pxh_http_eval_range(uint64_t size, const char *etag, time_t mtime,
                         const char *if_none_match, const char *if_mod_since,
                         const char *range, const char *if_range,
                         struct pxh_http_range *out)
{
	uint64_t off, len;
	int r;

	out->off = 0;
	out->len = size;
	out->status = 200;
	if (if_none_match) {
		if (etag_in_list(if_none_match, etag)) {
			out->status = 304;
			out->len = 0;
			return;
		}
	} else if (if_mod_since) {
		time_t t = pxh_http_parse_date(if_mod_since);

		if (t != (time_t)-1 && mtime <= t) {
			out->status = 304;
			out->len = 0;
			return;
		}
	}
	if (!range)
		return;
	if (if_range) {
		/* a range only applies to the entity the client still has */
		if (if_range[0] == '"' || strncmp(if_range, "W/", 2) == 0) {
			if (strcmp(if_range, etag) != 0)
				return;
		} else {
			time_t t = pxh_http_parse_date(if_range);

			if (t == (time_t)-1 || t != mtime)
				return;
		}
	}
	r = parse_range(range, size, &off, &len);
	if (r == 0)
		return;
	if (r < 0) {
		out->status = 416;
		out->len = 0;
		return;
	}
	out->status = 206;
	out->off = off;
	out->len = len;
}

const char *pxh_http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
