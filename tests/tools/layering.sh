#!/bin/sh
# The dependency rule of docs/HACKING.md, checked on the include lines of
# the tree at ROOT (default: this checkout): plugins -> SDK; protocols
# (the folders of core/: dhcp, dhcp6, tftp, http) -> plugin host and base; the base and
# the plugin host (every other file of core/) know no protocol and no plugin.
# Prints "ok NAME" / "not ok NAME # what" per rule; exit 1 when one fails.
#
# The assembly (core/server.c, core/main.c, core/conf_sections.c) puts the
# modules together and may include any of them.  core/dhcp/dhcp_proto.h is wire constants only
# (checked below), which the base's DHCP options reader uses.
set -u
ROOT=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 2
rc=0
ASSEMBLY="core/server.c core/main.c core/conf_sections.c"
# the known edges between protocols (docs/HACKING.md): DHCPv6 builds on the
# DHCPv4 module (decision, limits, facts helpers); HTTP serves the TFTP root
# under /tftp (reads [tftp] root); GRUB's stage 2 over TFTP is rendered by
# the HTTP module's boot code.  A new edge is a design
# decision: add it here and to HACKING.md, or move the shared code down.
CROSS_OK_DIRS="dhcp6:dhcp http:tftp"
CROSS_OK="core/tftp/tftp_session.c:http/grub_stage.h"
# SDK functions the HTTP module itself provides (it owns the request)
SDK_IN_PROTO_OK="pxh_http_header"

report() { # name problems
	if [ -z "$2" ]; then
		echo "ok $1"
	else
		echo "not ok $1 # $(echo "$2" | tr '\n' ' ')"
		rc=1
	fi
}

# quoted includes of FILE, one per line
incs() { sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"; }

# the protocol folders: every folder of core/ but pxehubctl (a client)
PROTOS=$(cd core && for d in */; do d=${d%/}; [ "$d" = pxehubctl ] || echo "$d"; done)

# the protocol folder a quoted include from FILE names, or nothing:
# "dhcp/x.h" anywhere, a bare "x.h" only when FILE's own folder has no x.h
# and core/ has none but a protocol folder has
proto_of() { # file include
	case "$2" in
	*/*) p=${2%%/*}
		case " $(echo $PROTOS) " in *" $p "*) echo "$p" ;; esac
		return ;;
	esac
	if [ -e "$(dirname "$1")/$2" ]; then
		case "$(dirname "$1")" in core/*) basename "$(dirname "$1")" ;; esac
		return
	fi
	[ -e "core/$2" ] && return
	for p in $PROTOS; do
		[ -e "core/$p/$2" ] && { echo "$p"; return; }
	done
}

# 1. base and plugin host: no protocol header
bad=""
for f in core/*.c core/*.h; do
	case " $ASSEMBLY " in *" $f "*) continue ;; esac
	for i in $(incs "$f"); do
		p=$(proto_of "$f" "$i")
		[ -n "$p" ] || continue
		[ "$i" = dhcp/dhcp_proto.h ] && continue
		bad="$bad$f includes $i
"
	done
done
report base_knows_no_protocol "$bad"

# dhcp_proto.h stays constants only (the exception above relies on it)
bad=$(grep -vE '^[[:space:]]*$|^#(define|ifndef|endif)|^[[:space:]]*/?\*' core/dhcp/dhcp_proto.h)
report dhcp_proto_constants_only "$bad"

# 2. protocols: no other protocol's headers (one known edge)
bad=""
for d in $PROTOS; do
	for f in core/$d/*.c core/$d/*.h; do
		[ -e "$f" ] || continue
		for i in $(incs "$f"); do
			p=$(proto_of "$f" "$i")
			[ -n "$p" ] && [ "$p" != "$d" ] || continue
			case " $CROSS_OK " in *" $f:$i "*) continue ;; esac
			case " $CROSS_OK_DIRS " in *" $d:$p "*) continue ;; esac
			bad="$bad$f includes $i
"
		done
	done
done
report protocols_independent "$bad"

# 3. the core includes nothing of plugins/
bad=$(grep -rn --include='*.c' --include='*.h' -E '#[[:space:]]*include[[:space:]]*"[^"]*plugins/' core || true)
report core_knows_no_plugin "$bad"

# 4. plugins: the SDK (pxehub/...), their own files and plugins/common only
bad=""
for f in $(find plugins -name '*.c' -o -name '*.h' | sort); do
	for i in $(incs "$f"); do
		case "$i" in pxehub/*) continue ;; esac
		if [ -e "$(dirname "$f")/$i" ]; then
			case "$(cd "$(dirname "$f")" && cd "$(dirname "$i")" && pwd)" in
			"$ROOT"/plugins/*) continue ;;
			esac
		fi
		bad="$bad$f includes $i
"
	done
done
report plugins_use_only_the_sdk "$bad"

# 5. plugin_host.h is the plugin host's own
bad=$(grep -rln --include='*.c' --include='*.h' -E '#[[:space:]]*include[[:space:]]*"plugin_host\.h"' core sdk tests packaging 2>/dev/null |
	grep -vxE 'core/plugin_host\.c|core/host_api\.c' || true)
report plugin_host_private "$bad"

# 6. SDK services live in core-level files, not in protocol folders
sdk_fns=$(sed 's|/\*.*\*/||' sdk/include/pxehub/plugin.h | grep -oE '\bpxh_[a-z0-9_]+[[:space:]]*\(' |
	sed 's/[[:space:]]*($//' | sort -u)
bad=""
for fn in $sdk_fns; do
	case " $SDK_IN_PROTO_OK " in *" $fn "*) continue ;; esac
	# a definition: the name at the start of a line or after the return
	# type, followed by '(' and, on some later line, a '{' at column 0
	hit=$(for d in $PROTOS; do grep -lE "^([a-z_][a-z0-9_ *]*[ *])?$fn\(" core/$d/*.c 2>/dev/null; done || true)
	[ -n "$hit" ] && bad="$bad$fn in $(echo $hit)
"
done
report sdk_services_outside_protocols "$bad"

exit $rc
