/* A tiny HTTP/1.0 GET client for pxehubctl status (plain http:// only:
 * for https, curl does it better; pxehubctl says so). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "server.h"

#define MAX_RESPONSE (16u << 20)

struct url {
	char host[256];
	char port[8];
	char path[1024];
};

static int parse_url(const char *url, struct url *u, char *err, size_t elen)
{
	const char *p, *slash, *colon;
	size_t hl;

	if (!strncmp(url, "https://", 8)) {
		snprintf(err, elen, "https is not built into pxehubctl; use: curl -H 'Authorization: Bearer TOKEN' %s/api/v1/status",
		         url);
		return -EPROTONOSUPPORT;
	}
	if (strncmp(url, "http://", 7)) {
		snprintf(err, elen, "URL must start with http://");
		return -EINVAL;
	}
	p = url + 7;
	slash = strchr(p, '/');
	if (!slash)
		slash = p + strlen(p);
	snprintf(u->path, sizeof(u->path), "%s", *slash ? slash : "/");
	snprintf(u->port, sizeof(u->port), "80");
	if (*p == '[') { /* [v6]:port */
		const char *rb = memchr(p, ']', (size_t)(slash - p));
		if (!rb)
			goto bad;
		hl = (size_t)(rb - p - 1);
		colon = rb + 1 < slash && rb[1] == ':' ? rb + 1 : NULL;
		p++;
	} else {
		colon = memchr(p, ':', (size_t)(slash - p));
		hl = (size_t)((colon ? colon : slash) - p);
	}
	if (!hl || hl >= sizeof(u->host))
		goto bad;
	memcpy(u->host, p, hl);
	u->host[hl] = 0;
	{
		/* a zone as RFC 6874 writes it, [fe80::1%25eth0], is
		 * fe80::1%eth0 for getaddrinfo */
		char *z = strstr(u->host, "%25");

		if (z)
			memmove(z + 1, z + 3, strlen(z + 3) + 1);
	}
	if (colon) {
		size_t pl = (size_t)(slash - colon - 1);
		if (!pl || pl >= sizeof(u->port))
			goto bad;
		memcpy(u->port, colon + 1, pl);
		u->port[pl] = 0;
	}
	return 0;
bad:
	snprintf(err, elen, "cannot parse URL %s", url);
	return -EINVAL;
}

double ctl_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for EVENTS on FD until DEADLINE (monotonic seconds). */
static int wait_fd(int fd, short events, double deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	double left = deadline - ctl_mono();
	int n;

	if (left <= 0)
		return -ETIMEDOUT;
	n = poll(&pfd, 1, (int)(left * 1000) + 1);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

static int connect_to(const struct url *u, double deadline, char *err,
                      size_t elen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	int fd = -1, rc;

	rc = getaddrinfo(u->host, u->port, &hints, &res);
	if (rc) {
		snprintf(err, elen, "%s: %s", u->host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	rc = -ECONNREFUSED;
	for (ai = res; ai; ai = ai->ai_next) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		rc = 0;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		            ai->ai_protocol);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && (rc = wait_fd(fd, POLLOUT, deadline)) == 0 &&
		     getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && !soerr))
			break;
		if (soerr)
			rc = -soerr;
		else if (!rc)
			rc = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, elen, "cannot connect to %s port %s: %s", u->host,
		         u->port, strerror(-rc));
	return fd < 0 ? rc : fd;
}

static int send_all(int fd, const char *buf, size_t len, double deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN) {
			int rc = wait_fd(fd, POLLOUT, deadline);
			if (rc)
				return rc;
			continue;
		}
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_all(int fd, char **out, size_t *olen, double deadline)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap + 1);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;
		int rc;

		if (len == cap) {
			char *nb;
			if (cap >= MAX_RESPONSE) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = recv(fd, buf + len, cap - len, 0);
		if (n == 0)
			break;
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR) {
			free(buf);
			return -errno;
		}
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc) {
			free(buf);
			return rc;
		}
	}
	buf[len] = 0;
	*out = buf;
	*olen = len;
	return 0;
}

/* Connect to URL's server and send a GET for it (HTTP/VERSION, asking for
 * ACCEPT); the socket, or -errno with ERR set. */
static int open_get(const char *url, const char *token, const char *version,
                    const char *accept, double deadline, char *err,
                    size_t err_len)
{
	struct url u;
	char req[2048];
	int fd, rc;

	rc = parse_url(url, &u, err, err_len);
	if (rc)
		return rc;
	if (token && strpbrk(token, "\r\n")) {
		snprintf(err, err_len, "token contains a line break");
		return -EINVAL;
	}
	snprintf(req, sizeof(req),
	         "GET %s HTTP/%s\r\nHost: %s\r\nUser-Agent: pxehubctl/%s\r\n"
	         "Accept: %s\r\n%s%s%sConnection: close\r\n\r\n",
	         u.path, version, u.host, PXH_VERSION, accept,
	         token ? "Authorization: Bearer " : "", token ? token : "",
	         token ? "\r\n" : "");
	fd = connect_to(&u, deadline, err, err_len);
	if (fd < 0)
		return fd;
	rc = send_all(fd, req, strlen(req), deadline);
	if (rc) {
		close(fd);
		snprintf(err, err_len, "%s: %s", url, strerror(-rc));
		return rc;
	}
	return fd;
}

int ctl_http_get(const char *url, const char *token, double timeout_s,
                 char **body, size_t *body_len, char *err, size_t err_len)
{
	double deadline = ctl_mono() + timeout_s;
	char *resp = NULL, *hend;
	size_t rlen = 0;
	int fd, rc, status = 0;

	*body = NULL;
	*body_len = 0;
	fd = open_get(url, token, "1.0", "application/json", deadline, err, err_len);
	if (fd < 0)
		return fd;
	rc = recv_all(fd, &resp, &rlen, deadline);
	close(fd);
	if (rc) {
		snprintf(err, err_len, "%s: %s", url, strerror(-rc));
		return rc;
	}
	hend = strstr(resp, "\r\n\r\n");
	if (sscanf(resp, "HTTP/%*u.%*u %d", &status) != 1 || !hend) {
		snprintf(err, err_len, "%s: not an HTTP response", url);
		free(resp);
		return -EPROTO;
	}
	hend += 4;
	*body_len = rlen - (size_t)(hend - resp);
	memmove(resp, hend, *body_len + 1);
	*body = resp;
	return status;
}

/* ---- Server-Sent Events ---------------------------------------------------- */
struct sse {
	char event[64];
	char *data;
	size_t dlen, dcap;
};

/* One line of the stream (without its end); a blank one ends a message. */
static int sse_one(struct sse *m, const char *line,
                   int (*fn)(void *ud, const char *event, const char *data),
                   void *ud)
{
	const char *v;
	size_t n;

	if (!*line) {
		int rc = 0;

		if (m->dlen) {
			m->data[m->dlen - 1] = 0; /* the last '\n' */
			rc = fn(ud, m->event[0] ? m->event : "message", m->data);
		}
		m->dlen = 0;
		m->event[0] = 0;
		return rc;
	}
	if (*line == ':')
		return 0; /* a comment: the server's keep-alive */
	v = strchr(line, ':');
	n = v ? (size_t)(v - line) : strlen(line);
	v = v ? v + 1 + (v[1] == ' ') : "";
	if (n == 5 && !strncmp(line, "event", 5)) {
		snprintf(m->event, sizeof(m->event), "%s", v);
	} else if (n == 4 && !strncmp(line, "data", 4)) {
		size_t vl = strlen(v);

		if (m->dlen + vl + 2 > m->dcap) {
			size_t cap = (m->dlen + vl + 2) * 2;
			char *nd = realloc(m->data, cap);

			if (!nd)
				return -ENOMEM;
			m->data = nd;
			m->dcap = cap;
		}
		memcpy(m->data + m->dlen, v, vl);
		m->dlen += vl;
		m->data[m->dlen++] = '\n';
	}
	return 0;
}

/* A line cut at '\n' (its '\r' gone): a '\r' left inside ends a line too
 * (the SSE rules), so it never reaches an event name or the terminal. */
static int sse_line(struct sse *m, char *line,
                    int (*fn)(void *ud, const char *event, const char *data),
                    void *ud)
{
	char *cr;
	int rc;

	while ((cr = strchr(line, '\r'))) {
		*cr = 0;
		rc = sse_one(m, line, fn, ud);
		if (rc)
			return rc;
		line = cr + 1;
	}
	return sse_one(m, line, fn, ud);
}

int ctl_http_stream(const char *url, const char *token, double connect_s,
                    double for_s,
                    int (*fn)(void *ud, const char *event, const char *data),
                    void *ud, char *err, size_t err_len)
{
	double deadline = ctl_mono() + connect_s;
	double end = for_s > 0 ? ctl_mono() + for_s : 0;
	struct sse m = {0};
	char buf[65536];
	size_t len = 0;
	bool head = true;
	int fd, rc, status = 0;

	fd = open_get(url, token, "1.1", "text/event-stream", deadline, err, err_len);
	if (fd < 0)
		return fd;
	rc = 0;
	while (!rc) {
		ssize_t n;
		char *nl;

		if (len == sizeof(buf) - 1) {
			rc = -EMSGSIZE; /* one line over 64 KiB: not our server */
			break;
		}
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				rc = -errno;
				break;
			}
			rc = wait_fd(fd, POLLIN, end > 0 ? end : (head ? deadline : ctl_mono() + 86400));
			if (rc == -ETIMEDOUT && end > 0 && !head)
				rc = 1; /* the time asked for is up */
			continue;
		}
		len += (size_t)n;
		buf[len] = 0;
		if (head) {
			char *hend = strstr(buf, "\r\n\r\n");

			if (!hend)
				continue;
			if (sscanf(buf, "HTTP/%*u.%*u %d", &status) != 1) {
				rc = -EPROTO;
				break;
			}
			if (status != 200) {
				snprintf(err, err_len, "%s", hend + 4);
				rc = status;
				break;
			}
			hend += 4;
			len -= (size_t)(hend - buf);
			memmove(buf, hend, len + 1);
			head = false;
		}
		while (!rc && (nl = memchr(buf, '\n', len))) {
			size_t ll = (size_t)(nl - buf);

			*nl = 0;
			if (ll && buf[ll - 1] == '\r')
				buf[ll - 1] = 0;
			rc = sse_line(&m, buf, fn, ud);
			len -= ll + 1;
			memmove(buf, nl + 1, len + 1);
		}
	}
	close(fd);
	free(m.data);
	if (rc < 0 && rc != -ETIMEDOUT)
		snprintf(err, err_len, "%s: %s", url, strerror(-rc));
	if (rc == -ETIMEDOUT && head)
		snprintf(err, err_len, "%s: no answer", url);
	return rc == 1 || (rc > 0 && rc < 100) ? 0 : rc;
}
