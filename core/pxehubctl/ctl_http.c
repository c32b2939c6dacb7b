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

int ctl_http_get(const char *url, const char *token, double timeout_s,
                 char **body, size_t *body_len, char *err, size_t err_len)
{
	double deadline = ctl_mono() + timeout_s;
	struct url u;
	char req[2048], *resp = NULL, *hend;
	size_t rlen = 0;
	int fd, rc, status = 0;

	*body = NULL;
	*body_len = 0;
	rc = parse_url(url, &u, err, err_len);
	if (rc)
		return rc;
	if (token && strpbrk(token, "\r\n")) {
		snprintf(err, err_len, "token contains a line break");
		return -EINVAL;
	}
	snprintf(req, sizeof(req),
	         "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: pxehubctl/%s\r\n"
	         "Accept: application/json\r\n%s%s%sConnection: close\r\n\r\n",
	         u.path, u.host, PXH_VERSION, token ? "Authorization: Bearer " : "",
	         token ? token : "", token ? "\r\n" : "");
	fd = connect_to(&u, deadline, err, err_len);
	if (fd < 0)
		return fd;
	rc = send_all(fd, req, strlen(req), deadline);
	if (!rc)
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
