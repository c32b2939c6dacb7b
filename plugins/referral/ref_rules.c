/* referral: the rules' static referrals: a proxyDHCP answer naming another
 * server, and an iPXE script chaining to the upstream boot.ipxe URLs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "referral.h"

/* pxh_client_match() takes "efi-x64" for a MAC prefix (it has a '-'), so
 * architecture names are compared here first. */
static bool rule_item_matches(const pxh_client *c, const char *item)
{
	return (c->arch_name[0] && !strcasecmp(item, c->arch_name)) ||
	       pxh_client_match(c, item);
}

struct rule *ref_match(struct ref *r, const pxh_client *c, enum ref_phase ph)
{
	for (size_t i = 0; i < r->n_rules; i++) {
		struct rule *ru = &r->rules[i];
		if (!(ru->phase & ph))
			continue;
		for (size_t j = 0; j < ru->match->n; j++)
			if (rule_item_matches(c, ru->match->v[j]))
				return ru;
	}
	return NULL;
}

/* KEY=VAL appended to the query, VAL with RFC 3986 unreserved characters
 * (and ':', as in a MAC) kept and everything else %XX; nothing for an empty
 * VAL.  iPXE scripts treat no character of the result specially ('$',
 * quotes and spaces are escaped). */
static int url_add(char *buf, size_t len, size_t *o, const char *key,
                   const char *val)
{
	static const char hex[] = "0123456789ABCDEF";
	int n;

	if (!val || !*val)
		return 0;
	n = snprintf(buf + *o, len - *o, "%s%s=", strchr(buf, '?') ? "&" : "?", key);
	if (n < 0 || (size_t)n >= len - *o)
		return -ENAMETOOLONG;
	*o += (size_t)n;
	for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
		if (*o + 4 > len)
			return -ENAMETOOLONG;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~:", *p)) {
			buf[(*o)++] = (char)*p;
		} else {
			buf[(*o)++] = '%';
			buf[(*o)++] = hex[*p >> 4];
			buf[(*o)++] = hex[*p & 15];
		}
	}
	buf[*o] = 0;
	return 0;
}

int ref_facts_url(const char *base, const pxh_client *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s", base);
	size_t o;
	int rc = 0;

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	o = (size_t)n;
	/* the names pxehub's /boot.ipxe takes (and its stage-one script sends) */
	rc = url_add(buf, len, &o, "mac", c->mac);
	if (!rc)
		rc = url_add(buf, len, &o, "uuid", c->uuid);
	if (!rc)
		rc = url_add(buf, len, &o, "arch", c->buildarch);
	if (!rc)
		rc = url_add(buf, len, &o, "platform", c->platform);
	if (!rc)
		rc = url_add(buf, len, &o, "manufacturer", c->manufacturer);
	if (!rc)
		rc = url_add(buf, len, &o, "product", c->product);
	if (!rc)
		rc = url_add(buf, len, &o, "serial", c->serial);
	if (!rc)
		rc = url_add(buf, len, &o, "asset", c->asset);
	return rc;
}

enum pxh_verdict ref_all_down(struct ref *r, const struct rule *ru,
                              const pxh_client *c, const char *what,
                              const char *last)
{
	r->all_down++;
	ref_emit(r, c, PXH_LOG_WARNING, pxh_verdict_name(r->on_all_down), NULL,
	         "rule %s: every %s is down%s%s%s: %s", ru->name, what,
	         last && *last ? " (last: " : "", last && *last ? last : "",
	         last && *last ? ")" : "",
	         r->on_all_down == PXH_NEXT ? "default applies"
	         : r->on_all_down == PXH_LOCAL ? "on_all_down = local"
	                                       : "on_all_down = ignore");
	return r->on_all_down;
}

static struct upstream *first_usable(struct ref *r, const struct rule *ru)
{
	for (size_t i = 0; i < ru->n_scripts; i++)
		if (ups_usable(r, ru->scripts[i]))
			return ru->scripts[i];
	return NULL;
}

const char *ref_last_error(struct upstream *const *v, size_t n, char *buf,
                           size_t len)
{
	buf[0] = 0;
	for (size_t i = n; i-- > 0;)
		if (v[i]->last_error[0]) {
			snprintf(buf, len, "%.120s: %.120s", v[i]->url, v[i]->last_error);
			break;
		}
	return buf;
}

/* DHCP phase: iPXE gets the first usable upstream boot.ipxe URL (it comes
 * back there for its facts), firmware gets next_server and the loader. */
enum pxh_verdict ref_decide_dhcp(void *ud, const pxh_client *c, pxh_answer *a,
                                 pxh_request *req)
{
	struct ref *r = ud;
	struct rule *ru = ref_match(r, c, REF_DHCP);
	char why[200], url[REF_URL_MAX + 64], last[256];
	int rc;

	if (!ru)
		return PXH_NEXT;
	if (ru->n_services)
		return ref_ask_service(r, ru, PXH_PHASE_DHCP, c, req);
	if (c->is_ipxe) {
		struct upstream *u = first_usable(r, ru);

		if (!ru->n_scripts)
			return PXH_NEXT;
		if (!u)
			return ref_all_down(r, ru, c, "upstream boot script",
			                    ref_last_error(ru->scripts, ru->n_scripts,
			                                   last, sizeof(last)));
		rc = pxh_answer_set_loader(a, u->url);
		snprintf(why, sizeof(why), "referral rule %.32s: iPXE sent to %.110s", ru->name, u->url);
	} else {
		if (!*ru->next_server)
			return PXH_NEXT;
		rc = pxh_answer_set_next_server(a, ru->next_server);
		if (!rc && c->is_http_boot) {
			/* an HTTP-boot client needs a URL: the other pxehub serves
			 * its TFTP root under /tftp/ */
			if (!*ru->loader) {
				pxh_log(r->h, PXH_LOG_INFO, c,
				        "rule %s: HTTP-boot client and no loader set: not referred",
				        ru->name);
				return PXH_NEXT;
			}
			if (strstr(ru->loader, "://"))
				snprintf(url, sizeof(url), "%s", ru->loader);
			else
				snprintf(url, sizeof(url), "http://%s/tftp/%s",
				         ru->next_server,
				         ru->loader + strspn(ru->loader, "/"));
			rc = pxh_answer_set_loader(a, url);
		} else if (!rc && *ru->loader) {
			rc = pxh_answer_set_loader(a, ru->loader);
		}
		snprintf(why, sizeof(why), "referral rule %s: sent to %s", ru->name,
		         ru->next_server);
	}
	if (rc) {
		pxh_log(r->h, PXH_LOG_WARNING, c, "rule %s: answer refused: %s",
		        ru->name, strerror(-rc));
		return PXH_NEXT;
	}
	pxh_answer_set_reason(a, why);
	r->referred_dhcp++;
	return PXH_BOOT;
}

/* iPXE phase: a script chaining to every usable upstream in order, with the
 * client's facts; iPXE itself moves on when one does not answer. */
enum pxh_verdict ref_decide_ipxe(void *ud, const pxh_client *c, pxh_answer *a,
                                 pxh_request *req)
{
	struct ref *r = ud;
	struct rule *ru = ref_match(r, c, REF_IPXE);
	char url[2048], why[160], last[256];
	size_t n = 0;
	int rc;

	if (!ru)
		return PXH_NEXT;
	if (ru->n_services)
		return ref_ask_service(r, ru, PXH_PHASE_IPXE, c, req);
	if (!ru->n_scripts)
		return PXH_NEXT;
	rc = pxh_answer_set_script(a, "#!ipxe\n");
	for (size_t i = 0; !rc && i < ru->n_scripts; i++) {
		if (!ups_usable(r, ru->scripts[i]))
			continue;
		rc = ref_facts_url(ru->scripts[i]->url, c, url, sizeof(url));
		if (!rc)
			rc = pxh_answer_append_script(a, "%schain --autofree %s",
			                              n ? " || " : "", url);
		n++;
	}
	if (!rc && !n) {
		pxh_answer_set_script(a, "");
		return ref_all_down(r, ru, c, "upstream boot script",
		                    ref_last_error(ru->scripts, ru->n_scripts, last,
		                                   sizeof(last)));
	}
	/* a chained script that returns (exit: local disk) ends ours too */
	if (!rc)
		rc = pxh_answer_append_script(a, " || goto referral_failed\nexit\n"
		                              ":referral_failed\n"
		                              "echo referral: no upstream answered\n"
		                              "exit 1\n");
	if (rc) {
		pxh_log(r->h, PXH_LOG_WARNING, c, "rule %s: script refused: %s",
		        ru->name, strerror(-rc));
		return PXH_NEXT;
	}
	snprintf(why, sizeof(why), "referral rule %s: chained to %zu upstream(s)",
	         ru->name, n);
	pxh_answer_set_reason(a, why);
	r->referred_ipxe++;
	return PXH_BOOT;
}
