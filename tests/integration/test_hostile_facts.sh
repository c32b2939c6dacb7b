#!/bin/sh
# Answers never cross machines (issue 20, item 2), against a running
# pxehubd with curl:
# - script_exec: a first /boot.ipxe with forged facts (the victim's MAC, a
#   hostile serial) from another address gets its own run; the real machine
#   then gets the answer for its own facts, not the cached forged one;
# - a fact carrying "\n", "&&", ";", "#" reaches the script without control
#   characters (copy_fact), and the served iPXE script gains no command
#   line from it (the script's kernel command line holds the serial);
# - referral: the same hostile serial goes to the upstream percent-encoded
#   inside the one chain line.
. "$(dirname "$0")/../lib.sh"
pxh_init
command -v curl >/dev/null || { echo "skip test_hostile_facts # curl missing"; exit 77; }
[ -f "$PXH_PLUGINS/script_exec.so" ] || { echo "skip test_hostile_facts # plugin not built"; exit 77; }
NS=$(pxh_netns hf)
IN="ip netns exec $NS"
U=http://127.0.0.1:8080
V=52:54:00:88:00:01

# the admin's script: a kernel whose command line carries the serial, and
# one line per run in runs.log
cat >"$T/images.py" <<EOF
#!/usr/bin/python3
import json, sys
f = json.load(sys.stdin)
with open("$T/state/runs.log", "a") as log:
    log.write("%s %s %r\n" % (f["mac"], f["ip"], f["serial"]))
print(json.dumps({"kernel": {"kernel": "/files/vmlinuz",
                             "cmdline": "console=ttyS0 serial=" + f["serial"]},
                  "ttl": 3600}))
EOF
chmod 755 "$T/images.py"
pxh_conf "$T/pxehub.conf"
printf '[dhcp]\nenabled = no\n[tftp]\nport = 0\n[http]\nport = 8080\nhttps_port = 0\n' >>"$T/pxehub.conf"
cat >"$T/plugins.d/script_exec.conf" <<EOF
[script_exec]
enabled = yes
boot_images = $T/images.py
ttl = 1h
EOF
pxh_daemon "$T/pxehub.conf" "$NS" || { not_ok daemon_start; exit 1; }

# 1. the forgery, from 127.0.0.2: the victim's MAC, a serial that tries to
# end the line and run commands
HOSTILE='X%0a%3C0%3Eshell%20%26%26%20reboot%20%3B%20%23c'
f=$($IN curl -s --interface 127.0.0.2 "$U/boot.ipxe?mac=$V&platform=efi&arch=x86_64&serial=$HOSTILE")
# 2. the real machine, from 127.0.0.1, with its own serial
r=$($IN curl -s "$U/boot.ipxe?mac=$V&platform=efi&arch=x86_64&serial=REAL-123")
case $r in *serial=REAL-123*) ok real_machine_gets_its_own_answer ;;
*) not_ok real_machine_gets_its_own_answer "$(echo "$r" | tr '\n' '|')" ;; esac
n=$(grep -c . "$T/state/runs.log")
[ "$n" = 2 ] && ok forged_request_has_its_own_run || not_ok forged_request_has_its_own_run "$n runs: $(cat "$T/state/runs.log")"
# 3. the real machine again: now from the cache (same facts, same address)
r2=$($IN curl -s "$U/boot.ipxe?mac=$V&platform=efi&arch=x86_64&serial=REAL-123")
[ "$r2" = "$r" ] && [ "$(grep -c . "$T/state/runs.log")" = 2 ] && ok same_facts_answered_from_cache \
	|| not_ok same_facts_answered_from_cache "$(grep -c . "$T/state/runs.log") runs"
# the hostile value reached the script without a control character ...
grep -q "^$V 127.0.0.2 'X<0>shell && reboot ; #c'" "$T/state/runs.log" \
	&& ok hostile_fact_reaches_script_without_newline \
	|| not_ok hostile_fact_reaches_script_without_newline "$(head -1 "$T/state/runs.log")"
# ... and the served script has no line that is the client's command
case $f in "#!ipxe"*) ;; *) not_ok forged_script_served "$f" ;; esac
bad=$(echo "$f" | grep -E '^(shell|reboot|<0>)' | head -2)
[ -z "$bad" ] && [ "$(echo "$f" | grep -c 'reboot')" -le 1 ] && ok hostile_fact_adds_no_ipxe_command \
	|| not_ok hostile_fact_adds_no_ipxe_command "$(echo "$f" | tr '\n' '|')"
kill "$PXH_PID"; wait "$PXH_PID" 2>/dev/null

# ---- referral: the facts travel percent-encoded in the chain URL -------------------
rm -f "$T/plugins.d/script_exec.conf"
cat >"$T/plugins.d/referral.conf" <<EOF
[referral]
enabled = yes
health_interval = 0
[referral.up]
match = all
phase = ipxe
script_url = http://10.0.0.2/boot.ipxe
EOF
PXH_LOG=$T/r.log pxh_daemon "$T/pxehub.conf" "$NS" || { not_ok referral_daemon; exit 1; }
f=$($IN curl -s "$U/boot.ipxe?mac=$V&serial=$HOSTILE")
chains=$(echo "$f" | grep -c '^chain ')
case $f in *"chain "*10.0.0.2*serial=X*) ;; *) chains=0 ;; esac
bad=$(echo "$f" | grep -E '^(shell|reboot|<0>)|&& reboot' | head -2)
[ "$chains" = 1 ] && [ -z "$bad" ] && ok referral_hostile_fact_stays_in_url \
	|| not_ok referral_hostile_fact_stays_in_url "$(echo "$f" | tr '\n' '|')"
exit $_pxh_failed
