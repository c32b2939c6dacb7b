/* TFTP request parsing, option negotiation and small packet builders. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tftp.h"

/* A NUL-terminated string starting at P[*OFF]; NULL when unterminated. */
static const char *take_string(const uint8_t *p, size_t len, size_t *off,
                               size_t *slen)
{
	const uint8_t *s, *nul;

	if (*off >= len)
		return NULL;
	s = p + *off;
	nul = memchr(s, 0, len - *off);
	if (!nul)
		return NULL;
	*slen = (size_t)(nul - s);
	*off += *slen + 1;
	return (const char *)s;
}

/* Decimal number of at most 20 digits, no sign, no spaces; -1 if not. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static void take_option(struct tftp_request *rq, const char *name,
                        const char *val, size_t vlen)
{
	static const struct {
		const char *name;
		unsigned bit;
		uint64_t min, max;
	} opts[] = {
		{"blksize", TFTP_OPT_BLKSIZE, TFTP_MIN_BLKSIZE, UINT64_MAX},
		{"timeout", TFTP_OPT_TIMEOUT, TFTP_MIN_TIMEOUT, TFTP_MAX_TIMEOUT},
		{"tsize", TFTP_OPT_TSIZE, 0, UINT64_MAX},
		{"windowsize", TFTP_OPT_WINDOWSIZE, TFTP_MIN_WINDOWSIZE,
		 TFTP_MAX_WINDOWSIZE},
		{"msftwindow", TFTP_OPT_MSFTWINDOW, 0, UINT64_MAX},
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (strcasecmp(name, opts[i].name) != 0)
			continue;
		if ((rq->seen | rq->bad) & opts[i].bit)
			return; /* first one wins */
		if (parse_u64(val, vlen, &v) < 0 || v < opts[i].min ||
		    v > opts[i].max) {
			rq->bad |= opts[i].bit;
			return;
		}
		rq->seen |= opts[i].bit;
		switch (opts[i].bit) {
		case TFTP_OPT_BLKSIZE:
			/* RFC 2348: larger than the maximum is clamped */
			rq->blksize = v > TFTP_MAX_BLKSIZE ? TFTP_MAX_BLKSIZE
			                                   : (uint32_t)v;
			break;
		case TFTP_OPT_TIMEOUT: rq->timeout = (uint32_t)v; break;
		case TFTP_OPT_TSIZE: rq->tsize = v; break;
		case TFTP_OPT_WINDOWSIZE: rq->windowsize = (uint32_t)v; break;
		case TFTP_OPT_MSFTWINDOW:
			rq->msftwindow = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
			break;
		}
		return;
	}
	rq->n_unknown++;
}

int tftp_parse_request(const uint8_t *p, size_t len, struct tftp_request *rq)
{
	const char *file, *mode, *name, *val;
	size_t off = 2, flen, mlen, nlen, vlen;

	memset(rq, 0, sizeof(*rq));
	if (len < 4 || len > TFTP_MAX_REQUEST)
		return -EINVAL;
	rq->opcode = (p[0] << 8) | p[1];
	if (rq->opcode != TFTP_RRQ && rq->opcode != TFTP_WRQ)
		return -EINVAL;
	file = take_string(p, len, &off, &flen);
	if (!file)
		return -EINVAL;
	if (flen >= TFTP_MAX_FILENAME)
		return -ENAMETOOLONG;
	if (flen == 0)
		return -EINVAL;
	memcpy(rq->file, file, flen);
	rq->file[flen] = 0;
	rq->file_len = flen;
	mode = take_string(p, len, &off, &mlen);
	if (!mode)
		return -EINVAL;
	if (mlen == 5 && strncasecmp(mode, "octet", 5) == 0)
		rq->mode = TFTP_MODE_OCTET;
	else if (mlen == 8 && strncasecmp(mode, "netascii", 8) == 0)
		rq->mode = TFTP_MODE_NETASCII;
	else if (mlen == 4 && strncasecmp(mode, "mail", 4) == 0)
		rq->mode = TFTP_MODE_MAIL;
	else
		return -EPROTONOSUPPORT;
	/* RFC 2347 options: name\0value\0 pairs until the end. */
	while (off < len) {
		name = take_string(p, len, &off, &nlen);
		if (!name)
			break;
		val = take_string(p, len, &off, &vlen);
		if (!val)
			break;
		if (nlen == 0)
			continue;
		take_option(rq, name, val, vlen);
	}
	return 0;
}

void tftp_negotiate(const struct tftp_request *rq, const struct tftp_limits *lim,
                    uint64_t size, struct tftp_params *out)
{
	uint32_t maxb = lim->max_blksize, maxw = lim->max_windowsize, cap;

	memset(out, 0, sizeof(*out));
	out->blksize = TFTP_DEF_BLKSIZE;
	out->windowsize = 1;
	out->tsize = size;
	if (maxb < TFTP_MIN_BLKSIZE)
		maxb = TFTP_MIN_BLKSIZE;
	if (maxb > TFTP_MAX_BLKSIZE)
		maxb = TFTP_MAX_BLKSIZE;
	if (maxw < 1)
		maxw = 1;
	if (rq->seen & TFTP_OPT_BLKSIZE) {
		out->blksize = rq->blksize < maxb ? rq->blksize : maxb;
		out->acked |= TFTP_OPT_BLKSIZE;
	}
	if (rq->seen & TFTP_OPT_TIMEOUT) {
		out->timeout_s = rq->timeout;
		out->acked |= TFTP_OPT_TIMEOUT;
	}
	/* tsize 0 is left out: curl refuses an OACK carrying it, and RFC 2349
	 * lets the server omit an option */
	if ((rq->seen & TFTP_OPT_TSIZE) && size > 0)
		out->acked |= TFTP_OPT_TSIZE;
	/* the largest window granted; keep the memory a window needs bounded */
	out->max_window = maxw;
	cap = lim->max_window_bytes / out->blksize;
	if (lim->max_window_bytes && out->max_window > cap)
		out->max_window = cap ? cap : 1;
	if (rq->seen & TFTP_OPT_WINDOWSIZE) {
		out->windowsize = rq->windowsize < out->max_window
		                          ? rq->windowsize : out->max_window;
		out->acked |= TFTP_OPT_WINDOWSIZE;
	}
	/* Microsoft's variable window: only for the client's own magic value
	 * (anything else is not the extension); the hints in the ACKs then
	 * set each window, up to its own limit (the client adapts to loss,
	 * unlike RFC 7440 clients) and the window-bytes bound. */
	if (lim->max_msftwindow && (rq->seen & TFTP_OPT_MSFTWINDOW) &&
	    rq->msftwindow == TFTP_MSFT_CLIENT_MAGIC) {
		out->acked |= TFTP_OPT_MSFTWINDOW;
		out->msft = true;
		out->max_window = lim->max_msftwindow;
		if (lim->max_window_bytes && out->max_window > cap)
			out->max_window = cap ? cap : 1;
		if (out->windowsize > out->max_window)
			out->windowsize = out->max_window;
	}
	out->oack = out->acked != 0;
}

static size_t put_opt(uint8_t *buf, size_t cap, size_t off, const char *name,
                      uint64_t v)
{
	int n;

	if (off == 0 || off >= cap)
		return 0;
	n = snprintf((char *)buf + off, cap - off, "%s%c%llu", name, 0,
	             (unsigned long long)v);
	if (n < 0 || (size_t)n + 1 > cap - off)
		return 0;
	return off + (size_t)n + 1;
}

size_t tftp_build_oack(const struct tftp_params *p, uint8_t *buf, size_t cap)
{
	size_t off = 2;

	if (cap < 2)
		return 0;
	buf[0] = 0;
	buf[1] = TFTP_OACK;
	if (p->acked & TFTP_OPT_BLKSIZE)
		off = put_opt(buf, cap, off, "blksize", p->blksize);
	if (p->acked & TFTP_OPT_TIMEOUT)
		off = put_opt(buf, cap, off, "timeout", p->timeout_s);
	if (p->acked & TFTP_OPT_TSIZE)
		off = put_opt(buf, cap, off, "tsize", p->tsize);
	if (p->acked & TFTP_OPT_WINDOWSIZE)
		off = put_opt(buf, cap, off, "windowsize", p->windowsize);
	if (p->acked & TFTP_OPT_MSFTWINDOW)
		off = put_opt(buf, cap, off, "msftwindow", TFTP_MSFT_SERVER_MAGIC);
	return off;
}

size_t tftp_build_error(uint8_t *buf, size_t cap, int code, const char *msg)
{
	size_t mlen = strlen(msg);

	if (cap < 5)
		return 0;
	if (mlen > cap - 5)
		mlen = cap - 5;
	buf[0] = 0;
	buf[1] = TFTP_ERROR;
	buf[2] = (uint8_t)(code >> 8);
	buf[3] = (uint8_t)code;
	memcpy(buf + 4, msg, mlen);
	buf[4 + mlen] = 0;
	return 5 + mlen;
}

int tftp_errno_code(int err, const char **msg)
{
	switch (err) {
	case -ENOENT:
	case -ENOTDIR:
		*msg = "File not found";
		return TFTP_ENOTFOUND;
	case -EACCES:
	case -EPERM:
	case -EISDIR:
	case -EINVAL:
	case -ENAMETOOLONG:
	case -ELOOP:
	case -EXDEV:
		*msg = "Access violation";
		return TFTP_EACCESS;
	case -ENOMEM:
	case -EMFILE:
	case -ENFILE:
		*msg = "Server out of resources, try again";
		return TFTP_EUNDEF;
	default:
		*msg = "Cannot read file";
		return TFTP_EUNDEF;
	}
}
