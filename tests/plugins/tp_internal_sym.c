/*
 * Test plugin: calls pxh_dhcp_arch_normalise, a function of pxehub's core
 * that is not in the SDK (the call a third party made in issue 21, with
 * only an implicit-declaration warning).  pxehubd exports only the SDK's
 * functions, so loading must fail, naming the symbol; init never runs.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tp.h"

uint16_t pxh_dhcp_arch_normalise(uint16_t raw); /* internal: not in plugin.h */

static int tp_init(pxh_host *h, void **state)
{
	(void)h;
	(void)state;
	if (pxh_dhcp_arch_normalise(9) != 7)
		abort();
	abort(); /* never reached: the plugin must not load */
}

TP_DESCRIPTOR = {
	TP_VALID_HEAD,
	.name = "tp_internal_sym",
	.version = "1",
	.init = tp_init,
};
