/*
 * Test plugin: just after init (a timer), emits one event the way a careless
 * plugin might:
 * severity left 0, and every text field filled to its last byte with no
 * NUL.  The core must hand on an event whose texts end inside their fields
 * and whose severity is info.
 *
 *   [tp_raw_event]
 *   enabled = yes
 */
#include <string.h>

#include "tp.h"

#define FILL(f) memset((f), 'x', sizeof(f))

static void raw_emit(void *ud)
{
	pxh_host *h = ud;
	pxh_event ev;
	pxh_client cl;

	memset(&ev, 0, sizeof(ev));
	memset(&cl, 0, sizeof(cl));
	cl.struct_size = sizeof(cl);
	ev.client = &cl;
	ev.struct_size = sizeof(ev);
	ev.kind = PXH_EV_PLUGIN;
	ev.severity = 0; /* left unset */
	FILL(ev.action);
	FILL(ev.file);
	FILL(ev.plugin);
	FILL(ev.message);
	FILL(cl.mac);
	FILL(cl.uuid);
	FILL(cl.vendor_class);
	FILL(cl.serial);
	pxh_event_emit(h, &ev);
}

static int raw_init(pxh_host *h, void **state)
{
	(void)state;
	return pxh_timer_start(h, 0.01, 0, raw_emit, h) ? 0 : -1;
}

TP_DESCRIPTOR = {
	TP_VALID_HEAD,
	.name = "tp_raw_event",
	.version = "1",
	.init = raw_init,
};
