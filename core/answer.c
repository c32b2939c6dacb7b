/* Decision answers: what a plugin (or the default) tells a client. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "pxehub/plugin.h"
#include "answer.h"
#include "log.h"
#include "server.h"

void pxh_answer_init(struct pxh_answer *a, struct pxh_server *s,
                     const pxh_client *c)
{
	memset(a, 0, sizeof(*a));
	a->srv = s;
	a->client = c;
}

void pxh_answer_clear(struct pxh_answer *a)
{
	free(a->loader);
	free(a->next_server);
	for (size_t i = 0; i < a->n_opts; i++)
		free(a->opts[i].data);
	free(a->opts);
	free(a->script);
	free(a->reason);
	free(a->unrendered);
	a->loader = a->next_server = a->script = a->reason = NULL;
	a->unrendered = NULL;
	a->grub_items = 0;
	a->opts = NULL;
	a->n_opts = 0;
	a->script_len = a->script_cap = 0;
	a->ttl = 0;
	a->menu_open = false;
}

static int set_str(char **dst, const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

int pxh_answer_copy(struct pxh_answer *dst, const struct pxh_answer *src)
{
	struct pxh_server *s = dst->srv;
	const pxh_client *c = dst->client;

	pxh_answer_clear(dst);
	dst->srv = s;
	dst->client = c;
	if (set_str(&dst->loader, src->loader) ||
	    set_str(&dst->next_server, src->next_server) ||
	    set_str(&dst->reason, src->reason) ||
	    set_str(&dst->unrendered, src->unrendered))
		return -ENOMEM;
	for (size_t i = 0; i < src->n_opts; i++)
		if (pxh_answer_add_option(dst, src->opts[i].code, src->opts[i].data,
		                          src->opts[i].len))
			return -ENOMEM;
	if (src->script && pxh_answer_set_script(dst, src->script))
		return -ENOMEM;
	dst->ttl = src->ttl;
	return 0;
}

int pxh_answer_set_loader(pxh_answer *a, const char *path_or_url)
{
	if (!path_or_url || !*path_or_url || strlen(path_or_url) > 1024)
		return -EINVAL;
	return set_str(&a->loader, path_or_url);
}

int pxh_answer_set_next_server(pxh_answer *a, const char *ipv4)
{
	struct in_addr ia;

	if (!ipv4 || inet_pton(AF_INET, ipv4, &ia) != 1)
		return -EINVAL;
	return set_str(&a->next_server, ipv4);
}

int pxh_answer_add_option(pxh_answer *a, uint8_t code, const void *data,
                          size_t len)
{
	struct pxh_dhcp_opt *n;
	int rc = 0;
	const char *why = NULL;

	/* Refused with a distinct -errno and a logged reason (plugin.h). */
	if (code == 0 || code == 255)
		rc = -EINVAL, why = "pad and end are not options";
	else if (len && !data)
		rc = -EINVAL, why = "no data";
	else if (code == 53 || code == 54 || code == 82)
		rc = -EPERM, why = "the server sets it itself (message type, server identifier, relay agent information)";
	else if (len > PXH_ANSWER_OPTION_MAX)
		rc = -EMSGSIZE, why = "longer than 1024 bytes";
	if (rc) {
		pxh_logf(PXH_LOG_WARNING, a ? a->client : NULL,
		         "answer: DHCP option %u (%zu bytes) refused: %s", code, len, why);
		return rc;
	}
	n = realloc(a->opts, (a->n_opts + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	a->opts = n;
	n = &a->opts[a->n_opts];
	memset(n, 0, sizeof(*n));
	n->code = code;
	n->len = (uint16_t)len;
	n->data = malloc(len ? len : 1);
	if (!n->data)
		return -ENOMEM;
	if (len)
		memcpy(n->data, data, len);
	a->n_opts++;
	return 0;
}

static int script_reserve(struct pxh_answer *a, size_t more)
{
	size_t need = a->script_len + more + 1;
	char *n;

	if (need <= a->script_cap)
		return 0;
	if (need > 4u << 20)
		return -E2BIG;
	need = need < 256 ? 256 : need * 2;
	n = realloc(a->script, need);
	if (!n)
		return -ENOMEM;
	a->script = n;
	a->script_cap = need;
	return 0;
}

int pxh_answer_set_script(pxh_answer *a, const char *ipxe_script)
{
	a->script_len = 0;
	if (a->script)
		a->script[0] = 0;
	return pxh_answer_append_script(a, "%s", ipxe_script ? ipxe_script : "");
}

int pxh_answer_append_script(pxh_answer *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	int rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	rc = script_reserve(a, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(a->script + a->script_len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	a->script_len += (size_t)n;
	return 0;
}

int pxh_answer_set_reason(pxh_answer *a, const char *why)
{
	return set_str(&a->reason, why);
}

int pxh_answer_set_ttl(pxh_answer *a, unsigned seconds)
{
	a->ttl = seconds;
	return 0;
}

const char *pxh_verdict_name(enum pxh_verdict v)
{
	switch (v) {
	case PXH_NEXT: return "next";
	case PXH_BOOT: return "boot";
	case PXH_LOCAL: return "local";
	case PXH_IGNORE: return "ignore";
	case PXH_DEFERRED: return "deferred";
	}
	return "unknown";
}

/* The one name of each phase (logs, events, the facts JSON); "unknown"
 * for a value that is none of them. */
const char *pxh_phase_name(enum pxh_phase p)
{
	switch (p) {
	case PXH_PHASE_DHCP: return "dhcp";
	case PXH_PHASE_IPXE: return "ipxe";
	case PXH_PHASE_TFTP: return "tftp";
	case PXH_PHASE_HTTP: return "http";
	}
	return "unknown";
}

int pxh_client_boot_program(const pxh_client *c)
{
	if (!c)
		return PXH_BOOT_PROGRAM_NONE;
	if (c->is_ipxe)
		return PXH_BOOT_PROGRAM_IPXE;
	/* the core sets this user class itself when GRUB fetches /boot.grub;
	 * in the DHCP phase a client's option 77 says nothing of the kind */
	if (c->phase == PXH_PHASE_IPXE && !strcmp(c->user_class, "GRUB"))
		return PXH_BOOT_PROGRAM_GRUB;
	return PXH_BOOT_PROGRAM_NONE;
}

const char *pxh_boot_program_name(int bp)
{
	switch (bp) {
	case PXH_BOOT_PROGRAM_IPXE: return "ipxe";
	case PXH_BOOT_PROGRAM_GRUB: return "grub";
	}
	return "";
}
