#!/bin/sh
# The dependency rule of docs/HACKING.md holds in this tree
# (tests/tools/layering.sh: plugins -> SDK; protocols -> plugin host and
# base; base knows no protocol or plugin; plugin_host.h private; SDK
# services outside the protocol folders), and the checker catches each kind
# of break: a copy of the tree with one violation per rule must fail that
# rule and only that one.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CHECK=$TOP/tests/tools/layering.sh
W=$(mktemp -d /tmp/pxh-layering.XXXXXX)
trap 'rm -rf "$W"' EXIT
failed=0

out=$(sh "$CHECK" "$TOP" 2>&1)
rc=$?
echo "$out"
[ $rc = 0 ] || failed=1

# a fresh copy of what the checker reads
copy() {
	rm -rf "$W/t" && mkdir -p "$W/t/sdk" &&
		cp -r "$TOP/core" "$TOP/plugins" "$W/t/" &&
		cp -r "$TOP/sdk/include" "$W/t/sdk/"
}

# case NAME: after CHANGE (a shell snippet run in the copy), rule RULE
# fails and every other rule still passes
expect_caught() { # name rule change
	copy || { echo "not ok $1 # copy failed"; failed=1; return; }
	(cd "$W/t" && eval "$3")
	res=$(sh "$CHECK" "$W/t" 2>&1)
	if echo "$res" | grep -q "^not ok $2 " &&
	   [ "$(echo "$res" | grep -c '^not ok')" = 1 ]; then
		echo "ok $1"
	else
		echo "not ok $1 # checker said: $(echo "$res" | tr '\n' ' ')"
		failed=1
	fi
}

expect_caught caught_base_includes_protocol_path base_knows_no_protocol \
	'printf "#include \"http/http.h\"\n" >>core/log.c'
expect_caught caught_base_includes_protocol_bare_name base_knows_no_protocol \
	'printf "#include \"tftp_server.h\"\n" >>core/events.c'
expect_caught caught_dhcp_proto_constants_only dhcp_proto_constants_only \
	'printf "static int x;\n" >>core/dhcp/dhcp_proto.h'
expect_caught caught_protocols_independent protocols_independent \
	'printf "#include \"dhcp/dhcp.h\"\n" >>core/http/http_boot.c'
expect_caught caught_core_knows_no_plugin core_knows_no_plugin \
	'printf "#include \"../plugins/peer/peer.h\"\n" >>core/decide.c'
expect_caught caught_plugins_use_only_the_sdk plugins_use_only_the_sdk \
	'printf "#include \"log.h\"\n" >>plugins/referral/referral.h'
expect_caught caught_plugin_host_private plugin_host_private \
	'printf "#include \"plugin_host.h\"\n" >>core/clients.c'
expect_caught caught_sdk_services_outside_protocols sdk_services_outside_protocols \
	'printf "const char *pxh_arch_name(uint16_t arch)\n{\n\treturn \"\";\n}\n" >>core/dhcp/dhcp_facts.c'

exit $failed
