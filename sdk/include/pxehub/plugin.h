/* pxehub plugin API: the only header a pxehub plugin includes. */
#ifndef PXEHUB_PLUGIN_H
#define PXEHUB_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ABI changelog (append a line for every minor; never edit a released one)
 *
 * 1.0  The frozen set (descriptor with PXH_PLUGIN_MAGIC).  Everything this
 *      header declares as of 1.0: the descriptor, key tables, the boot
 *      decision (DHCP phase) and boot script (script phase: iPXE and GRUB)
 *      hooks, pxh_client_boot_program()/pxh_boot_program_name(),
 *      pxh_grub_quote(), the pxh_script_* helpers (iPXE and GRUB), typed
 *      config binding (PXH_CONF_BIND, conf_size, pxh_conf_struct), event,
 *      report, file resolver and HTTP route hooks, the answer format parser,
 *      pxh_client_json(), config getters, server facts, logging, timers, fd
 *      and child watches, the work pool.  Plugins built before the freeze
 *      (the draft "1.0"/"1.1" headers, whose pxh_event embedded pxh_client)
 *      have no magic and are refused with a message saying to rebuild.
 * 1.1  IPv6 (docs/ipv6.md): pxh_client gains duid and link_addr at its
 *      end; ip, relay and server_ip may hold IPv6 text ("2001:db8::5",
 *      link-local without a zone: the interface is iface);
 *      pxh_client_match takes IPv6 prefixes ("2001:db8::/32", "fe80::/10").
 *      Contracts written down: pxh_answer_add_option's refusals (distinct
 *      -errno, PXH_ANSWER_OPTION_MAX), pxh_client_option's 4-slot ring,
 *      completing a request inside the decision hook, errno from
 *      pxh_timer_start/pxh_io_watch, pxh_child_watch not cancellable;
 *      pxh_init_error() (a reason for a failing init).
 *
 * ABI rules
 * - A plugin is accepted when its descriptor starts with PXH_PLUGIN_MAGIC,
 *   its abi_major equals PXH_ABI_MAJOR and its abi_minor is <= the core's.
 *   A newer minor only appends: fields at the end of a public struct, new
 *   functions, new enum values.  Nothing is removed, moved or changes type.
 * - Every public struct starts with its size (struct_size; the descriptor
 *   with magic, version and size) and no public struct embeds another by
 *   value: pxh_event points at its pxh_client (ev->client), so pxh_client
 *   can grow without moving a field of pxh_event.  Arrays a plugin hands
 *   over (key tables) are walked with the element size the plugin was built
 *   with (the descriptor's conf_key_size), so pxh_conf_key can grow too.
 * - Structs the core hands to a plugin are at least as large as the
 *   plugin's view of them; structs a plugin hands to the core (events,
 *   files, wimboot, HTTP responses, clients it built itself) are read only
 *   up to their struct_size, the rest counts as zero/empty.  Set
 *   struct_size = sizeof(...) in every struct you fill.
 * - A new hook kind is a new function and a minor bump; a signature never
 *   changes.
 * - pxehubd exports exactly the functions declared here (and in
 *   testkit.h for the test kit): a plugin that calls anything else fails to
 *   load with "undefined symbol NAME (not part of the plugin SDK)".
 *
 * Threading contract
 * - Every hook, timer, fd watch, child watch and work "done" callback runs on
 *   the core's single loop thread.  They must not block: use the work pool
 *   for anything that may (database clients, slow file systems).
 * - A work function (pxh_work_submit) runs on a pool thread.  From there only
 *   pxh_log(), pxh_conf_*() and pxh_now() may be called.
 * - A plugin without PXH_PLUGIN_THREAD_SAFE gets its work functions run one
 *   at a time (never two of its work items in parallel).
 * - A plugin is never unloaded (reload, stop) while a deferred request or a
 *   work item of it is pending; fini() runs after the last one completed.
 * - Completing a request never calls back into you: pxh_request_complete()
 *   records the verdict and returns; the next plugin's hook and the
 *   server's answer run from the loop afterwards, never on your stack.  So
 *   you may complete from inside the decision hook (then return
 *   PXH_DEFERRED), a timer, an fd watch, a work item's done, or while
 *   walking your own lists.  Once completed the request is the core's: do
 *   not touch it again (a second completion is refused, logged and counted
 *   in pxehub_plugin_completed_twice_total).
 */

#define PXH_ABI_MAJOR 1
#define PXH_ABI_MINOR 1
/* First field of every 1.x descriptor since the freeze ("PXH1"). */
#define PXH_PLUGIN_MAGIC 0x50584831u

#define PXH_EXPORT __attribute__((visibility("default")))

/* ---- opaque handles ---------------------------------------------------- */
typedef struct pxh_host pxh_host;       /* one per loaded plugin */
typedef struct pxh_request pxh_request; /* one decision in progress */
typedef struct pxh_answer pxh_answer;   /* what a decision answers */
typedef struct pxh_timer pxh_timer;
typedef struct pxh_io pxh_io;
typedef struct pxh_report pxh_report;

/* ---- logging ----------------------------------------------------------- */
enum pxh_log_level {
	PXH_LOG_ERR = 3,
	PXH_LOG_WARNING = 4,
	PXH_LOG_NOTICE = 5,
	PXH_LOG_INFO = 6,
	PXH_LOG_DEBUG = 7,
};

/* ---- client facts ------------------------------------------------------ */
enum pxh_phase {
	PXH_PHASE_DHCP = 1, /* firmware (or iPXE) DHCP / proxyDHCP / 4011 */
	PXH_PHASE_IPXE = 2, /* iPXE fetching /boot.ipxe */
	PXH_PHASE_TFTP = 3, /* file requests (resolver hook) */
	PXH_PHASE_HTTP = 4,
};

/* Client architecture, normalised from option 93 (IANA registry). */
enum pxh_arch {
	PXH_ARCH_BIOS = 0,
	PXH_ARCH_EFI_IA32 = 6,
	PXH_ARCH_EFI_X64 = 7, /* 7 and 9 from the wire both map here */
	PXH_ARCH_EFI_ARM32 = 10,
	PXH_ARCH_EFI_ARM64 = 11,
	PXH_ARCH_EFI_IA32_HTTP = 15,
	PXH_ARCH_EFI_X64_HTTP = 16,
	PXH_ARCH_EFI_ARM32_HTTP = 18,
	PXH_ARCH_EFI_ARM64_HTTP = 19,
	PXH_ARCH_UNKNOWN = 0xffff,
};

/*
 * One machine as the core knows it.  Strings are NUL terminated and empty
 * ("") when unknown, never NULL.  Valid for the duration of the call; copy
 * what you keep (a struct copy, `pxh_client mine = *c;`, copies the fields
 * your SDK knows; raw points into the packet and is not valid afterwards).
 * Later minors append fields after raw_len; struct_size says how many the
 * sender knows.
 */
typedef struct pxh_client {
	uint32_t struct_size;
	enum pxh_phase phase;
	char mac[18];          /* "00:11:22:aa:bb:cc", lower case */
	char uuid[37];         /* SMBIOS text form, upper case, or "" */
	uint16_t arch;         /* enum pxh_arch */
	uint16_t arch_raw;     /* option 93 as sent (0xffff if absent) */
	char arch_name[16];    /* "bios", "efi-x64", "efi-ia32", "efi-arm64", ... */
	char vendor_class[64]; /* option 60 */
	char user_class[64];   /* option 77 ("iPXE" once iPXE runs) */
	char undi[8];          /* "002001" from option 60, or "" */
	int is_ipxe;           /* user class iPXE or option 175 present */
	int is_http_boot;      /* HTTPClient vendor class */
	char ip[46];           /* client address when known (IPv4 or IPv6) */
	char relay[46];        /* giaddr, or the DHCPv6 relay's address, else "" */
	char iface[16];        /* receiving interface name */
	char server_ip[46];    /* our address on that interface (the one asked) */
	/* SMBIOS facts (iPXE phase; empty in the DHCP phase) */
	char manufacturer[64];
	char product[64];
	char serial[64];
	char asset[64];
	char platform[16];  /* "pcbios", "efi" (iPXE ${platform}) */
	char buildarch[16]; /* "i386", "x86_64", "arm64" (iPXE ${buildarch}) */
	/* Raw DHCP request (DHCP phase only, else NULL/0); read options with
	 * pxh_client_option(). */
	const uint8_t *raw;
	size_t raw_len;
	/* ABI 1.1: IPv6 clients */
	char duid[392];     /* DHCPv6 client DUID (option 1, up to 130 bytes) as
	                     * lower-case hex pairs "00:01:00:01:...", or "" */
	char link_addr[46]; /* relayed DHCPv6: the link-address of the relay
	                     * nearest the client (its link), or "" */
} pxh_client;

/* Which boot program asks.  In the script phase
 * (PXH_PHASE_IPXE) that is iPXE fetching /boot.ipxe or GRUB fetching
 * /boot.grub; the core then sets user_class to "iPXE" or "GRUB" itself and
 * is_ipxe only for iPXE.  In the DHCP phase: iPXE's own DHCP is
 * PXH_BOOT_PROGRAM_IPXE, the firmware's PXH_BOOT_PROGRAM_NONE. */
enum pxh_boot_program {
	PXH_BOOT_PROGRAM_NONE = 0, /* the firmware, or not known */
	PXH_BOOT_PROGRAM_IPXE = 1,
	PXH_BOOT_PROGRAM_GRUB = 2,
};
int pxh_client_boot_program(const pxh_client *c);
/* "ipxe", "grub" or "" (the "boot_program" fact). */
const char *pxh_boot_program_name(int boot_program);

/* Find DHCP option CODE in the client's request (handles option overload
 * and RFC 3396 concatenation).  Returns the option's bytes and sets *len, or
 * NULL when absent (and always outside the DHCP phase: raw is NULL there).
 * Option 82 (relay agent information) is readable too.
 * Lifetime: an option sent in one piece points into the request (valid
 * during the hook call); a concatenated one is assembled into a per-thread
 * ring of 4 buffers, so it stays valid until 4 more concatenated options
 * were read on that thread.  Copy what you keep longer, or across calls. */
const uint8_t *pxh_client_option(const pxh_client *c, uint8_t code, size_t *len);

/* Text name of an arch ("bios", "efi-x64", ...); "unknown" otherwise. */
const char *pxh_arch_name(uint16_t arch);

/* Does C match RULE, in the forms [access] allow/deny take: "all", a MAC
 * prefix ("52:54:00"), a subnet or address, IPv4 or IPv6 ("10.1.0.0/16",
 * "2001:db8::/32", "fe80::/10" (1.1): matched against the relay, the
 * client's address, or, for a DHCP broadcast that shows neither, the
 * receiving interface's address; families never mix), an architecture
 * name ("efi-x64") or "if:NAME" (receiving interface)?  Returns 1 or 0. */
int pxh_client_match(const pxh_client *c, const char *rule);

/* ---- decisions --------------------------------------------------------- */
enum pxh_verdict {
	PXH_NEXT = 0,     /* no opinion: ask the next plugin */
	PXH_BOOT = 1,     /* boot what the answer says */
	PXH_LOCAL = 2,    /* boot from local disk */
	PXH_IGNORE = 3,   /* send no answer at all */
	PXH_DEFERRED = 4, /* answer later with pxh_request_complete() */
};

const char *pxh_verdict_name(enum pxh_verdict v); /* "next", "boot", ... */

/*
 * A decision hook.  Fill A (through the pxh_answer_* setters) and return a
 * verdict.  To answer later, keep REQ, return PXH_DEFERRED and call
 * pxh_request_complete(REQ, verdict) from the loop thread; you must complete
 * every deferred request exactly once, even after its deadline (the answer
 * is then dropped and the default applies; the event says so).
 * Completing REQ from inside the hook itself (a cache hit found late, an
 * error path) is allowed: call pxh_request_complete(REQ, v) and return
 * PXH_DEFERRED.  Whenever you complete, the rest of the chain (the next
 * plugin's hook) and the reply to the client continue from the loop, never
 * on your call stack: nothing re-enters your plugin from inside
 * pxh_request_complete().
 */
typedef enum pxh_verdict (*pxh_decide_fn)(void *ud, const pxh_client *c,
                                          pxh_answer *a, pxh_request *req);

/* Two hooks share pxh_decide_fn; which one you want depends on WHO asks:
 *
 *   pxh_register_boot_decision   the DHCP phase (c->phase PXH_PHASE_DHCP):
 *       the firmware's (or iPXE's own) DHCP request.  Decides whether the
 *       machine network-boots and WHICH FILE it loads: verdict, loader,
 *       next-server, extra DHCP options.  No script.
 *   pxh_register_boot_script     the script phase (c->phase PXH_PHASE_IPXE):
 *       the loaded boot program (iPXE: /boot.ipxe, GRUB: boot.grub) asks
 *       WHAT TO RUN: verdict and the script (pxh_script_* helpers or
 *       pxh_answer_set_script).  SMBIOS facts (serial, product...) are
 *       known only here.
 *
 * A plugin that boots a machine through iPXE usually registers both: boot
 * (the default loader, iPXE) in the DHCP phase, the script in the script
 * phase.  The names are ABI 1.0 and stay. */
int pxh_register_boot_decision(pxh_host *h, pxh_decide_fn fn, void *ud,
                               void (*free_ud)(void *));
int pxh_register_boot_script(pxh_host *h, pxh_decide_fn fn, void *ud,
                             void (*free_ud)(void *));

void pxh_request_complete(pxh_request *req, enum pxh_verdict v);
pxh_answer *pxh_request_answer(pxh_request *req);
const pxh_client *pxh_request_client(pxh_request *req);
int pxh_request_expired(const pxh_request *req); /* deadline passed */

/* Answer setters; each returns 0 or -errno.  Strings are copied. */
int pxh_answer_set_loader(pxh_answer *a, const char *path_or_url);
int pxh_answer_set_next_server(pxh_answer *a, const char *ipv4);
/* An extra DHCP option in a DHCP-phase boot answer (e.g. 252), LEN bytes
 * of DATA (copied; split into RFC 3396 pieces above 255 bytes).  Refused,
 * with a warning in the log naming the code and why:
 *   -EINVAL    code 0 (pad) or 255 (end), or DATA NULL with LEN > 0;
 *   -EPERM     53 (message type), 54 (server identifier), 82 (relay agent
 *              information): the server sets those itself;
 *   -EMSGSIZE  LEN > PXH_ANSWER_OPTION_MAX.
 * Options that replace the server's own (66, 67, 43, 60...) win over them.
 * When the whole reply does not fit the client's packet size the server
 * sends none and logs it. */
#define PXH_ANSWER_OPTION_MAX 1024
int pxh_answer_add_option(pxh_answer *a, uint8_t code, const void *data,
                          size_t len);
int pxh_answer_set_script(pxh_answer *a, const char *ipxe_script);
int pxh_answer_append_script(pxh_answer *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pxh_answer_set_reason(pxh_answer *a, const char *why); /* for the log */
/* Whole-answer cache lifetime hint (seconds) for the caller's own cache. */
int pxh_answer_set_ttl(pxh_answer *a, unsigned seconds);

/* pxehub's answer format (docs/answer-format.md), shared by script_exec,
 * referral and any plugin that asks an outside program or service: TEXT is
 * empty (no opinion: PXH_NEXT), one verdict word ("boot", "local",
 * "ignore", "next"; in the DHCP phase "boot LOADER" too), an iPXE script
 * ("#!ipxe" first, iPXE phase), or a JSON object ({"action": ..., "loader":
 * ..., "next_server": ..., "options": [...]} in the DHCP phase; {"script":
 * ...} or the helpers "menu", "wimboot", "kernel", "chain", "local",
 * "shell" in the iPXE phase; "ttl" and "reason" in both).  With A == NULL
 * it only checks.  Returns the verdict or -errno with a reason in WHY;
 * *TTL is the "ttl" asked for (seconds) or -1. */
#define PXH_TTL_MAX 86400
int pxh_answer_parse(enum pxh_phase phase, const char *text, size_t len,
                     pxh_answer *a, long *ttl, char *why, size_t why_len);
/* "boot" -> PXH_BOOT, ..., "next" -> PXH_NEXT; -1 for anything else. */
int pxh_verdict_parse(const char *word, size_t len);

/* The client's facts as one JSON object, the same keys script_exec gives
 * its scripts ("mac", "uuid", "arch", "ip", "manufacturer", ...;
 * docs/answer-format.md).  malloc'd, NUL terminated; free() it.  NULL when
 * out of memory. */
char *pxh_client_json(const pxh_client *c);

/* Built-in script helpers (script phase).  Each appends to the script of
 * A, written for A's client: iPXE script, or GRUB script when GRUB asks
 * (pxh_client_boot_program).  URLs relative to the server
 * ("/files/...") are made absolute (GRUB: "(http,SERVER)/files/...").
 * A raw script (pxh_answer_set_script) is iPXE text ("#!ipxe" first, or no
 * signature) or GRUB text ("#!grub" first).  What the client's boot
 * program cannot run (an iPXE script or pxh_script_wimboot for GRUB, a
 * GRUB script for iPXE, a chain GRUB cannot follow) is not served: the
 * server logs why, emits the decision event and applies [boot]
 * default_action (docs/grub.md). */
typedef struct pxh_wimboot {
	uint32_t struct_size;
	const char *wimboot; /* default "/files/wimboot" */
	const char *bcd;     /* e.g. "/files/boot/x64/BCD" */
	const char *boot_sdi;
	const char *boot_wim;
	const char *extra[8]; /* further initrds ("url" or "url name") */
	int gui, pause, rawbcd;
	int index; /* 0 = default */
} pxh_wimboot;

int pxh_script_wimboot(pxh_answer *a, const pxh_wimboot *w);
int pxh_script_kernel(pxh_answer *a, const char *kernel, const char *initrd,
                      const char *cmdline);
int pxh_script_chain(pxh_answer *a, const char *url);
int pxh_script_exit(pxh_answer *a); /* boot local disk */
/* A menu: begin, items, end.  TIMEOUT_MS 0 waits forever; DEFAULT_ID may be
 * NULL.  Each item's SCRIPT is the iPXE text run when it is chosen. */
int pxh_script_menu_begin(pxh_answer *a, const char *title,
                          unsigned timeout_ms, const char *default_id);
int pxh_script_menu_item(pxh_answer *a, const char *id, const char *label,
                         const char *script);
int pxh_script_menu_end(pxh_answer *a);

/* IN as one single-quoted GRUB word into OUT: the quoting the
 * GRUB helpers use, for plugins that write GRUB text themselves.  ' becomes
 * '\'', control characters blanks.  Returns the length or -E2BIG (OUT is
 * then ""). */
int pxh_grub_quote(char *out, size_t len, const char *in);

/* ---- events (logging hooks) -------------------------------------------- */
enum pxh_event_kind {
	PXH_EV_DHCP_REQUEST = 1,
	PXH_EV_DHCP_DECISION = 2,
	PXH_EV_TFTP_START = 3,
	PXH_EV_TFTP_END = 4,
	PXH_EV_SCRIPT_SERVED = 5,
	PXH_EV_DOWNLOAD_START = 6,
	PXH_EV_DOWNLOAD_END = 7,
	PXH_EV_REPORT = 8,   /* POST /api/v1/report */
	PXH_EV_DECISION = 9, /* any phase: a plugin's or the default's verdict */
	PXH_EV_SERVER = 10,  /* start, stop, reload, plugin problems */
	PXH_EV_PLUGIN = 11,  /* emitted by plugins themselves */
	PXH_EV__MAX
};
#define PXH_EV_MASK(k) (1u << (k))
#define PXH_EV_ALL 0xffffffffu

const char *pxh_event_kind_name(enum pxh_event_kind k); /* "dhcp_request" */

typedef struct pxh_event {
	uint32_t struct_size;
	enum pxh_event_kind kind;
	int severity;       /* enum pxh_log_level; outside ERR..DEBUG (0, unset) = INFO */
	uint64_t time_us;   /* wall clock, microseconds since the epoch */
	/* The client concerned.  In an event the core hands to a hook: never
	 * NULL (fields empty when the event is not about a client), valid
	 * during the call, raw NULL.  In an event a plugin emits: NULL = none.
	 * A pointer, not a copy, so that pxh_client can grow (ABI rules). */
	const pxh_client *client;
	char action[16];    /* verdict name or "start", "end", "error" */
	char file[256];     /* file or URL concerned */
	char plugin[32];    /* plugin that decided, or "" */
	uint64_t bytes;
	uint64_t duration_us;
	uint32_t blksize, windowsize, retransmits;
	char message[256];  /* readable text ("ignored: not in [access] allow") */
} pxh_event;

/* Event hooks are called on the loop thread from a bounded queue, after the
 * hot path has moved on; overflow is counted (events_dropped), never waited
 * for.  KINDS is a mask of PXH_EV_MASK() bits. */
typedef void (*pxh_event_fn)(void *ud, const pxh_event *ev);
int pxh_register_event(pxh_host *h, uint32_t kinds, pxh_event_fn fn, void *ud,
                       void (*free_ud)(void *));
/* Emit an event (kind PXH_EV_PLUGIN or any other); EV is copied. */
void pxh_event_emit(pxh_host *h, const pxh_event *ev);
/* The common case in one call: a PXH_EV_PLUGIN event about C (may be
 * NULL) with ACTION, FILE (may be NULL) and a printf-style message. */
void pxh_event_emitf(pxh_host *h, int severity, const pxh_client *c,
                     const char *action, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* ---- reporting (status API and /metrics) ------------------------------- */
/* Called when /api/v1/status or /metrics is built; add your figures. */
typedef void (*pxh_report_fn)(void *ud, pxh_report *r);
int pxh_register_report(pxh_host *h, pxh_report_fn fn, void *ud,
                        void (*free_ud)(void *));
/* NAME: [a-z0-9_]+; exported as pxehub_plugin_<plugin>_<name>. */
void pxh_report_counter(pxh_report *r, const char *name, uint64_t value);
void pxh_report_gauge(pxh_report *r, const char *name, double value);
void pxh_report_text(pxh_report *r, const char *name, const char *value);

/* ---- file resolver (virtual files over TFTP and HTTP) ------------------ */
typedef struct pxh_file {
	uint32_t struct_size;
	const void *data;    /* whole content */
	size_t len;
	void (*free_fn)(void *free_arg); /* called when the core is done */
	void *free_arg;
	const char *content_type; /* HTTP only; NULL = from the name */
} pxh_file;

/* PATH is normalised ('/' separators, no leading '/').  Return 0 with *OUT
 * filled to serve it, -ENOENT to let the next resolver (or the file system)
 * answer, another -errno to refuse. */
typedef int (*pxh_resolve_fn)(void *ud, const pxh_client *c, const char *path,
                              pxh_file *out);
int pxh_register_file_resolver(pxh_host *h, pxh_resolve_fn fn, void *ud,
                               void (*free_ud)(void *));

/* ---- HTTP routes under /plugins/NAME/ ---------------------------------- */
typedef struct pxh_http_request {
	uint32_t struct_size;
	const char *method;
	const char *path;  /* part after /plugins/NAME, starts with '/' */
	const char *query; /* raw query string or "" */
	const void *body;
	size_t body_len;
	const char *peer;  /* client address */
	int authenticated; /* token or client certificate accepted (with
	                      [http] require_auth the core refuses others
	                      before the route is called) */
	const void *core; /* the core's request (headers); NULL when a
	                     plugin or test builds its own */
} pxh_http_request;

typedef struct pxh_http_response {
	uint32_t struct_size;
	int status;                /* default 200 */
	const char *content_type;  /* default "text/plain; charset=utf-8" */
	char *body;                /* malloc'd; the core frees it */
	size_t body_len;
} pxh_http_response;

typedef int (*pxh_http_fn)(void *ud, const pxh_http_request *rq,
                           pxh_http_response *rs);
int pxh_register_http_route(pxh_host *h, pxh_http_fn fn, void *ud,
                            void (*free_ud)(void *));
/* Header value of the current request, or NULL (valid during the call). */
const char *pxh_http_header(const pxh_http_request *rq, const char *name);

/* ---- configuration ----------------------------------------------------- */
enum pxh_conf_type {
	PXH_CONF_STRING = 1,
	PXH_CONF_INT = 2,      /* decimal, within [min, max] */
	PXH_CONF_BOOL = 3,     /* yes/no, true/false, on/off, 1/0 */
	PXH_CONF_LIST = 4,     /* comma or space separated words */
	PXH_CONF_DURATION = 5, /* "500ms", "2s", "5m", "1h"; read in ms */
	PXH_CONF_PATH = 6,     /* a string; must exist when PXH_CONF_MUST_EXIST */
	PXH_CONF_ENUM = 7,     /* one of the words in choices ("a|b|c") */
};

#define PXH_CONF_REQUIRED 0x1
#define PXH_CONF_MUST_EXIST 0x2

/* A list value bound to a pxh_conf_list field: N words, V[0..N-1]. */
typedef struct pxh_conf_list {
	size_t n;
	const char *const *v;
} pxh_conf_list;

/* The C type of a bound field (PXH_CONF_BIND fills it from the field). */
enum pxh_conf_field {
	PXH_CONF_FIELD_NONE = 0,   /* not bound: read with pxh_conf_str() etc. */
	PXH_CONF_FIELD_STR = 1,    /* const char *: STRING, PATH, ENUM (the word) */
	PXH_CONF_FIELD_INT = 2,    /* signed integer: INT, DURATION (ms), BOOL,
	                              ENUM (index of the word in choices) */
	PXH_CONF_FIELD_UINT = 3,   /* unsigned integer: as FIELD_INT */
	PXH_CONF_FIELD_BOOL = 4,   /* bool: BOOL */
	PXH_CONF_FIELD_DOUBLE = 5, /* double: INT, DURATION (in seconds) */
	PXH_CONF_FIELD_LIST = 6,   /* pxh_conf_list: LIST */
};

typedef struct pxh_conf_key {
	const char *name;
	enum pxh_conf_type type;
	const char *def; /* default as text, or NULL */
	unsigned flags;  /* PXH_CONF_REQUIRED, PXH_CONF_MUST_EXIST */
	long long min, max; /* PXH_CONF_INT/DURATION(ms); both 0 = no bounds */
	const char *choices; /* PXH_CONF_ENUM: "menu|local|ignore" */
	const char *help;    /* one line, shown by pxehubd -t -v */
	/* Where the checked value goes (PXH_CONF_BIND); all 0 = not bound.
	 * OFFSET and SIZE of the field in the descriptor's conf_size struct
	 * ([NAME]) or sub_conf_size struct ([NAME.SUB]); FIELD its type. */
	size_t offset;
	uint16_t size;
	uint16_t field; /* enum pxh_conf_field */
} pxh_conf_key;

/* The pxh_conf_field of an expression's type; a field of any other type
 * does not compile. */
#define PXH_CONF_FIELD_OF(x)                                                   \
	_Generic((x),                                                          \
		const char *: PXH_CONF_FIELD_STR,                              \
		char *: PXH_CONF_FIELD_STR,                                    \
		_Bool: PXH_CONF_FIELD_BOOL,                                    \
		signed char: PXH_CONF_FIELD_INT,                               \
		short: PXH_CONF_FIELD_INT,                                     \
		int: PXH_CONF_FIELD_INT,                                       \
		long: PXH_CONF_FIELD_INT,                                      \
		long long: PXH_CONF_FIELD_INT,                                 \
		unsigned char: PXH_CONF_FIELD_UINT,                            \
		unsigned short: PXH_CONF_FIELD_UINT,                           \
		unsigned int: PXH_CONF_FIELD_UINT,                             \
		unsigned long: PXH_CONF_FIELD_UINT,                            \
		unsigned long long: PXH_CONF_FIELD_UINT,                       \
		double: PXH_CONF_FIELD_DOUBLE,                                 \
		pxh_conf_list: PXH_CONF_FIELD_LIST)

/*
 * Typed config binding: append PXH_CONF_BIND(struct my_conf, member) to a
 * key's entry and the core writes the key's checked value (or its default)
 * into that member, once per load, before init:
 *
 *   struct hello_conf { const char *greeting; long long max; pxh_conf_list macs; };
 *   static const pxh_conf_key keys[] = {
 *       {"greeting", PXH_CONF_STRING, "hi", 0, 0, 0, NULL, "what to say",
 *        PXH_CONF_BIND(struct hello_conf, greeting)},
 *       ...
 *       PXH_CONF_END};
 *   PXH_PLUGIN(..., .keys = keys, .conf_size = sizeof(struct hello_conf));
 *   // in init: const struct hello_conf *cf = pxh_conf_struct(h, NULL);
 *
 * The default is written once, in the table.  A key without a default and
 * not set leaves the member zero (NULL, 0, no words).  A table whose bound
 * member does not fit its key's type (a list into an int, bounds beyond
 * the member's range, past conf_size) refuses to load, saying which key.
 */
#define PXH_CONF_BIND(type, member)                                            \
	.offset = offsetof(type, member),                                      \
	.size = (uint16_t)sizeof(((type *)0)->member),                         \
	.field = PXH_CONF_FIELD_OF(((type *)0)->member)
/* A key read only with the getters (pxh_conf_str() ...): ends its entry
 * instead of PXH_CONF_BIND, so -Wextra sees every field given. */
#define PXH_CONF_UNBOUND .field = PXH_CONF_FIELD_NONE
/* The table's last entry. */
#define PXH_CONF_END {.name = NULL}

/* The bound struct of [NAME] (SUB NULL, descriptor conf_size) or of
 * [NAME.SUB] (sub_conf_size), filled from the key table's PXH_CONF_BIND
 * entries before init runs.  Read-only; the same pointer until fini, also
 * from pool threads.  A reload runs a fresh init with a fresh struct (the
 * old plugin instance keeps its old struct until its fini), so a plugin
 * never sees its config change under it.  NULL when the descriptor has no
 * such struct or [NAME.SUB] does not exist. */
const void *pxh_conf_struct(pxh_host *h, const char *sub);

/* SUB is NULL for [NAME], else the SUB of [NAME.SUB].  Values are checked
 * against the key table before init runs, so a getter of a declared key
 * always succeeds (a declared key unset without default: NULL or 0).  A
 * key the table does not declare is a bug: the first such lookup logs an
 * error naming the plugin and the key, and the getters return "" (never
 * NULL), 0 or no words; under the test kit it aborts the test. */
const char *pxh_conf_str(pxh_host *h, const char *sub, const char *key);
long long pxh_conf_int(pxh_host *h, const char *sub, const char *key);
int pxh_conf_bool(pxh_host *h, const char *sub, const char *key);
/* Number of sub-sections and the name of the Ith, in file order. */
size_t pxh_conf_sub_count(pxh_host *h);
const char *pxh_conf_sub_name(pxh_host *h, size_t i);
/* List values: number of words and the Ith word. */
size_t pxh_conf_list_len(pxh_host *h, const char *sub, const char *key);
const char *pxh_conf_list_item(pxh_host *h, const char *sub, const char *key,
                               size_t i);
/* Where a key was set ("FILE:LINE"), for a plugin's own error messages. */
const char *pxh_conf_where(pxh_host *h, const char *sub, const char *key);

/* Server facts */
const char *pxh_host_plugin_name(pxh_host *h);
const char *pxh_host_state_dir(pxh_host *h); /* writable, per plugin */
const char *pxh_host_conf_dir(pxh_host *h);
const char *pxh_host_fqdn(pxh_host *h);
/* Base URL clients reach the HTTP server at ("http://10.0.0.1:80"), for
 * the server address the client used, or the default one when C is NULL. */
int pxh_host_base_url(pxh_host *h, const pxh_client *c, char *buf, size_t len);
/* The loop's time (seconds since the epoch) as of its current iteration:
 * cheap, and the same for every callback of one iteration.  Readable from
 * pool threads too (then it is the loop's latest iteration's time). */
double pxh_now(pxh_host *h);

/* ---- log ---------------------------------------------------------------- */
/* One line, key=value friendly; C may be NULL.  Thread safe. */
void pxh_log(pxh_host *h, int level, const pxh_client *c, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void pxh_vlog(pxh_host *h, int level, const pxh_client *c, const char *fmt,
              va_list ap);
/* Why init is about to fail (1.1): call it, then return -errno from init.
 * The text goes where the failure is shown: pxehubd -t, its start and
 * reload ("plugin NAME: init failed: TEXT (strerror)"), pxehubctl reload
 * and pxh_tk_error(); it is logged too.  Outside init it is only logged. */
void pxh_init_error(pxh_host *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- loop services (no libev types) ------------------------------------ */
typedef void (*pxh_timer_fn)(void *ud);
/* Fires after AFTER seconds, then every REPEAT seconds when REPEAT > 0.
 * NULL with errno set on failure: EINVAL (no FN, no host), ENOMEM. */
pxh_timer *pxh_timer_start(pxh_host *h, double after, double repeat,
                           pxh_timer_fn fn, void *ud);
/* Stops and frees T; NULL is fine.  A one-shot timer that fired stays
 * allocated until this is called (from its own callback is fine). */
void pxh_timer_stop(pxh_timer *t);

#define PXH_IO_READ 0x1
#define PXH_IO_WRITE 0x2
typedef void (*pxh_io_fn)(void *ud, int fd, int revents);
/* Watch FD for EVENTS (PXH_IO_READ|PXH_IO_WRITE; 0 = created stopped).
 * NULL with errno set on failure: EBADF (FD < 0), EINVAL (no FN, no host,
 * unknown EVENTS bits), ENOMEM. */
pxh_io *pxh_io_watch(pxh_host *h, int fd, int events, pxh_io_fn fn, void *ud);
int pxh_io_modify(pxh_io *io, int events);
void pxh_io_stop(pxh_io *io); /* also frees it; does not close FD */

/* Child processes: FN runs on the loop when PID exits (status as waitpid;
 * the core reaps it).  Returns 0 or -errno (-EINVAL, -ENOMEM, -ENOTSUP
 * outside the daemon's main loop).  A watch cannot be cancelled: it ends
 * when the child exits, and the plugin stays loaded (reload, stop wait)
 * until then, so a plugin that gives up on a child kills it (FN still
 * runs).  FN runs once, and never after the child was reaped elsewhere. */
typedef void (*pxh_child_fn)(void *ud, pid_t pid, int status);
int pxh_child_watch(pxh_host *h, pid_t pid, pxh_child_fn fn, void *ud);

/* Work pool: WORK(ud) runs on a pool thread, then DONE(ud) on the loop
 * thread.  Returns 0 or -errno (-EAGAIN when the queue is full). */
int pxh_work_submit(pxh_host *h, void (*work)(void *ud),
                    void (*done)(void *ud), void *ud);

/* ---- the descriptor ---------------------------------------------------- */
#define PXH_PLUGIN_THREAD_SAFE 0x1 /* work items may run in parallel */

typedef struct pxh_plugin_descriptor {
	uint32_t magic;       /* PXH_PLUGIN_MAGIC */
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t struct_size; /* sizeof(pxh_plugin_descriptor) */
	uint32_t conf_key_size; /* sizeof(pxh_conf_key): the key tables' stride */
	const char *name; /* must equal the file name without ".so" */
	const char *version;
	uint32_t flags;
	const pxh_conf_key *keys;     /* [NAME]; terminated by {NULL} */
	const pxh_conf_key *sub_keys; /* [NAME.SUB]; NULL = none allowed */
	/* Register hooks; *STATE is handed to fini.  Return 0 or -errno (the
	 * plugin is then not loaded, and the server says why: the text given
	 * to pxh_init_error(), else strerror). */
	int (*init)(pxh_host *h, void **state);
	void (*fini)(void *state);
	/* Sizes of the bound config structs (pxh_conf_struct): [NAME] and
	 * each [NAME.SUB]; 0 = none. */
	size_t conf_size;
	size_t sub_conf_size;
} pxh_plugin_descriptor;

#define PXH_DESCRIPTOR_SYMBOL "pxh_plugin_descriptor"

/* Use once per plugin (the exported symbol is "pxh_plugin_descriptor"):
 *   PXH_PLUGIN(.name = "hello", .version = "1.0", .init = hello_init, ...);
 */
#define PXH_PLUGIN(...)                                                        \
	PXH_EXPORT const struct pxh_plugin_descriptor pxh_plugin_descriptor_  \
		__asm__(PXH_DESCRIPTOR_SYMBOL) = {                             \
		.magic = PXH_PLUGIN_MAGIC,                                     \
		.abi_major = PXH_ABI_MAJOR,                                    \
		.abi_minor = PXH_ABI_MINOR,                                    \
		.struct_size = sizeof(pxh_plugin_descriptor),                  \
		.conf_key_size = sizeof(pxh_conf_key),                         \
		__VA_ARGS__}

#ifdef __cplusplus
}
#endif
#endif /* PXEHUB_PLUGIN_H */
