#!/bin/sh
# pxehub script_exec example (allow_boot, DHCP phase): boot only the machines
# listed in an allowlist and ignore every other one, so their firmware moves
# on to its next boot device as if no PXE server were there.
#
#   [script_exec]
#   allow_boot = /etc/pxehub/scripts/allowlist.sh
#   env = ALLOWLIST=/etc/pxehub/scripts/allowlist.txt
#
# The list: one MAC (any case, ':' or '-') or SMBIOS UUID per line; '#'
# starts a comment.  Listed machines get the server's default loader for
# their architecture; the answer is kept 60 s.
list=${ALLOWLIST:-/etc/pxehub/scripts/allowlist.txt}
mac=$(printf '%s' "$PXEHUB_MAC" | tr 'A-F-' 'a-f:')
uuid=$(printf '%s' "$PXEHUB_UUID" | tr 'a-f' 'A-F')

if [ ! -r "$list" ]; then
	echo "allowlist $list is not readable: ignoring $mac" >&2
	echo '{"action": "ignore", "reason": "allowlist not readable"}'
	exit 0
fi
# strip comments and blanks; compare whole lines, case-insensitively, the
# MAC with ':' or '-' and the UUID
if sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" |
	grep -qixF -e "$mac" -e "$(printf '%s' "$mac" | tr ':' '-')" ${uuid:+-e "$uuid"}; then
	echo '{"action": "boot", "ttl": 60, "reason": "in the allowlist"}'
else
	echo '{"action": "ignore", "ttl": 60, "reason": "not in the allowlist"}'
fi
