/* Test plugin: a key table that does not fit its struct (a list bound to
 * an int); the core must refuse to load it, naming the key. */
#include <pxehub/plugin.h>

struct bb_conf {
	int count;
};

static int bb_init(pxh_host *h, void **state)
{
	*state = NULL;
	return 0;
}

static const pxh_conf_key bb_keys[] = {
	{"count", PXH_CONF_LIST, "", 0, 0, 0, NULL, "wrongly bound",
	 PXH_CONF_BIND(struct bb_conf, count)},
	PXH_CONF_END,
};

PXH_PLUGIN(.name = "tp_bad_bind", .version = "1", .keys = bb_keys,
           .conf_size = sizeof(struct bb_conf), .init = bb_init);
