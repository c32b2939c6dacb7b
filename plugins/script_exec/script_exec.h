/* script_exec: internal interfaces between the plugin's files. */
#ifndef PXEHUB_SCRIPT_EXEC_H
#define PXEHUB_SCRIPT_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <pxehub/plugin.h>

/* The two executables, one per decision. */
enum se_hook {
	SE_ALLOW_BOOT = 0, /* DHCP phase: boot decision hook */
	SE_BOOT_IMAGES = 1, /* iPXE phase: boot script hook */
	SE_HOOKS
};

static inline const char *se_hook_name(enum se_hook k)
{
	return k == SE_ALLOW_BOOT ? "allow_boot" : "boot_images";
}

/* The decision phase each hook answers. */
static inline enum pxh_phase se_phase(enum se_hook k)
{
	return k == SE_ALLOW_BOOT ? PXH_PHASE_DHCP : PXH_PHASE_IPXE;
}

/* ---- answers: the SDK's parser (core/answer_parse.c) ----------------------- */
#define SE_TTL_MAX PXH_TTL_MAX

/* ---- client facts (se_facts.c) ------------------------------------------- */
/* What the script is told: one JSON object (stdin) and environment. */
struct se_facts {
	char *json;     /* NUL terminated, ends with "\n" */
	size_t json_len;
	char **envp;    /* NULL terminated "NAME=VALUE" strings */
	size_t n_env;
};

int se_facts_build(pxh_host *h, enum se_hook hook, const pxh_client *c,
                   struct se_facts *f);
void se_facts_free(struct se_facts *f);

/* ---- the plugin's state (script_exec.c) ----------------------------------- */
struct se_entry;
struct se_run;

/* [script_exec] as the core fills it from se_keys (script_exec.c) */
struct se_settings {
	const char *allow_boot, *boot_images; /* NULL when unset */
	double timeout_s;
	unsigned max_running, max_queued;
	size_t max_output;
	double ttl_s, error_ttl_s;
	const char *on_error, *on_timeout;
	unsigned stderr_lines;
	size_t max_cached;
	pxh_conf_list env; /* NAME=VALUE, checked at init */
};

/* what init made of it */
struct se_conf {
	char *path[SE_HOOKS]; /* executables; NULL = hook not registered */
	double timeout;       /* seconds */
	unsigned max_running;
	unsigned max_queued;
	size_t max_output;
	double ttl;       /* default answer lifetime, seconds */
	double error_ttl; /* lifetime of a failure's policy answer */
	int on_error;     /* verdicts */
	int on_timeout;
	unsigned stderr_lines;
	size_t max_cached;
};

#define SE_BUCKETS 256

struct se {
	pxh_host *h;
	const struct se_settings *set;
	struct se_conf conf;
	struct se_entry *bucket[SE_BUCKETS]; /* cache and runs by (hook, facts) */
	struct se_entry *q_head, *q_tail;    /* waiting for a free slot */
	size_t n_entries;
	unsigned n_queued;
	unsigned n_running; /* processes spawned and not yet released */
	pxh_timer *sweep;
	bool closing;
	/* figures for the report hook */
	unsigned long long c_spawned, c_cached, c_coalesced, c_ok, c_failed,
		c_timeouts, c_oversize, c_garbage, c_queue_full, c_stderr_lines;
	unsigned max_running_seen, max_queued_seen;
};

/* One decision in progress or remembered: per (hook, the whole facts
 * object the script reads), so two requests share an answer only when the
 * script would have been asked exactly the same question. */
enum se_state { SE_QUEUED, SE_RUNNING, SE_DONE };
enum se_outcome { SE_OK, SE_FAILED, SE_TIMEOUT };

struct se_waiter {
	struct se_waiter *next;
	pxh_request *req;
};

struct se_entry {
	struct se_entry *next;  /* hash chain */
	struct se_entry *qnext; /* queue */
	enum se_hook hook;
	char mac[18];
	enum se_state state;
	pxh_client client; /* the first request's (raw dropped): for the log */
	struct se_facts facts; /* built from the first request, for the run */
	char *key;             /* facts.json: the run takes the facts away */
	uint32_t key_hash;     /* of hook and key */
	struct se_waiter *waiters;
	struct se_run *run;
	/* the result, once SE_DONE */
	enum se_outcome outcome;
	char *out;
	size_t out_len;
	char why[200];
	double expires;
};

/* ---- the process runner (se_run.c) ---------------------------------------- */
/* Spawn HOOK's executable for entry E (which becomes SE_RUNNING); the
 * result comes back through se_entry_finish().  Returns 0 or -errno (then
 * nothing was started). */
int se_run_start(struct se *se, struct se_entry *e);
/* Kill a run's process group (the plugin is going away). */
void se_run_abort(struct se_run *r);
/* Fill in the entry's result and answer every waiter (se_table.c). */
void se_entry_finish(struct se *se, struct se_entry *e, enum se_outcome o,
                     char *out, size_t out_len, const char *why);
/* A run released its slot: start queued work (se_table.c). */
void se_slot_free(struct se *se);

/* ---- cache and queue (se_table.c) ----------------------------------------- */
enum pxh_verdict se_decide(struct se *se, enum se_hook hook,
                           const pxh_client *c, pxh_answer *a,
                           pxh_request *req);
void se_table_sweep(struct se *se, bool all);

#endif
