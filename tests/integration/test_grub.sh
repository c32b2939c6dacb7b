#!/bin/sh
# GRUB's two stages against pxehubd in a private network namespace, with
# the clients' own tools: stage 1 for PREFIX/grub.cfg over TFTP (tftp-hpa)
# and HTTP (curl), /boot.grub with facts through script_exec to GRUB script
# (kernel, menu, hostile facts), the fallback for an iPXE-only answer; every
# script is parsed by GRUB's own parser (grub-script-check).
. "$(dirname "$0")/../lib.sh"
pxh_init
for t in curl tftp grub-script-check jq; do
	command -v $t >/dev/null || { echo "skip test_grub # $t missing"; exit 77; }
done
[ -f "$PXH_PLUGINS/script_exec.so" ] || { echo "skip test_grub # script_exec.so not built"; exit 77; }
NS=$(pxh_netns grub) || exit 1
IN="ip netns exec $NS"
U=http://127.0.0.1

pxh_conf "$T/c.conf"
cat >>"$T/c.conf" <<EOC
[dhcp]
enabled = no
[tftp]
port = 69
[http]
port = 80
https_port = 0
EOC
sed -i 's/^\[server\]$/[server]\nlisten = 127.0.0.1/' "$T/c.conf"
# a grub.cfg of the admin's at a stage-1 prefix: pxehub's stage 1 wins
mkdir -p "$T/tftp/grub" "$T/tftp/other"
echo "echo static" >"$T/tftp/grub/grub.cfg"
echo "echo static" >"$T/tftp/other/grub.cfg"

# script_exec answers by serial: the facts reach the script as JSON, with
# the boot program; the answer is the same JSON iPXE clients get
mkdir -p "$T/s"
cat >"$T/s/answer.sh" <<'EOS'
#!/bin/sh
f=$(cat)
printf '%s\n' "$f" >>"$(dirname "$0")/facts.log"
serial=$(printf '%s' "$f" | jq -r .serial)
case $serial in
KERNEL*) jq -cn --arg s "$serial" '{kernel: {kernel: "/tftp/vmlinuz", initrd: "/tftp/initrd.gz",
	cmdline: ("console=ttyS0 pxh_serial=" + $s)}}' ;;
MENU*) echo '{"menu": {"title": "Lab", "timeout": 3000, "default": "inst", "items": [
	{"id": "inst", "label": "Install", "kernel": "/tftp/vmlinuz"},
	{"id": "win", "label": "WinPE", "wimboot": {"boot_wim": "/files/boot.wim"}},
	{"id": "disk", "label": "Local disk", "local": true}]}}' ;;
IPXE*) printf '#!ipxe\necho iPXE only\n' ;;
*) echo next ;;
esac
EOS
chmod 755 "$T/s/answer.sh"
chown -R nobody "$T/s"
cat >"$T/plugins.d/script_exec.conf" <<EOC
[script_exec]
enabled = yes
boot_images = $T/s/answer.sh
ttl = 0
EOC

pxh_daemon "$T/c.conf" "$NS" || { not_ok daemon_start "see log"; exit 1; }
ok daemon_start

check() { # NAME FILE: GRUB's own parser accepts the script
	if grub-script-check "$2" >"$T/gsc.out" 2>&1; then ok "$1"; else not_ok "$1" "$(head -3 "$T/gsc.out")"; fi
}

# ---- stage 1 ---------------------------------------------------------------
$IN curl -s -o "$T/s1.http" "$U/debian-installer/amd64/grub/grub.cfg"
if grep -qF 'configfile "(http,127.0.0.1)/boot.grub?${pxh_q}"' "$T/s1.http" &&
   grep -q '^smbios --type 1 --get-string 7 --set pxh_v$' "$T/s1.http" &&
   grep -q '^pxh_enc "$net_default_mac"$' "$T/s1.http"; then
	ok stage1_http
else
	not_ok stage1_http "$(head -5 "$T/s1.http")"
fi
check stage1_parses "$T/s1.http"
(cd "$T" && $IN tftp 127.0.0.1 -c get grub/grub.cfg s1.tftp) >/dev/null 2>&1
# over TFTP, stage 2 comes over TFTP too (Debian's signed GRUB has no HTTP)
if grep -qF 'configfile "(tftp,127.0.0.1)/boot.grub?${pxh_q}"' "$T/s1.tftp"; then
	ok stage1_tftp
else
	not_ok stage1_tftp "$(tail -5 "$T/s1.tftp" 2>&1)"
fi
check stage1_tftp_parses "$T/s1.tftp"
(cd "$T" && $IN tftp 127.0.0.1 -c get other/grub.cfg other.tftp) >/dev/null 2>&1
if grep -qx 'echo static' "$T/other.tftp" 2>/dev/null; then ok other_grub_cfg_is_a_file; else not_ok other_grub_cfg_is_a_file; fi
s=$($IN curl -s "$U/boot.grub")
case $s in *'configfile "(http,127.0.0.1)/boot.grub?${pxh_q}"'*) ok boot_grub_without_facts_is_stage1 ;;
*) not_ok boot_grub_without_facts_is_stage1 "$s" ;; esac
code=$($IN curl -s -o /dev/null -w '%{http_code}' "$U/nowhere/grub.cfg")
[ "$code" = 404 ] && ok unknown_prefix_404 || not_ok unknown_prefix_404 "$code"

# ---- stage 2 ---------------------------------------------------------------
F="mac=52:54:00:aa:00:01&arch=x86_64&platform=efi&uuid=01234567-89ab-cdef-0123-456789abcdef&manufacturer=QEMU&product=Standard%20PC"
# a hostile serial: quote, semicolon, newline, $, braces, backslash
HOST="KERNEL%27%3B%20reboot%3B%20%27%0Aecho%20%24x%7B%7D%5C"
$IN curl -s -o "$T/k.grub" "$U/boot.grub?$F&serial=$HOST"
# (the query decoder already drops control characters and some others;
# what is left stays inside quoted words: the script has exactly these
# commands and no line of the value's own)
if grep -qF "if linux '(http,127.0.0.1)/tftp/vmlinuz' 'console=ttyS0' 'pxh_serial=KERNEL'\\'';' 'reboot;' ''\\''" "$T/k.grub" &&
   grep -qF "  if initrd '(http,127.0.0.1)/tftp/initrd.gz'; then" "$T/k.grub" &&
   [ "$(sed 's/^ *//; s/ .*//' "$T/k.grub" | tr '\n' ' ')" = "#!grub if if boot fi fi echo sleep exit " ]; then
	ok stage2_kernel_quoted
else
	not_ok stage2_kernel_quoted "$(cat "$T/k.grub")"
fi
check stage2_kernel_parses "$T/k.grub"
if grep -q '"boot_program":"grub"' "$T/s/facts.log" && grep -q '"user_class":"GRUB"' "$T/s/facts.log" &&
   grep -q '"arch":"efi-x64"' "$T/s/facts.log"; then
	ok facts_name_grub
else
	not_ok facts_name_grub "$(tail -1 "$T/s/facts.log")"
fi

# stage 2 over TFTP (tftp-hpa, which repeats its request like GRUB: the
# first one starts the decision, a repeat gets the script); without HTTP
# the kernel comes over TFTP
# (tftp-hpa reads "a:b" as host:file: the MAC with hyphens here)
(cd "$T" && printf 'rexmt 1\nget /boot.grub?%s&serial=KERNEL2 k2.grub\n' "$(echo "$F" | sed 's/52:54:00:aa:00:01/52-54-00-aa-00-01/')" |
	$IN tftp 127.0.0.1) >/dev/null 2>&1
if grep -qF "if linux '(tftp,127.0.0.1)/vmlinuz' 'console=ttyS0' 'pxh_serial=KERNEL2'; then" "$T/k2.grub" 2>/dev/null &&
   grep -qF "  if initrd '(tftp,127.0.0.1)/initrd.gz'; then" "$T/k2.grub"; then
	ok stage2_tftp_kernel
else
	not_ok stage2_tftp_kernel "$(cat "$T/k2.grub" 2>&1)"
fi
$IN curl -s -o "$T/m.grub" "$U/boot.grub?$F&serial=MENU1"
if grep -q "^set default='inst'$" "$T/m.grub" && grep -q "^menuentry 'Install' --id 'inst' {$" "$T/m.grub" &&
   grep -q "^menuentry 'Local disk' --id 'disk' {$" "$T/m.grub" && ! grep -q WinPE "$T/m.grub"; then
	ok stage2_menu
else
	not_ok stage2_menu "$(cat "$T/m.grub")"
fi
check stage2_menu_parses "$T/m.grub"

# an iPXE script cannot run in GRUB: default_action (menu), logged, an event
$IN curl -s -o "$T/i.grub" "$U/boot.grub?$F&serial=IPXE1"
if head -1 "$T/i.grub" | grep -qx '#!grub' && grep -q "^menuentry 'Boot from local disk' --id 'local' {$" "$T/i.grub" &&
   ! grep -q 'iPXE only' "$T/i.grub"; then
	ok ipxe_answer_falls_back
else
	not_ok ipxe_answer_falls_back "$(cat "$T/i.grub")"
fi
check fallback_parses "$T/i.grub"
if grep -q 'GRUB cannot run the answer of script_exec: an iPXE script cannot run in GRUB; default_action=menu' "$T/pxehubd.log"; then
	ok fallback_logged
else
	not_ok fallback_logged
fi
# the same machine through iPXE still gets its iPXE script
s=$($IN curl -s "$U/boot.ipxe?mac=52:54:00:aa:00:01&serial=IPXE1")
case $s in *"echo iPXE only"*) ok ipxe_client_unchanged ;; *) not_ok ipxe_client_unchanged "$s" ;; esac
if grep -q 'event=script_served.*file=/boot.grub' "$T/pxehubd.log"; then ok served_event_names_boot_grub; else not_ok served_event_names_boot_grub; fi

# pxehubctl decide shows the GRUB rendering (dry run, same plugins)
out=$("$PXHCTL" -c "$T/c.conf" decide --mac 52:54:00:aa:00:03 --arch efi-x64 --serial KERNEL3 --boot-program grub 2>&1)
case $out in *"boot_program=grub"*"if linux '(tftp,127.0.0.1)/vmlinuz' 'console=ttyS0' 'pxh_serial=KERNEL3'; then"*) ok ctl_decide_grub ;;
*) not_ok ctl_decide_grub "$out" ;; esac
out=$("$PXHCTL" -c "$T/c.conf" decide --mac 52:54:00:aa:00:03 --serial IPXE3 --boot-program grub-http 2>&1)
case $out in *"served: boot by default (GRUB cannot run the answer of script_exec: an iPXE script cannot run in GRUB; default_action=menu)"*"menuentry 'Boot from local disk' --id 'local' {"*) ok ctl_decide_grub_fallback ;;
*) not_ok ctl_decide_grub_fallback "$out" ;; esac

# the history and the status API say which boot program a machine used
# last: aa:00:02 only GRUB, aa:00:01 GRUB then iPXE (above)
$IN curl -s -o /dev/null "$U/boot.grub?mac=52:54:00:aa:00:02&serial=MENU2"
h=$($IN curl -s "$U/api/v1/clients")
bp() { printf '%s' "$h" | jq -r --arg m "$1" '.clients[] | select(.mac == $m) | .boot_program'; }
if [ "$(bp 52:54:00:aa:00:02)" = grub ] && [ "$(bp 52:54:00:aa:00:01)" = ipxe ]; then
	ok history_boot_program
else
	not_ok history_boot_program "$(printf '%s' "$h" | jq -c '.clients[]? | {mac, boot_program}' 2>&1 | tr '\n' ' ' | head -c 600)"
fi

# -t: a bad prefix is reported with FILE:LINE
printf '[boot]\ngrub_prefixes = /grub ../x\n[plugins]\nconf_dir =\n' >"$T/bad.conf"
out=$("$PXHD" -t -c "$T/bad.conf" 2>&1)
case $out in *"$T/bad.conf:2: [boot] grub_prefixes: '../x'"*) ok check_bad_prefix ;; *) not_ok check_bad_prefix "$out" ;; esac
exit ${_pxh_failed:-0}
