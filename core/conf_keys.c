/* Key tables of the core's own config sections ([server] [boot] [access]
 * [log] [plugins]); the protocol modules declare [dhcp] [tftp] [http]. */
#include "pxehub/plugin.h"
#include "conf.h"

#ifndef PXH_STATEDIR
#define PXH_STATEDIR "/var/lib/pxehub"
#endif
#ifndef PXH_PLUGINDIR
#define PXH_PLUGINDIR "/usr/lib/pxehub/plugins"
#endif
#ifndef PXH_SYSCONFDIR
#define PXH_SYSCONFDIR "/etc"
#endif

#define SRV(m) PXH_CONF_BIND(struct pxh_server_conf, m)
#define BOOT(m) PXH_CONF_BIND(struct pxh_boot_conf, m)
#define ACC(m) PXH_CONF_BIND(struct pxh_access_conf, m)
#define LOGK(m) PXH_CONF_BIND(struct pxh_log_conf, m)
#define PLG(m) PXH_CONF_BIND(struct pxh_plugins_conf, m)

const pxh_conf_key pxh_server_keys[] = {
	{"listen", PXH_CONF_LIST, "", 0, 0, 0, NULL,
	 "interface names, IPv4 or IPv6 addresses to serve on (a link-local one with its interface: fe80::1%eth0); an interface stands for all its addresses; empty = every interface, both families (docs/ipv6.md)", SRV(listen)},
	{"server_ip", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "address advertised to clients; empty = the receiving interface's", SRV(server_ip)},
	{"fqdn", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "name in HTTPS URLs and the generated certificate; empty = host name", SRV(fqdn)},
	{"user", PXH_CONF_STRING, "pxehub", 0, 0, 0, NULL,
	 "user to run as after binding ports; empty = stay as started", SRV(user)},
	{"state_dir", PXH_CONF_PATH, PXH_STATEDIR, 0, 0, 0, NULL,
	 "writable directory for generated certificates and plugin state", SRV(state_dir)},
	{"workers", PXH_CONF_INT, "0", 0, 0, 16, NULL,
	 "event loops (threads) that serve HTTP and HTTPS, each on its own SO_REUSEPORT listener; DHCP, TFTP, decisions, plugins and the API stay on the main loop; 0 = one per CPU (at most 16), 1 = the main loop serves HTTP too; needs a restart", SRV(workers)},
	PXH_CONF_END,
};

const pxh_conf_key pxh_boot_keys[] = {
	{"loader_bios", PXH_CONF_STRING, "undionly.kpxe", 0, 0, 0, NULL,
	 "BIOS loader, relative to the TFTP root", BOOT(loader_bios)},
	{"loader_efi_x64", PXH_CONF_STRING, "snponly.efi", 0, 0, 0, NULL,
	 "x64 UEFI loader (arch 7 and 9), relative to the TFTP root", BOOT(loader_efi_x64)},
	{"loader_efi_ia32", PXH_CONF_STRING, "ipxe-ia32.efi", 0, 0, 0, NULL,
	 "IA32 UEFI loader (arch 6), relative to the TFTP root", BOOT(loader_efi_ia32)},
	{"loader_efi_arm64", PXH_CONF_STRING, "ipxe-arm64.efi", 0, 0, 0, NULL,
	 "ARM64 UEFI loader (arch 11), relative to the TFTP root", BOOT(loader_efi_arm64)},
	{"default_action", PXH_CONF_ENUM, "menu", 0, 0, 0, "menu|local|ignore",
	 "what happens when no plugin decides: the built-in menu, local disk, or no answer", BOOT(default_action)},
	{"decision_timeout", PXH_CONF_DURATION, "2s", 0, 10, 60000, NULL,
	 "deadline for the plugin chain; later answers are dropped and default_action applies", BOOT(decision_timeout_ms)},
	{"unknown_arch", PXH_CONF_ENUM, "ignore", 0, 0, 0, "ignore|bios|efi-x64",
	 "clients with an architecture pxehub has no loader for: ignore them or treat them as", BOOT(unknown_arch)},
	{"local_action", PXH_CONF_ENUM, "exit", 0, 0, 0, "exit|sanboot",
	 "how iPXE boots the local disk: exit to the firmware's next boot device, or sanboot the first hard disk (BIOS firmware that does not fall through)", BOOT(local_action)},
	{"menu_title", PXH_CONF_STRING, "pxehub boot menu", 0, 0, 0, NULL,
	 "title of the built-in iPXE menu", BOOT(menu_title)},
	{"menu_timeout", PXH_CONF_DURATION, "10s", 0, 0, 3600000, NULL,
	 "built-in menu: time before the default item (boot local disk) runs; 0 = wait", BOOT(menu_timeout_ms)},
	{"menu_dir", PXH_CONF_STRING, PXH_SYSCONFDIR "/pxehub/menu.d", 0, 0, 0, NULL,
	 "directory of NAME.ipxe files added to the built-in menu (label: the comment line after #!ipxe); empty = none", BOOT(menu_dir)},
	{"grub_prefixes", PXH_CONF_LIST, "/grub /debian-installer/amd64/grub /debian-installer/arm64/grub", 0, 0, 0, NULL,
	 "GRUB prefixes whose PREFIX/grub.cfg (TFTP and HTTP) is pxehub's generated first stage, which brings GRUB to /boot.grub; a grub.cfg file there is not served; empty = none", BOOT(grub_prefixes)},
	PXH_CONF_END,
};

const pxh_conf_key pxh_access_keys[] = {
	{"allow", PXH_CONF_LIST, "", 0, 0, 0, NULL,
	 "who is answered over DHCP, TFTP, /boot.ipxe and /files/: MAC prefixes, subnets or addresses, IPv4 or IPv6 (10.1.0.0/16, 2001:db8::/32, fe80::/10: the relay a request came through or the sender's own address, never a field the client fills in), architecture names, if:NAME, or all; empty = nobody", ACC(allow)},
	{"deny", PXH_CONF_LIST, "", 0, 0, 0, NULL,
	 "who is never answered, same forms as allow; deny wins", ACC(deny)},
	{"tftp", PXH_CONF_ENUM, "rules", 0, 0, 0, "rules|any",
	 "TFTP read requests: rules = allow/deny decide by the sender's address (MAC and architecture as the DHCP phase recorded them for it); any = every sender", ACC(tftp)},
	{"files", PXH_CONF_ENUM, "rules", 0, 0, 0, "rules|any",
	 "HTTP /files/ and /tftp/: rules = allow/deny decide by the TCP peer's address (MAC and architecture as the DHCP phase recorded them, never the query's mac=); any = every sender (sites that serve files to all)", ACC(files)},
	PXH_CONF_END,
};

const pxh_conf_key pxh_log_keys[] = {
	{"level", PXH_CONF_ENUM, "info", 0, 0, 0, "err|warning|notice|info|debug",
	 "lowest level logged", LOGK(level)},
	{"target", PXH_CONF_ENUM, "stderr", 0, 0, 0, "stderr|syslog",
	 "stderr (journald) or syslog(3)", LOGK(target)},
	{"event_queue", PXH_CONF_INT, "4096", 0, 16, 1000000, NULL,
	 "events queued for logging plugins before new ones are dropped and counted", LOGK(event_queue)},
	{"recent_clients", PXH_CONF_INT, "256", 0, 1, 100000, NULL,
	 "machines kept in the recent-boots history (/api/v1/clients)", LOGK(recent_clients)},
	{"series_interval", PXH_CONF_INT, "10", 0, 1, 3600, NULL,
	 "seconds between samples of the counters kept for the console's charts (360 samples: an hour at 10)", LOGK(series_interval)},
	PXH_CONF_END,
};

const pxh_conf_key pxh_plugins_keys[] = {
	{"dir", PXH_CONF_PATH, PXH_PLUGINDIR, 0, 0, 0, NULL,
	 "directory the plugin .so files are loaded from", PLG(dir)},
	{"conf_dir", PXH_CONF_PATH, PXH_SYSCONFDIR "/pxehub/plugins.d", 0, 0, 0, NULL,
	 "directory of NAME.conf files; [NAME] enabled = yes loads plugin NAME", PLG(conf_dir)},
	{"workers", PXH_CONF_INT, "4", 0, 1, 64, NULL,
	 "threads in the work pool for plugins' blocking back ends", PLG(workers)},
	PXH_CONF_END,
};

/* Keys every plugin section has, before its own. */
const pxh_conf_key pxh_plugin_common_keys[] = {
	{"enabled", PXH_CONF_BOOL, "no", 0, 0, 0, NULL, "load this plugin", PXH_CONF_UNBOUND},
	{"priority", PXH_CONF_INT, "100", 0, -1000000, 1000000, NULL,
	 "lower runs first in the decision chains", PXH_CONF_UNBOUND},
	PXH_CONF_END,
};

const struct pxh_section_schema pxh_server_section = {
	"server", pxh_server_keys, NULL, sizeof(struct pxh_server_conf), 0};
const struct pxh_section_schema pxh_boot_section = {
	"boot", pxh_boot_keys, NULL, sizeof(struct pxh_boot_conf), 0};
const struct pxh_section_schema pxh_access_section = {
	"access", pxh_access_keys, NULL, sizeof(struct pxh_access_conf), 0};
const struct pxh_section_schema pxh_log_section = {
	"log", pxh_log_keys, NULL, sizeof(struct pxh_log_conf), 0};
const struct pxh_section_schema pxh_plugins_section = {
	"plugins", pxh_plugins_keys, NULL, sizeof(struct pxh_plugins_conf), 0};
