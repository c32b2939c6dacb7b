/* script_exec: the client's facts as one JSON object (the script's stdin)
 * and as PXEHUB_* environment variables. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "script_exec.h"

#define SE_ENV_MAX 64

/* Facts come from the wire: keep printable ASCII, so the JSON is valid
 * UTF-8 and no variable carries control characters. */
static void clean(char *dst, size_t cap, const char *src)
{
	size_t o = 0;

	for (; src && *src && o + 1 < cap; src++) {
		unsigned char ch = (unsigned char)*src;

		dst[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	dst[o] = 0;
}

struct fb {
	json_t *o;
	char **envp;
	size_t n_env, cap_env;
	int rc;
};

static void add_env(struct fb *b, const char *name, const char *value)
{
	char *s;

	if (b->rc)
		return;
	if (b->n_env + 1 >= b->cap_env) {
		b->rc = -E2BIG;
		return;
	}
	if (asprintf(&s, "%s=%s", name, value) < 0) {
		b->rc = -ENOMEM;
		return;
	}
	b->envp[b->n_env++] = s;
	b->envp[b->n_env] = NULL;
}

/* KEY in the JSON object and PXEHUB_ENV in the environment. */
static void fact(struct fb *b, const char *key, const char *env,
                 const char *value)
{
	char v[400]; /* a DUID: up to 389 */

	clean(v, sizeof(v), value);
	if (!b->rc && json_object_set_new(b->o, key, json_string(v)))
		b->rc = -ENOMEM;
	add_env(b, env, v);
}

static void fact_int(struct fb *b, const char *key, const char *env,
                     long long value)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", value);
	if (!b->rc && json_object_set_new(b->o, key, json_integer(value)))
		b->rc = -ENOMEM;
	add_env(b, env, v);
}

static void fact_bool(struct fb *b, const char *key, const char *env, int value)
{
	if (!b->rc && json_object_set_new(b->o, key, json_boolean(value)))
		b->rc = -ENOMEM;
	add_env(b, env, value ? "1" : "0");
}

/* The request's DHCP options as {"code": "hex"}. */
static void dhcp_options(struct fb *b, const pxh_client *c)
{
	json_t *opts;

	if (b->rc || !c->raw || !c->raw_len)
		return;
	opts = json_object();
	if (!opts || json_object_set_new(b->o, "dhcp_options", opts)) {
		b->rc = -ENOMEM;
		return;
	}
	for (unsigned code = 1; code < 255; code++) {
		size_t len;
		const uint8_t *p = pxh_client_option(c, (uint8_t)code, &len);
		char key[4], *hex;

		if (!p)
			continue;
		hex = malloc(2 * len + 1);
		if (!hex) {
			b->rc = -ENOMEM;
			return;
		}
		for (size_t i = 0; i < len; i++)
			snprintf(hex + 2 * i, 3, "%02x", p[i]);
		hex[2 * len] = 0;
		snprintf(key, sizeof(key), "%u", code);
		if (json_object_set_new(opts, key, json_string(hex)))
			b->rc = -ENOMEM;
		free(hex);
	}
}

/* The client's facts: the SDK's one list (pxh_client_json, the same keys
 * and values every plugin hands out), each KEY also as PXEHUB_KEY in the
 * environment (upper case; true/false as 1/0). */
static void client_facts(struct fb *b, const pxh_client *c)
{
	char *txt = pxh_client_json(c);
	json_t *o = txt ? json_loads(txt, 0, NULL) : NULL;
	const char *key;
	json_t *v;

	free(txt);
	if (!json_is_object(o)) {
		json_decref(o);
		if (!b->rc)
			b->rc = -ENOMEM;
		return;
	}
	json_object_foreach(o, key, v) {
		char env[64] = "PXEHUB_";
		size_t n = strlen(env);

		for (const char *k = key; *k && n + 1 < sizeof(env); k++)
			env[n++] = (char)toupper((unsigned char)*k);
		env[n] = 0;
		if (json_is_string(v))
			fact(b, key, env, json_string_value(v));
		else if (json_is_integer(v))
			fact_int(b, key, env, json_integer_value(v));
		else if (json_is_boolean(v))
			fact_bool(b, key, env, json_is_true(v));
	}
	json_decref(o);
}

int se_facts_build(pxh_host *h, enum se_hook hook, const pxh_client *c,
                   struct se_facts *f)
{
	struct fb b = {0};
	char url[256] = "";
	const char *sd = pxh_host_state_dir(h), *cd = pxh_host_conf_dir(h);
	const struct se_settings *set = pxh_conf_struct(h, NULL);
	size_t n_extra = set->env.n;

	memset(f, 0, sizeof(*f));
	b.o = json_object();
	/* the facts (SE_ENV_MAX at most) and every [script_exec] env entry */
	b.cap_env = SE_ENV_MAX + n_extra;
	b.envp = calloc(b.cap_env, sizeof(char *));
	if (!b.o || !b.envp) {
		b.rc = -ENOMEM;
		goto out;
	}
	pxh_host_base_url(h, c, url, sizeof(url));
	/* The environment: no inheritance from the daemon, only this. */
	add_env(&b, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	add_env(&b, "LANG", "C.UTF-8");
	add_env(&b, "PXEHUB_STATE_DIR", sd ? sd : "");
	add_env(&b, "PXEHUB_CONF_DIR", cd ? cd : "");
	fact(&b, "hook", "PXEHUB_HOOK", se_hook_name(hook));
	client_facts(&b, c);
	fact(&b, "base_url", "PXEHUB_BASE_URL", url);
	fact(&b, "fqdn", "PXEHUB_FQDN", pxh_host_fqdn(h));
	dhcp_options(&b, c);
	/* [script_exec] env = NAME=VALUE ... (checked at init) */
	for (size_t i = 0; i < n_extra && !b.rc; i++) {
		const char *kv = set->env.v[i];
		const char *eq = strchr(kv, '=');
		char name[64];

		if (!eq || (size_t)(eq - kv) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - kv), kv);
		add_env(&b, name, eq + 1);
	}
	if (b.rc)
		goto out;
	f->json = json_dumps(b.o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!f->json) {
		b.rc = -ENOMEM;
		goto out;
	}
	f->json_len = strlen(f->json);
	/* one line: "read line" in sh gets all of it */
	{
		char *t = realloc(f->json, f->json_len + 2);

		if (!t) {
			b.rc = -ENOMEM;
			goto out;
		}
		f->json = t;
		f->json[f->json_len++] = '\n';
		f->json[f->json_len] = 0;
	}
	f->envp = b.envp;
	f->n_env = b.n_env;
	b.envp = NULL;
out:
	json_decref(b.o);
	if (b.envp) {
		for (size_t i = 0; i < b.n_env; i++)
			free(b.envp[i]);
		free(b.envp);
	}
	if (b.rc) {
		free(f->json);
		memset(f, 0, sizeof(*f));
	}
	return b.rc;
}

void se_facts_free(struct se_facts *f)
{
	if (!f)
		return;
	for (size_t i = 0; f->envp && i < f->n_env; i++)
		free(f->envp[i]);
	free(f->envp);
	free(f->json);
	memset(f, 0, sizeof(*f));
}
