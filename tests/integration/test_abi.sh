#!/bin/sh
# Plugin ABI 1.0, frozen and enforced (sdk/include/pxehub/plugin.h):
# - pxehubd exports exactly the functions plugin.h declares (nm -D);
# - a plugin calling an internal function does not load: pxehubd -t and a
#   start name the symbol (tests/plugins/tp_internal_sym.c);
# - the frozen 1.0 header (tests/abi/plugin-1.0.h, pinned by its hash) is
#   a prefix of the live one: every field keeps its offset and size, every
#   constant its value, every function its name;
# - a plugin built against the frozen header only (tests/abi/abi10.so)
#   loads into the current pxehubd, its decision hooks answer (pxehubctl
#   decide, /boot.ipxe) and its event hook reads every field of the events
#   right (MAC, arch, facts, action, file, bytes...).
. "$(dirname "$0")/../lib.sh"
pxh_init
ABI=$PXH_TOP/$B/tests/abi
TP=$PXH_TOP/$B/tests/plugins
FROZEN_SHA256=1a3ed7dc2565d69d1c96dac60fe710b4871a2d0938d285ae4cafc05382f07791

# ---- exports ----------------------------------------------------------------------
sh "$PXH_TOP/packaging/tools/sdk_symbols.sh" "$PXH_TOP/sdk/include/pxehub/plugin.h" >"$T/sdk.syms"
nm -D --defined-only "$PXHD" | awk '$3 ~ /^pxh_/ {print $3}' | LC_ALL=C sort >"$T/exported"
n=$(wc -l <"$T/sdk.syms")
if [ "$n" -gt 50 ] && cmp -s "$T/sdk.syms" "$T/exported"; then
	ok "pxehubd exports exactly plugin.h's $n functions"
else
	not_ok "pxehubd exports exactly plugin.h's $n functions" \
		"$(diff "$T/sdk.syms" "$T/exported" | grep '^[<>]' | head -5 | tr '\n' ' ')"
fi
# nothing else of pxehub's either (sanitizer runtimes may add their own)
other=$(nm -D --defined-only "$PXHD" | awk '$3 !~ /^(pxh_|_|__)/ {print $3}' |
	grep -v -E '^(_?_?asan|_?_?ubsan|_?_?lsan|_?_?sanitizer|_end|_edata|_init|_fini)' | head -5)
[ -z "$other" ] && ok "pxehubd exports no other symbol of its own" \
	|| not_ok "pxehubd exports no other symbol of its own" "$other"

# ---- shipped plugins build against the SDK alone --------------------------------
bad="" n=0
for d in "$PXH_TOP"/plugins/*/; do
	name=$(basename "$d")
	ls "$d"*.c >/dev/null 2>&1 && [ "$name" != common ] || continue
	n=$((n + 1))
	cmd=$(make -s -n -B -C "$PXH_TOP" B="$B" "$B/lib/pxehub/plugins/$name.so" 2>&1 | grep -- '-shared')
	case " $cmd " in
	*" -I$B/sdk/include "*) ;;
	*) bad="$bad $name:no-staged-sdk" ;;
	esac
	case " $cmd " in *" -Icore"*|*" -Isdk/include"*) bad="$bad $name:source-tree" ;; esac
done
[ "$n" -ge 5 ] && [ -z "$bad" ] && ok "every shipped plugin ($n) builds with -I of the staged SDK only" \
	|| not_ok "every shipped plugin builds with -I of the staged SDK only" "n=$n$bad"

# ---- a plugin calling an internal function -----------------------------------------
CONF=$T/pxehub.conf
pxh_conf "$CONF"
sed -i "s|^dir = .*|dir = $TP|" "$CONF"
printf '[tp_internal_sym]\nenabled = yes\n' >"$T/plugins.d/tp_internal_sym.conf"
want="plugin tp_internal_sym: undefined symbol pxh_dhcp_arch_normalise (not part of the plugin SDK"
out=$("$PXHD" -t -c "$CONF" 2>&1); rc=$?
[ $rc != 0 ] && printf '%s\n' "$out" | grep -qF "$want" \
	&& ok "pxehubd -t: an internal symbol is named, not loaded" \
	|| not_ok "pxehubd -t: an internal symbol is named, not loaded" "rc=$rc $out"
timeout 10 "$PXHD" -f -c "$CONF" >"$T/start.log" 2>&1; rc=$?
[ $rc != 0 ] && [ $rc != 124 ] && grep -qF "$want" "$T/start.log" \
	&& ok "pxehubd refuses to start with it, naming the symbol" \
	|| not_ok "pxehubd refuses to start with it, naming the symbol" "rc=$rc $(tail -3 "$T/start.log")"
rm -f "$T/plugins.d/tp_internal_sym.conf"

# ---- the frozen header -------------------------------------------------------------
sum=$(sha256sum "$PXH_TOP/tests/abi/plugin-1.0.h" | cut -d' ' -f1)
[ "$sum" = "$FROZEN_SHA256" ] && ok "tests/abi/plugin-1.0.h is the frozen 1.0 header (sha256)" \
	|| not_ok "tests/abi/plugin-1.0.h is the frozen 1.0 header (sha256)" "$sum: the fixture must never change"
"$ABI/layout-1.0" | grep -v '^sizeof' >"$T/layout-1.0"
"$ABI/layout-live" >"$T/layout-live"
missing=$(grep -v -x -F -f "$T/layout-live" "$T/layout-1.0" | head -5 | tr '\n' ';')
[ "$(wc -l <"$T/layout-1.0")" -gt 150 ] && [ -z "$missing" ] \
	&& ok "live plugin.h keeps every 1.0 field offset, size and constant ($(wc -l <"$T/layout-1.0") checks)" \
	|| not_ok "live plugin.h keeps every 1.0 field offset, size and constant" "changed: $missing"
# no live struct is smaller than its 1.0 self
"$ABI/layout-1.0" | grep '^sizeof' | while read -r _ t s; do
	l=$(awk -v t="$t" '$1 == "sizeof" && $2 == t {print $3}' "$T/layout-live")
	[ "${l:-0}" -ge "$s" ] || echo "$t $s -> $l"
done >"$T/shrunk"
[ ! -s "$T/shrunk" ] && ok "no public struct shrank" || not_ok "no public struct shrank" "$(cat "$T/shrunk")"
# core/abi.h's 1.0 sizes (how far the core reads a 1.0 plugin's structs)
# are the end of each struct's last field in the frozen header
printf '%s\n' '#include <stdio.h>' '#include "abi.h"' 'int main(void) {' \
	'printf("pxh_client %zu\npxh_event %zu\npxh_wimboot %zu\npxh_conf_key %zu\n",' \
	'PXH_CLIENT_SIZE_1_0, PXH_EVENT_SIZE_1_0, PXH_WIMBOOT_SIZE_1_0, PXH_CONF_KEY_SIZE_1_0);' \
	'return 0; }' >"$T/abisizes.c"
if ${CC:-cc} -I"$PXH_TOP/sdk/include" -I"$PXH_TOP/core" -o "$T/abisizes" "$T/abisizes.c" 2>"$T/abisizes.err"; then
	"$T/abisizes" >"$T/abisizes.out"
	"$ABI/layout-1.0" | awk '$1 == "offset" { split($2, a, "."); e = $3 + $4
		if (e > end[a[1]]) end[a[1]] = e } END { for (t in end) print t, end[t] }' >"$T/ends-1.0"
	bad=$(awk 'NR == FNR { end[$1] = $2; next } end[$1] != $2 { print $1 ": core/abi.h " $2 ", frozen " end[$1] }' \
		"$T/ends-1.0" "$T/abisizes.out" | tr '\n' ';')
	[ "$(wc -l <"$T/abisizes.out")" = 4 ] && [ -z "$bad" ] \
		&& ok "core/abi.h's 1.0 sizes end at the frozen header's last field ($(tr '\n' ' ' <"$T/abisizes.out"))" \
		|| not_ok "core/abi.h's 1.0 sizes end at the frozen header's last field" "$bad"
else
	not_ok "core/abi.h's 1.0 sizes end at the frozen header's last field" "$(head -3 "$T/abisizes.err")"
fi
sh "$PXH_TOP/packaging/tools/sdk_symbols.sh" "$PXH_TOP/tests/abi/plugin-1.0.h" >"$T/frozen.syms"
gone=$(LC_ALL=C comm -23 "$T/frozen.syms" "$T/sdk.syms" | tr '\n' ' ')
[ -z "$gone" ] && ok "every 1.0 function is still declared and exported" \
	|| not_ok "every 1.0 function is still declared and exported" "$gone"

# ---- a 1.0 plugin in today's pxehubd ---------------------------------------------
MAC=52:54:00:ab:10:01
mkdir -p "$T/abi-plugins"
cp "$ABI/abi10.so" "$T/abi-plugins/"
sed -i "s|^dir = .*|dir = $T/abi-plugins|" "$CONF"
printf '[abi10]\nenabled = yes\nmacs = %s\nloader = abi10.efi\n' "$MAC" >"$T/plugins.d/abi10.conf"
head -c 70000 /dev/urandom >"$T/http/blob.bin"
out=$("$PXHD" -t -c "$CONF" 2>&1) && ok "pxehubd -t accepts the 1.0 plugin" \
	|| not_ok "pxehubd -t accepts the 1.0 plugin" "$out"
out=$("$PXHD" -t -v -c "$CONF" 2>&1)
printf '%s\n' "$out" | grep -qx '\[abi10\]' && printf '%s\n' "$out" | grep -qx '#   MACs to boot' &&
	printf '%s\n' "$out" | grep -qx '#loader = abi10.efi' \
	&& ok "pxehubd -t -v shows the plugin's keys, help and defaults" \
	|| not_ok "pxehubd -t -v shows the plugin's keys, help and defaults" "$out"
out=$("$PXHCTL" -c "$CONF" decide --mac "$MAC" --arch efi-x64 2>&1)
printf '%s\n' "$out" | grep -qx 'plugin: abi10' && printf '%s\n' "$out" | grep -q 'abi10.efi' \
	&& ok "its DHCP decision hook answers (pxehubctl decide)" \
	|| not_ok "its DHCP decision hook answers (pxehubctl decide)" "$out"
# pxehubctl decide builds the daemon's default menu, menu_dir items too
mkdir -p "$T/menu.d"
printf '#!ipxe\n# WinPE from the ABI test\nchain http://10.0.0.1/winpe.ipxe\n' >"$T/menu.d/winpe.ipxe"
printf '[boot]\nmenu_dir = %s/menu.d\n' "$T" >>"$CONF"
out=$("$PXHCTL" -c "$CONF" decide --mac 52:54:00:00:00:99 --arch efi-x64 --phase ipxe 2>&1)
printf '%s\n' "$out" | grep -q "WinPE from the ABI test" && printf '%s\n' "$out" | grep -q "plugin: default" \
	&& ok "pxehubctl decide --phase ipxe: the default menu has the menu_dir items" \
	|| not_ok "pxehubctl decide --phase ipxe: the default menu has the menu_dir items" "$out"
NS=$(pxh_netns abi)
if ! pxh_daemon "$CONF" "$NS"; then not_ok "pxehubd loads the 1.0 plugin" "did not start"; exit 1; fi
ok "pxehubd loads the 1.0 plugin"
# the default priority is the key table's (100), in the log and the status API
grep -q "plugin: loaded name=abi10 version=1.0 priority=100 " "$T/pxehubd.log" &&
	ip netns exec "$NS" curl -s -m 5 http://127.0.0.1/api/v1/status |
	python3 -c 'import json,sys; d=json.load(sys.stdin); p=[x for x in d["plugins"] if x["name"]=="abi10"]; sys.exit(0 if p and p[0]["priority"]==100 else 1)' \
	&& ok "default priority 100 in the log and /api/v1/status (as pxehubctl plugin list says)" \
	|| not_ok "default priority 100 in the log and /api/v1/status (as pxehubctl plugin list says)" "$(grep 'plugin: loaded' "$T/pxehubd.log")"
get() { ip netns exec "$NS" curl -s -m 5 "$@"; }
UUID=01234567-89AB-CDEF-0123-456789ABCDEF
script=$(get "http://127.0.0.1/boot.ipxe?mac=$MAC&arch=x86_64&platform=efi&manufacturer=ACME%20Corp&product=Box&serial=SN-42&uuid=$UUID")
printf '%s\n' "$script" | grep -qx 'echo abi10 says hello' \
	&& ok "its script hook answers /boot.ipxe" || not_ok "its script hook answers /boot.ipxe" "$script"
n=$(get -o /dev/null -w '%{size_download}' "http://127.0.0.1/files/blob.bin")
[ "$n" = 70000 ] || not_ok "download /files/blob.bin" "$n bytes"
LOG=$T/state/plugins/abi10/events.log
field() { printf '%s\n' "$1" | tr '|' '\n' | sed -n "s/^$2=//p"; }
line_of() { wait_for grep -q "$1" "$LOG" && grep "$1" "$LOG" | tail -1; }
ev=$(line_of "|kind=decision|.*|mac=$MAC|.*|plugin=abi10|")
bad=""
expect() { v=$(field "$ev" "$1"); [ "$v" = "$2" ] || bad="$bad $1='$v'(want '$2')"; }
for kv in size=624 severity=6 phase=2 mac=$MAC uuid=$UUID arch=7 arch_name=efi-x64 \
          user_class=iPXE is_ipxe=1 ip=127.0.0.1 manufacturer='ACME Corp' product=Box \
          serial=SN-42 platform=efi buildarch=x86_64 raw=null raw_len=0 action=boot \
          plugin=abi10; do
	expect "${kv%%=*}" "${kv#*=}"
done
[ "$(field "$ev" csize)" -ge 688 ] 2>/dev/null || bad="$bad csize='$(field "$ev" csize)'"
[ "$(field "$ev" time_us)" -gt 1700000000000000 ] 2>/dev/null || bad="$bad time_us"
printf '%s\n' "$(field "$ev" message)" | grep -q "abi10: listed" || bad="$bad message='$(field "$ev" message)'"
[ -n "$ev" ] && [ -z "$bad" ] && ok "its event hook reads the decision event's every field right" \
	|| not_ok "its event hook reads the decision event's every field right" "${ev:-no event}:$bad"
ev=$(line_of "|kind=script_served|.*|mac=$MAC|")
bad=""
expect file /boot.ipxe; expect action boot; expect plugin abi10; expect serial SN-42
expect bytes "$(printf '%s\n' "$script" | wc -c)"
[ -n "$ev" ] && [ -z "$bad" ] && ok "script_served: file, bytes, plugin" \
	|| not_ok "script_served: file, bytes, plugin" "${ev:-no event}:$bad"
ev=$(line_of "|kind=download_end|.*|file=/files/blob.bin|")
bad=""
expect bytes 70000; expect phase 4; expect ip 127.0.0.1; expect server_ip 127.0.0.1
expect action end; expect mac "$MAC" # attributed by the address /boot.ipxe came from
# on loopback the whole file can go within one loop turn: 0 us is right then
[ "$(field "$ev" duration_us)" -lt 10000000 ] 2>/dev/null || bad="$bad duration_us"
[ -n "$ev" ] && [ -z "$bad" ] && ok "download_end: file, bytes, action, duration, addresses" \
	|| not_ok "download_end: file, bytes, action, duration, addresses" "${ev:-no event}:$bad"
grep -q "NULL-CLIENT" "$LOG" && not_ok "every event hands the hook a client" "$(grep -c NULL-CLIENT "$LOG") without" \
	|| ok "every event hands the hook a client"

# ---- an init failure's reason (pxh_init_error) reaches pxehubctl reload ----------
cp "$TP/tp_init_fails.so" "$T/abi-plugins/"
printf '[tp_init_fails]\nenabled = yes\n' >"$T/plugins.d/tp_init_fails.conf"
want="init failed: back end db.example:1433 unreachable (Host is down)"
# (pxehubd -t checks keys only: init runs at start and reload)
out=$(ip netns exec "$NS" "$PXHCTL" -c "$CONF" reload 2>&1); rc=$?
[ $rc = 1 ] && printf '%s\n' "$out" | grep -qF "$want" && kill -0 "$PXH_PID" \
	&& ok "pxehubctl reload shows it, the old plugins keep running" \
	|| not_ok "pxehubctl reload shows it, the old plugins keep running" "rc=$rc: $out"
grep -qF "$want" "$T/pxehubd.log" && ok "the daemon's log shows it" \
	|| not_ok "the daemon's log shows it" "$(grep tp_init_fails "$T/pxehubd.log" | tail -2)"
