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
			/^#?\[/ { in_s = ($0 == s || $0 == "#" s) }
			in_s && ($0 ~ "^#?" k " =") { found = 1 }
			END { exit !found }' "$conf" || echo "$section $key"
		;;
	esac
done >"${TMPDIR:-/tmp}/pxh-missing.$$"
missing=$(cat "${TMPDIR:-/tmp}/pxh-missing.$$"); rm -f "${TMPDIR:-/tmp}/pxh-missing.$$"
[ -z "$missing" ] && ok "etc/pxehub.conf documents every key" || not_ok "etc/pxehub.conf documents every key" "missing: $(echo $missing)"
out=$("$PXHD" -t -c "$conf" 2>&1) && ok "etc/pxehub.conf passes pxehubd -t" || not_ok "etc/pxehub.conf passes pxehubd -t" "$out"

# Every commented example line in the shipped files works when an admin
# uncomments it: no trailing "# ..." (the parser keeps it as part of the
# value), no prose that reads as a key.  All example lines of all plugin
# files at once, each plugin enabled; the only errors allowed are files the
# examples name that this host does not have.
pxh_init
mkdir -p "$T/plugins.d" "$T/state"
for f in "$PXH_TOP"/etc/plugins.d/*.conf; do
	sed -E 's/^# ?(\[[a-z_0-9.]+\])$/\1/; s/^# ?([a-z_0-9]+ =.*)$/\1/; s/^enabled = no$/enabled = yes/' \
		"$f" >"$T/plugins.d/${f##*/}"
done
n_examples=$(grep -cE '^[a-z_0-9]+ =' "$T"/plugins.d/*.conf | awk -F: '{ s += $2 } END { print s }')
cat >"$T/pxehub.conf" <<EOC
[server]
state_dir = $T/state
[access]
allow = all
[plugins]
conf_dir = $T/plugins.d
dir = $PXH_PLUGINS
EOC
out=$("$PXHD" -t -c "$T/pxehub.conf" 2>&1)
bad=$(printf '%s\n' "$out" | grep -v ': No such file or directory$' | grep -v 'configuration OK' | grep .)
if [ "$n_examples" -gt 100 ] && [ -z "$bad" ] && printf '%s\n' "$out" | grep -q ': No such file'; then
	ok "plugins.d examples ($n_examples lines) pass -t when uncommented"
else
	not_ok "plugins.d examples pass -t when uncommented" "$n_examples lines; $(echo $bad)"
fi
sed -E 's/^#(\[[a-z_0-9.A-Z]+\])$/\1/; s/^# ?([a-z_0-9]+ =.*)$/\1/; s|@[A-Z]*DIR@|'"$T"'|g' "$conf" >"$T/main-all.conf"
out=$("$PXHD" -t -c "$T/main-all.conf" 2>&1) && ok "etc/pxehub.conf examples pass -t when uncommented" ||
	not_ok "etc/pxehub.conf examples pass -t when uncommented" "$out"
# a string value takes a trailing comment silently: none in the examples
trail=$(grep -nE '^# ?[a-z_0-9]+ =.*[[:space:]]#' "$PXH_TOP"/etc/plugins.d/*.conf "$conf")
[ -z "$trail" ] && ok "no example line ends in a comment" ||
	not_ok "no example line ends in a comment" "$(echo $trail)"
# pxehub.conf(5) documents every plugin key too (in its PLUGIN KEYS section)
man5=$PXH_TOP/docs/man/pxehub.conf.5
undoc=""
for so in "$PXH_PLUGINS"/*.so; do
	[ -f "$so" ] || continue
	for k in $("$PXH_TOP/$B/tools/plugin_keys" "$so" | sed -n 's/^#\([a-z_0-9]*\) =.*/\1/p'); do
		sed -n '/^\.SH PLUGIN KEYS/,/^\.SH FILES/p' "$man5" | grep -q "^\\\\fB$k\\\\fR" || undoc="$undoc ${so##*/}:$k"
	done
done
[ -z "$undoc" ] && ok "pxehub.conf(5) documents every plugin key" ||
	not_ok "pxehub.conf(5) documents every plugin key" "missing:$undoc"
