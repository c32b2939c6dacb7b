/* pxehubctl decide: the decision chain for a made-up client, as pxehubd
 * would run it (same config, same plugins, same [access] rules), printed
 * instead of sent. */
#include <arpa/inet.h>
#include <ctype.h>
#include <ev.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "dhcp/dhcp.h"
#include "headless.h"
#include "access.h"
#include "answer.h"
#include "conf.h"
#include "http/http_module.h"
#include "server.h"

struct decide_opts {
	const char *mac, *arch, *uuid, *user_class, *vendor_class, *ip;
	const char *server_ip, *serial, *manufacturer, *product, *asset;
	const char *duid, *relay, *link_addr;
	const char *boot_program; /* "grub" or "grub-http" */
	enum pxh_phase phase;
	int verbose;
};

static void usage(void)
{
	fprintf(stderr,
	        "usage: pxehubctl [-c FILE] decide --mac MAC [--arch ARCH] [--uuid UUID]\n"
	        "       [--user-class iPXE] [--phase dhcp|ipxe] [--vendor-class TEXT]\n"
	        "       [--ip ADDR] [--server-ip ADDR] [--serial S] [--manufacturer M]\n"
	        "       [--product P] [--asset A] [--boot-program ipxe|grub|grub-http]\n"
	        "       [--duid HEX] [--relay ADDR] [--link-addr ADDR] [-v]\n"
	        "ADDR: IPv4 or IPv6 (2001:db8::5); HEX: a DHCPv6 DUID, 00:01:00:01:...\n"
	        "ARCH: bios, efi-x64, efi-ia32, efi-arm64, efi-x64-http, ... or the\n"
	        "option 93 number.  --boot-program: the script phase as iPXE, GRUB\n"
	        "over TFTP (Debian's signed GRUB: no HTTP) or GRUB with HTTP; the\n"
	        "script shown is what that boot program gets.  Nothing is sent on\n"
	        "the network.\n");
}

static void copy_field(char *dst, size_t cap, const char *src)
{
	if (src)
		snprintf(dst, cap, "%s", src);
}

static bool addr_ok(const char *a)
{
	unsigned char b[16];

	return inet_pton(AF_INET, a, b) == 1 || inet_pton(AF_INET6, a, b) == 1;
}

/* "00:01:00:01:2a:..." or "0001..." as the core writes a DUID: lower-case
 * hex pairs joined by ':'. */
static int duid_text(const char *in, char *out, size_t cap)
{
	size_t n = 0, o = 0;

	for (const char *p = in; *p;) {
		if (*p == ':' || *p == '-') {
			p++;
			continue;
		}
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
			return -1;
		if (o + 3 >= cap || ++n > 130)
			return -1;
		if (o)
			out[o++] = ':';
		out[o++] = (char)tolower((unsigned char)p[0]);
		out[o++] = (char)tolower((unsigned char)p[1]);
		p += 2;
	}
	out[o] = 0;
	return n >= 2 ? 0 : -1;
}

static int build_client(const struct decide_opts *o, const struct pxh_conf *conf,
                        pxh_client *c)
{
	const char *sip;

	if (pxh_client_synth(c, o->phase, o->mac, o->arch)) {
		fprintf(stderr, "pxehubctl: bad --mac '%s' or --arch '%s'\n", o->mac,
		        o->arch ? o->arch : "");
		return -1;
	}
	if (o->uuid) {
		if (strlen(o->uuid) != 36) {
			fprintf(stderr, "pxehubctl: --uuid wants the 36-character text form\n");
			return -1;
		}
		for (size_t i = 0; i < 36; i++)
			c->uuid[i] = (char)toupper((unsigned char)o->uuid[i]);
	}
	if (o->user_class) {
		copy_field(c->user_class, sizeof(c->user_class), o->user_class);
		c->is_ipxe = !strcmp(o->user_class, "iPXE");
	}
	if (o->boot_program && !strncmp(o->boot_program, "grub", 4)) {
		/* as /boot.grub makes it: the core's own user class */
		copy_field(c->user_class, sizeof(c->user_class), "GRUB");
		c->is_ipxe = 0;
		c->is_http_boot = !strcmp(o->boot_program, "grub-http");
		copy_field(c->platform, sizeof(c->platform), "efi");
	} else if (o->boot_program) {
		copy_field(c->user_class, sizeof(c->user_class), "iPXE");
		c->is_ipxe = 1;
	}
	copy_field(c->vendor_class, sizeof(c->vendor_class), o->vendor_class);
	if (o->vendor_class)
		c->is_http_boot = !strncmp(o->vendor_class, "HTTPClient", 10);
	{
		const char *const addr[][2] = {{"--ip", o->ip}, {"--server-ip", o->server_ip},
		                               {"--relay", o->relay}, {"--link-addr", o->link_addr}};

		for (size_t i = 0; i < 4; i++)
			if (addr[i][1] && !addr_ok(addr[i][1])) {
				fprintf(stderr, "pxehubctl: %s '%s' is not an IPv4 or IPv6 address\n",
				        addr[i][0], addr[i][1]);
				return -1;
			}
	}
	if (o->duid && duid_text(o->duid, c->duid, sizeof(c->duid)) < 0) {
		fprintf(stderr, "pxehubctl: --duid wants hex bytes (00:01:00:01:... or 000100...), "
		        "2 to 130 of them\n");
		return -1;
	}
	copy_field(c->relay, sizeof(c->relay), o->relay);
	copy_field(c->link_addr, sizeof(c->link_addr), o->link_addr);
	copy_field(c->ip, sizeof(c->ip), o->ip);
	copy_field(c->serial, sizeof(c->serial), o->serial);
	copy_field(c->manufacturer, sizeof(c->manufacturer), o->manufacturer);
	copy_field(c->product, sizeof(c->product), o->product);
	copy_field(c->asset, sizeof(c->asset), o->asset);
	sip = o->server_ip ? o->server_ip : pxh_server_conf(conf)->server_ip;
	copy_field(c->server_ip, sizeof(c->server_ip), sip && *sip ? sip : "127.0.0.1");
	copy_field(c->iface, sizeof(c->iface), "(dry-run)");
	return 0;
}

static void print_text(const char *label, const char *v)
{
	if (v && *v)
		printf("%s: %s\n", label, v);
}

static void print_option(const struct pxh_dhcp_opt *o)
{
	bool text = true;

	for (size_t i = 0; i < o->len; i++)
		text &= o->data[i] >= 0x20 && o->data[i] < 0x7f;
	printf("option: %u len=%u ", o->code, o->len);
	if (text && o->len) {
		printf("\"%.*s\"\n", (int)o->len, (const char *)o->data);
		return;
	}
	for (size_t i = 0; i < o->len; i++)
		printf("%02x", o->data[i]);
	putchar('\n');
}

/* What the daemon would send for a boot verdict in the DHCP phase. */
static void print_dhcp_boot(struct pxh_server *s, const pxh_client *c,
                            const struct pxh_answer *a)
{
	const char *loader = a->loader;
	char file[1024];

	if (!loader || !*loader) {
		loader = pxh_dhcp_default_loader(s->conf, c->arch);
		if (loader)
			printf("loader: %s (default for %s)\n", loader, c->arch_name);
	} else {
		printf("loader: %s\n", loader);
	}
	if (pxh_dhcp_boot_file(c, loader, c->server_ip,
	                       pxh_http_conf(s->conf)->port, file,
	                       sizeof(file)) == 0)
		printf("boot-file: %s\n", file);
	else
		printf("boot-file: (none: no loader for arch %s, the client gets no offer)\n",
		       c->arch_name);
	print_text("next-server", a->next_server ? a->next_server : c->server_ip);
}

static void print_result(struct pxh_server *s, const pxh_client *c,
                         struct pxh_sync_decision *d)
{
	struct pxh_answer *a = &d->answer;

	printf("verdict: %s\n", pxh_verdict_name(d->verdict));
	printf("plugin: %s\n", d->plugin);
	print_text("reason", d->why[0] ? d->why : a->reason);
	if (d->verdict == PXH_BOOT && c->phase == PXH_PHASE_DHCP)
		print_dhcp_boot(s, c, a);
	else
		print_text("loader", a->loader);
	for (size_t i = 0; i < a->n_opts; i++)
		print_option(&a->opts[i]);
	if (c->phase == PXH_PHASE_IPXE) {
		/* the script the daemon serves: the answer rendered for the
		 * boot program, or what it falls back to */
		enum pxh_verdict v = d->verdict;
		const char *by = d->plugin;
		struct pxh_answer out;
		char *text = NULL, why[256];
		size_t len = 0;

		pxh_answer_init(&out, s, c);
		if (pxh_boot_render(s, c, &v, &by, a, &out, &text, &len, why,
		                    sizeof(why)) == 0) {
			if (why[0])
				printf("served: %s by %s (%s)\n", pxh_verdict_name(v), by, why);
			if (!text && out.script) {
				text = out.script;
				out.script = NULL;
			}
			if (v == PXH_LOCAL)
				printf("script: (exit: boot from the local disk)\n");
			if (text && *text)
				printf("script:\n%s%s", text,
				       text[strlen(text) - 1] == '\n' ? "" : "\n");
			else if (v == PXH_IGNORE)
				printf("script: (none: 403, the firmware moves on)\n");
		}
		free(text);
		pxh_answer_clear(&out);
	} else if (a->script && *a->script) {
		printf("script:\n%s%s", a->script,
		       a->script[strlen(a->script) - 1] == '\n' ? "" : "\n");
	}
	printf("time: %.1f ms\n", d->seconds * 1000);
}

static int parse_opts(int argc, char **argv, struct decide_opts *o)
{
	static const struct option opts[] = {
		{"mac", required_argument, NULL, 'm'},
		{"arch", required_argument, NULL, 'a'},
		{"uuid", required_argument, NULL, 'u'},
		{"user-class", required_argument, NULL, 'U'},
		{"vendor-class", required_argument, NULL, 'C'},
		{"phase", required_argument, NULL, 'p'},
		{"ip", required_argument, NULL, 'i'},
		{"server-ip", required_argument, NULL, 'S'},
		{"serial", required_argument, NULL, 's'},
		{"manufacturer", required_argument, NULL, 'M'},
		{"product", required_argument, NULL, 'P'},
		{"asset", required_argument, NULL, 'A'},
		{"boot-program", required_argument, NULL, 'B'},
		{"duid", required_argument, NULL, 'D'},
		{"relay", required_argument, NULL, 'R'},
		{"link-addr", required_argument, NULL, 'L'},
		{"verbose", no_argument, NULL, 'v'},
		{NULL, 0, NULL, 0},
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->phase = PXH_PHASE_DHCP;
	o->arch = "bios";
	while ((ch = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': o->mac = optarg; break;
		case 'a': o->arch = optarg; break;
		case 'u': o->uuid = optarg; break;
		case 'U': o->user_class = optarg; break;
		case 'C': o->vendor_class = optarg; break;
		case 'i': o->ip = optarg; break;
		case 'S': o->server_ip = optarg; break;
		case 's': o->serial = optarg; break;
		case 'M': o->manufacturer = optarg; break;
		case 'P': o->product = optarg; break;
		case 'A': o->asset = optarg; break;
		case 'D': o->duid = optarg; break;
		case 'R': o->relay = optarg; break;
		case 'L': o->link_addr = optarg; break;
		case 'v': o->verbose++; break;
		case 'B':
			if (strcmp(optarg, "ipxe") && strcmp(optarg, "grub") &&
			    strcmp(optarg, "grub-http"))
				return -1;
			o->boot_program = optarg;
			o->phase = PXH_PHASE_IPXE;
			break;
		case 'p':
			if (!strcmp(optarg, "dhcp"))
				o->phase = PXH_PHASE_DHCP;
			else if (!strcmp(optarg, "ipxe"))
				o->phase = PXH_PHASE_IPXE;
			else
				return -1;
			break;
		default:
			return -1;
		}
	}
	return o->mac && optind == argc ? 0 : -1;
}

int ctl_decide(const char *conf_path, int argc, char **argv)
{
	struct pxh_conf_errors errs = {0};
	struct pxh_server srv;
	struct pxh_sync_decision d;
	struct decide_opts o;
	struct pxh_conf *conf;
	pxh_client c;
	char why[256] = "";
	int rc = CTL_FAIL;

	if (parse_opts(argc, argv, &o)) {
		usage();
		return CTL_USAGE;
	}
	conf = ctl_conf_load_strict(conf_path, &errs);
	if (!conf)
		goto out;
	if (build_client(&o, conf, &c)) {
		pxh_conf_free(conf);
		rc = CTL_USAGE;
		goto out;
	}
	printf("client: mac=%s arch=%s phase=%s%s%s%s%s\n", c.mac, c.arch_name,
	       c.phase == PXH_PHASE_IPXE ? "ipxe" : "dhcp",
	       c.user_class[0] ? " user_class=" : "", c.user_class,
	       pxh_client_boot_program(&c) ? " boot_program=" : "",
	       pxh_boot_program_name(pxh_client_boot_program(&c)));
	/* [access] applies before any plugin, in the daemon too. */
	if (!pxh_access_allowed(conf, &c, why, sizeof(why))) {
		printf("verdict: ignore\nplugin: access\nreason: %s\n", why);
		pxh_conf_free(conf);
		rc = CTL_OK;
		goto out;
	}
	if (ctl_headless(&srv, conf, o.verbose, &errs))
		goto out;
	if (pxh_decide_sync(&srv, &c, &d) == 0) {
		print_result(&srv, &c, &d);
		printf("(dry run: nothing was sent)\n");
		/* A plugin that answered late still completes before it is
		 * unloaded (up to 10 s): show the answer meanwhile. */
		fflush(stdout);
		rc = CTL_OK;
	} else {
		fprintf(stderr, "pxehubctl: the decision did not finish\n");
	}
	pxh_sync_decision_clear(&d);
	pxh_headless_stop(&srv, 10);
out:
	pxh_conf_errors_free(&errs);
	return rc;
}
