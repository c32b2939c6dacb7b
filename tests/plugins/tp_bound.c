/*
 * Test plugin: config through bound structs only (PXH_CONF_BIND).  Each
 * [tp_bound.NAME] lists MACs (macs) that get "boot" with that section's
 * loader, else [tp_bound] loader; other clients "next".  The reason says
 * which section answered and [tp_bound] tag.  With typo = yes, init reads a
 * key the table does not declare ("loadr"): the test kit must fail on it.
 *
 *   [tp_bound]
 *   enabled = yes
 *   loader = main.efi
 *   [tp_bound.lab]
 *   macs = 52:54:00:00:00:01
 *   loader = lab.efi
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <pxehub/plugin.h>

struct tb_conf {
	const char *loader;
	const char *tag;
	bool typo;
	double wait_s;
};

struct tb_sub {
	pxh_conf_list macs;
	const char *loader; /* "" = [tp_bound] loader */
	int weight;
};

static enum pxh_verdict tb_decide(void *ud, const pxh_client *c, pxh_answer *a,
                                  pxh_request *req)
{
	pxh_host *h = ud;
	const struct tb_conf *cf = pxh_conf_struct(h, NULL);

	for (size_t i = 0; i < pxh_conf_sub_count(h); i++) {
		const char *name = pxh_conf_sub_name(h, i);
		const struct tb_sub *s = pxh_conf_struct(h, name);
		char why[128];

		for (size_t j = 0; j < s->macs.n; j++) {
			if (strcasecmp(s->macs.v[j], c->mac))
				continue;
			pxh_answer_set_loader(a, *s->loader ? s->loader : cf->loader);
			snprintf(why, sizeof(why), "section %s weight %d tag %s wait %.1f", name,
			         s->weight, cf->tag, cf->wait_s);
			pxh_answer_set_reason(a, why);
			return PXH_BOOT;
		}
	}
	return PXH_NEXT;
}

static int tb_init(pxh_host *h, void **state)
{
	const struct tb_conf *cf = pxh_conf_struct(h, NULL);

	if (cf->typo)
		pxh_log(h, PXH_LOG_INFO, NULL, "loadr=%s", pxh_conf_str(h, NULL, "loadr"));
	*state = NULL;
	return pxh_register_boot_decision(h, tb_decide, h, NULL);
}

#define B(m) PXH_CONF_BIND(struct tb_conf, m)
#define S(m) PXH_CONF_BIND(struct tb_sub, m)
static const pxh_conf_key tb_keys[] = {
	{"loader", PXH_CONF_STRING, "main.efi", 0, 0, 0, NULL, "loader", B(loader)},
	{"tag", PXH_CONF_STRING, "none", 0, 0, 0, NULL, "reason tag", B(tag)},
	{"typo", PXH_CONF_BOOL, "no", 0, 0, 0, NULL, "read an undeclared key", B(typo)},
	{"wait", PXH_CONF_DURATION, "1500ms", 0, 0, 60000, NULL, "shown", B(wait_s)},
	PXH_CONF_END,
};
static const pxh_conf_key tb_sub_keys[] = {
	{"macs", PXH_CONF_LIST, NULL, PXH_CONF_REQUIRED, 0, 0, NULL, "MACs", S(macs)},
	{"loader", PXH_CONF_STRING, "", 0, 0, 0, NULL, "loader", S(loader)},
	{"weight", PXH_CONF_INT, "7", 0, 0, 100, NULL, "shown", S(weight)},
	PXH_CONF_END,
};

PXH_PLUGIN(.name = "tp_bound", .version = "1", .keys = tb_keys, .sub_keys = tb_sub_keys,
           .conf_size = sizeof(struct tb_conf), .sub_conf_size = sizeof(struct tb_sub),
           .init = tb_init);
