/* GRUB script rendering (core/http/grub_script.c) behind the pxh_script_*
 * helpers for a GRUB client. */
#ifndef PXEHUB_GRUB_SCRIPT_H
#define PXEHUB_GRUB_SCRIPT_H

#include <stdbool.h>

#include "answer.h"

/* The answer is for a GRUB client: the script helpers write GRUB. */
bool pxh_answer_is_grub(const struct pxh_answer *a);
/* Marks A as not runnable in its client's boot program (first WHY kept);
 * the server then serves [boot] default_action and says why. */
int pxh_answer_unrenderable(struct pxh_answer *a, const char *why);
/* GRUB renderings behind the pxh_script_* helpers (grub_script.c). */
int pxh_grub_kernel(struct pxh_answer *a, const char *kernel,
                    const char *initrd, const char *cmdline);
int pxh_grub_chain(struct pxh_answer *a, const char *url);
int pxh_grub_exit(struct pxh_answer *a);
int pxh_grub_shell(struct pxh_answer *a);
int pxh_grub_menu_begin(struct pxh_answer *a, const char *title,
                        unsigned timeout_ms, const char *default_id);
int pxh_grub_menu_item(struct pxh_answer *a, const char *id, const char *label,
                       const char *script);
int pxh_grub_menu_end(struct pxh_answer *a);

#endif /* PXEHUB_GRUB_SCRIPT_H */
