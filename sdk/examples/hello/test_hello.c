/* Unit test of the hello plugin with the pxehub test kit: no daemon, no
 * network.  Run: ./test_hello ./hello.so  (make check does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pxehub/testkit.h>

static int failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (cond) {                                                    \
			printf("ok %s\n", #cond);                              \
		} else {                                                       \
			printf("not ok %s (line %d)\n", #cond, __LINE__);      \
			failures++;                                            \
		}                                                              \
	} while (0)

int main(int argc, char **argv)
{
	const char *so = argc > 1 ? argv[1] : "./hello.so";
	pxh_tk *tk = pxh_tk_new("[boot]\ndefault_action = local\n"
	                        "[hello]\nmacs = 52:54:00:12:34:56\n"
	                        "greeting = Hi there\n");
	pxh_tk_decision d;
	pxh_client c;
	char *body = NULL;

	if (!tk || pxh_tk_load(tk, so)) {
		fprintf(stderr, "cannot load %s: %s\n", so, tk ? pxh_tk_error(tk) : "");
		return 1;
	}

	/* A listed MAC boots; the loader stays the server's default. */
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:12:34:56", "efi-x64");
	CHECK(pxh_tk_decide(tk, &c, &d) == 0);
	CHECK(d.verdict == PXH_BOOT);
	CHECK(strcmp(d.plugin, "hello") == 0);
	CHECK(strcmp(d.loader, "") == 0);

	/* Anyone else: hello says next, so [boot] default_action applies. */
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:99:99:99", "bios");
	CHECK(pxh_tk_decide(tk, &c, &d) == 0);
	CHECK(d.verdict == PXH_LOCAL);
	CHECK(strcmp(d.plugin, "default") == 0);

	/* iPXE phase: the greeting script. */
	pxh_tk_client(&c, PXH_PHASE_IPXE, "52:54:00:12:34:56", "efi-x64");
	CHECK(pxh_tk_decide(tk, &c, &d) == 0);
	CHECK(strstr(d.script, "echo Hi there, 52:54:00:12:34:56 (efi-x64)") != NULL);
	CHECK(strstr(d.script, "exit") != NULL);

	/* The event hook saw the decisions; the report hook counts them. */
	CHECK(pxh_tk_last_event(tk, PXH_EV_DECISION) != NULL);
	CHECK(pxh_tk_metric(tk, "pxehub_plugin_hello_decisions") == 3);
	CHECK(pxh_tk_metric(tk, "pxehub_plugin_hello_booted") == 2);
	CHECK(pxh_tk_metric(tk, "pxehub_plugin_hello_events") >= 3);

	/* The HTTP route under /plugins/hello/. */
	CHECK(pxh_tk_http(tk, "hello", "GET", "/", NULL, &body) == 200);
	CHECK(body && strstr(body, "Hi there: 3 decisions, 2 booted") != NULL);
	free(body);
	CHECK(pxh_tk_http(tk, "hello", "GET", "/macs", NULL, &body) == 200);
	CHECK(body && strcmp(body, "52:54:00:12:34:56\n") == 0);
	free(body);
	CHECK(pxh_tk_http(tk, "hello", "GET", "/nope", NULL, NULL) == 404);
	CHECK(pxh_tk_http(tk, "hello", "DELETE", "/", NULL, NULL) == 405);

	pxh_tk_free(tk);

	/* A bad key is refused before init runs, with FILE:LINE. */
	tk = pxh_tk_new("[hello]\nmac = 52:54:00:12:34:56\n");
	CHECK(tk && pxh_tk_load(tk, so) != 0);
	CHECK(tk && strstr(pxh_tk_error(tk), "unknown key 'mac'") != NULL);
	pxh_tk_free(tk);

	printf("%s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
