/* sccm_mp_http: the management point's reply XML read with libxml2 (no
 * network, no entity expansion, no DTD): site facts from
 * MPKEYINFORMATIONMEDIA, ClientIDReply/Identification and PXEBootAction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "sccm_mp_http.h"

#define MP_XML_MAX (1u << 20)

static xmlDocPtr read_doc(const uint8_t *p, size_t len, char *why, size_t why_len)
{
	const char *enc = NULL;
	xmlDocPtr doc;

	if (len == 0 || len > MP_XML_MAX) {
		snprintf(why, why_len, "reply of %zu bytes", len);
		return NULL;
	}
	/* UTF-16 without a byte order mark: libxml2 only guesses it from "<?" */
	if (len >= 2 && !(p[0] == 0xff && p[1] == 0xfe) && !(p[0] == 0xfe && p[1] == 0xff)) {
		if (p[0] && !p[1])
			enc = "UTF-16LE";
		else if (!p[0] && p[1])
			enc = "UTF-16BE";
	}
	doc = xmlReadMemory((const char *)p, (int)len, "mp-reply.xml", enc,
	                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                            XML_PARSE_NOBLANKS);
	if (!doc || !xmlDocGetRootElement(doc)) {
		const xmlError *e = xmlGetLastError();
		snprintf(why, why_len, "reply is not XML%s%.100s", e && e->message ? ": " : "",
		         e && e->message ? e->message : "");
		why[strcspn(why, "\n")] = '\0';
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

static int named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcasecmp((const char *)n->name, name);
}

/* Depth-first search for the first element called NAME below (and at) N. */
static xmlNodePtr find_el(xmlNodePtr n, const char *name, int depth)
{
	for (; n && depth < 32; n = n->next) {
		xmlNodePtr hit;
		if (named(n, name))
			return n;
		if (n->type == XML_ELEMENT_NODE && (hit = find_el(n->children, name, depth + 1)))
			return hit;
	}
	return NULL;
}

/* Text of N's children, or the attribute NAME: trimmed, control
 * characters refused, copied into OUT.  0 absent-or-copied; -EINVAL too long
 * or not printable. */
static int take_text(xmlChar *v, char *out, size_t len)
{
	const char *s = (const char *)v;
	size_t n;
	int rc = 0;

	out[0] = '\0';
	if (!v)
		return 0;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n >= len) {
		rc = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			rc = -EINVAL;
			goto out;
		}
	memcpy(out, s, n);
	out[n] = '\0';
out:
	xmlFree(v);
	return rc;
}

static int attr(xmlNodePtr n, const char *name, char *out, size_t len)
{
	/* attribute names compared case-insensitively (replies differ) */
	for (xmlAttrPtr a = n->properties; a; a = a->next)
		if (!strcasecmp((const char *)a->name, name))
			return take_text(xmlNodeGetContent((xmlNodePtr)a), out, len);
	out[0] = '\0';
	return 0;
}

static int child_text(xmlNodePtr n, const char *name, char *out, size_t len)
{
	xmlNodePtr c = n ? find_el(n->children, name, 0) : NULL;

	out[0] = '\0';
	return c ? take_text(xmlNodeGetContent(c), out, len) : 0;
}

static int flag(const char *s, int *out)
{
	if (!*s || !strcmp(s, "0") || !strcasecmp(s, "false"))
		*out = 0;
	else if (!strcmp(s, "1") || !strcasecmp(s, "true"))
		*out = 1;
	else
		return -EINVAL;
	return 0;
}

static int number(const char *s, long long *out)
{
	char *end;

	*out = 0;
	if (!*s)
		return 0;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end || *out < 0 ? -EINVAL : 0;
}

/* An identifier that must be a package id when present. */
static int id_attr(xmlNodePtr n, const char *name, char *out)
{
	int rc = attr(n, name, out, SCCM_ID_MAX);

	if (!rc && out[0] && !sccm_valid_id(out))
		rc = -EINVAL;
	return rc;
}

int mp_parse_site(const uint8_t *p, size_t len, struct mp_site *out, char *why,
                  size_t why_len)
{
	xmlDocPtr doc = read_doc(p, len, why, why_len);
	xmlNodePtr root, n;
	int rc = -EBADMSG;

	memset(out, 0, sizeof(*out));
	if (!doc)
		return -EBADMSG;
	root = xmlDocGetRootElement(doc);
	n = find_el(root, "SITECODE", 0);
	if (!n || take_text(xmlNodeGetContent(n), out->site_code, sizeof(out->site_code)) ||
	    !sccm_valid_id(out->site_code)) {
		snprintf(why, why_len, "no valid SITECODE in the key information");
		goto out;
	}
	/* the unknown-machine GUIDs: attributes of UNKNOWNMACHINES (or of any
	 * element), or elements of their own */
	for (int pass = 0; pass < 2; pass++) {
		const char *name = pass ? "x64UnknownMachineGUID" : "x86UnknownMachineGUID";
		char *dst = pass ? out->unknown_x64 : out->unknown_x86;
		size_t dlen = pass ? sizeof(out->unknown_x64) : sizeof(out->unknown_x86);
		xmlNodePtr um = find_el(root, "UNKNOWNMACHINES", 0);

		if (um && attr(um, name, dst, dlen))
			goto bad_guid;
		if (!dst[0] && (n = find_el(root, name, 0)) &&
		    take_text(xmlNodeGetContent(n), dst, dlen))
			goto bad_guid;
	}
	rc = 0;
	goto out;
bad_guid:
	snprintf(why, why_len, "unknown-machine GUID too long or not printable");
out:
	xmlFreeDoc(doc);
	return rc;
}

static int parse_ident(xmlNodePtr id, struct mp_ident *o, char *why, size_t why_len)
{
	char v[32];
	xmlNodePtr m = find_el(id->children, "Machine", 0);

	if (attr(id, "Unknown", v, sizeof(v)) || flag(v, &o->unknown)) {
		snprintf(why, why_len, "Identification: bad Unknown");
		return -EBADMSG;
	}
	if (attr(id, "ItemKey", v, sizeof(v)) || number(v, &o->item_key)) {
		snprintf(why, why_len, "Identification: bad ItemKey");
		return -EBADMSG;
	}
	if (attr(id, "DuplicateSMBIOS", v, sizeof(v)) || flag(v, &o->dup_smbios) ||
	    attr(id, "DuplicateMACAddress", v, sizeof(v)) || flag(v, &o->dup_mac)) {
		snprintf(why, why_len, "Identification: bad Duplicate flag");
		return -EBADMSG;
	}
	if (child_text(m, "ClientID", o->client_id, sizeof(o->client_id)) ||
	    child_text(m, "NetbiosName", o->name, sizeof(o->name))) {
		snprintf(why, why_len, "Identification: bad ClientID or NetbiosName");
		return -EBADMSG;
	}
	return 0;
}

static int parse_action(xmlNodePtr n, struct mp_action *o, char *why, size_t why_len)
{
	char v[32];

	if (id_attr(n, "OfferID", o->offer_id) || id_attr(n, "PkgID", o->pkg_id) ||
	    id_attr(n, "BootImageID", o->boot_image) ||
	    id_attr(n, "LastPXEAdvertisementID", o->last_offer)) {
		snprintf(why, why_len, "PXEBootAction: bad OfferID, PkgID or BootImageID");
		return -EBADMSG;
	}
	if (attr(n, "PackagePath", o->package_path, sizeof(o->package_path))) {
		snprintf(why, why_len, "PXEBootAction: bad PackagePath");
		return -EBADMSG;
	}
	if (attr(n, "Mandatory", v, sizeof(v)) || flag(v, &o->mandatory)) {
		snprintf(why, why_len, "PXEBootAction: bad Mandatory");
		return -EBADMSG;
	}
	if (attr(n, "OfferIDTime", o->offer_time, sizeof(o->offer_time)))
		o->offer_time[0] = '\0'; /* only for ordering; ignore odd ones */
	o->present = o->offer_id[0] != '\0';
	return 0;
}

int mp_parse_reply(const uint8_t *p, size_t len, struct mp_reply *out, char *why,
                   size_t why_len)
{
	xmlDocPtr doc = read_doc(p, len, why, why_len);
	xmlNodePtr root, id, act;
	int rc = -EBADMSG;

	memset(out, 0, sizeof(*out));
	if (!doc)
		return -EBADMSG;
	root = xmlDocGetRootElement(doc);
	id = find_el(root, "Identification", 0);
	act = find_el(root, "PXEBootAction", 0);
	if (!named(root, "ClientIDReply") && !named(root, "PXEBootAction") && !id && !act) {
		snprintf(why, why_len, "reply <%.40s> has no ClientIDReply or PXEBootAction",
		         (const char *)root->name);
		goto out;
	}
	if (id) {
		out->has_ident = 1;
		if (parse_ident(id, &out->ident, why, why_len))
			goto out;
	}
	if (act && parse_action(act, &out->action, why, why_len))
		goto out;
	rc = 0;
out:
	xmlFreeDoc(doc);
	return rc;
}
