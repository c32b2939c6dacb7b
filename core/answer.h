/* Answers (core/answer.c): what a decision gives the protocol that asked. */
#ifndef PXEHUB_ANSWER_H
#define PXEHUB_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pxehub/plugin.h"

struct pxh_server;

struct pxh_dhcp_opt {
	uint8_t code;
	uint8_t len_hi; /* options longer than 255 are split (RFC 3396) */
	uint16_t len;
	uint8_t *data;
};

struct pxh_answer {
	char *loader;      /* path relative to TFTP root, or URL */
	char *next_server; /* dotted quad */
	struct pxh_dhcp_opt *opts;
	size_t n_opts;
	char *script; /* iPXE script (iPXE phase) */
	size_t script_len, script_cap;
	char *reason;
	unsigned ttl;
	/* set by the chain */
	struct pxh_server *srv;
	const pxh_client *client; /* for base URLs in the script helpers */
	bool menu_open;
	/* GRUB rendering (core/http/grub_script.c) */
	char *unrendered; /* why this answer cannot run in its boot program */
	bool grub_item;   /* rendering one menu entry's body */
	unsigned grub_items;
};

void pxh_answer_init(struct pxh_answer *a, struct pxh_server *s,
                     const pxh_client *c);
void pxh_answer_clear(struct pxh_answer *a);
int pxh_answer_copy(struct pxh_answer *dst, const struct pxh_answer *src);

/* "dhcp", "ipxe", "tftp", "http"; "unknown" for anything else
 * (core/answer.c, next to the SDK's pxh_verdict_name). */
const char *pxh_phase_name(enum pxh_phase p);

#endif /* PXEHUB_ANSWER_H */
