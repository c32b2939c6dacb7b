/* DEPRECATED umbrella: includes every core module header.  Core code
 * includes the specific headers it uses (log.h, conf.h, events.h, ...; see
 * docs/HACKING.md "Core headers"); this file stays only so code written
 * before the split still builds, and goes away once nothing includes it. */
#ifndef PXEHUB_CORE_H
#define PXEHUB_CORE_H

#include "str.h"
#include "server.h"
#include "log.h"
#include "conf.h"
#include "counters.h"
#include "access.h"
#include "answer.h"
#include "decide.h"
#include "events.h"
#include "clients.h"
#include "series.h"
#include "listening.h"
#include "files.h"
#include "plugins.h"
#include "workpool.h"
#include "addr_limit.h"
#include "arch.h"
#include "dhcp_options.h"
#include "server_addr.h"
#include "ipxe_script.h"
#include "dhcp/dhcp_module.h"
#include "tftp/tftp_module.h"
#include "http/http_module.h"
#include "grub_script.h"
#include "http/grub_stage.h"

#endif /* PXEHUB_CORE_H */
