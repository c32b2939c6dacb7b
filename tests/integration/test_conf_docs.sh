#!/bin/sh
# The shipped etc/pxehub.conf documents every key the daemon knows (its
# tables, via pxehubd --dump-config) in the right section, and passes -t.
. "$(dirname "$0")/../lib.sh"
PXH_TOP=$(cd "$(dirname "$0")/../.." && pwd)
conf=$PXH_TOP/etc/pxehub.conf
missing=""
section=""
"$PXHD" --dump-config | while IFS= read -r line; do
	case "$line" in
	\[*\]) section=$line ;;
	\#[a-z]*=*)
		key=${line#\#}; key=${key%% =*}
		case "$key" in *[!a-z0-9_]*) continue ;; esac
		# the key must appear commented or set inside the same section
		awk -v s="$section" -v k="$key" '
			/^\[/ { in_s = ($0 == s) }
			in_s && ($0 ~ "^#?" k " =") { found = 1 }
			END { exit !found }' "$conf" || echo "$section $key"
		;;
	esac
done >"${TMPDIR:-/tmp}/pxh-missing.$$"
missing=$(cat "${TMPDIR:-/tmp}/pxh-missing.$$"); rm -f "${TMPDIR:-/tmp}/pxh-missing.$$"
[ -z "$missing" ] && ok "etc/pxehub.conf documents every key" || not_ok "etc/pxehub.conf documents every key" "missing: $(echo $missing)"
out=$("$PXHD" -t -c "$conf" 2>&1) && ok "etc/pxehub.conf passes pxehubd -t" || not_ok "etc/pxehub.conf passes pxehubd -t" "$out"
