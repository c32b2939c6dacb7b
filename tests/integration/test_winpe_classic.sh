#!/bin/sh
# Classic WinPE boot without iPXE (issue 14), the DHCP side: script_exec's
# allow_boot answers {"action":"boot","loader":...,"options":[{"code":252,
# "text":...}]} per architecture; scapy (not pxehub) decodes the proxy
# offers and the 4011 ACK: BIOS gets boot/x86/pxeboot.n12 and UEFI x64
# boot/x64/bootmgfw.efi as file, with the BCD path in option 252; a client
# running iPXE (NIC ROM) answered a Windows boot program keeps it, while
# iPXE answered an iPXE loader still gets the script URL.  Then the boot
# programs' own downloads: the loader, the BCD named by option 252 (with
# backslashes, another case), boot.sdi and boot.wim over TFTP with the
# Microsoft request (tests/tools/tftpmsft, msftwindow granted).
set -u
. "$(dirname "$0")/../lib.sh"
. "$PXH_TOP/tests/tools/tftp_net.sh"
pxh_init
PY=/usr/bin/python3
$PY -c 'import scapy' 2>/dev/null || { echo "skip test_winpe_classic # python3-scapy missing"; exit 77; }
tftp_tools && [ -x "$TOOLS/tftpmsft" ] || { not_ok tools "build"; exit 1; }
SRV=$(pxh_netns srv) CL=$(pxh_netns cl)
pxh_veth "$SRV" s0 10.71.0.1/24 "$CL" c0 10.71.0.77/24

# the per-architecture layout of docs/winpe-tftp.md (stand-in bytes)
R=$T/tftp
mkdir -p "$R/boot/x64" "$R/boot/x86" "$R/sources"
for f in x86/pxeboot.n12 x86/bootmgr.exe x86/BCD x64/bootmgfw.efi x64/BCD boot.sdi; do
	head -c $((100000 + ${#f} * 1000)) /dev/urandom >"$R/boot/$f"
done
head -c 20000000 /dev/urandom >"$R/sources/boot.wim"
printf 'x86 per-client BCD' >"$R/boot/x86/BCD-525400710078"
chmod -R a+rX "$R"

# the allow_boot script: classic boot by architecture, a per-client BCD
# for one machine, iPXE loaders for one more (to see the script URL)
S=$T/scripts
mkdir -p "$S"
cat >"$S/classic.sh" <<'EOF'
#!/bin/sh
# classic WinPE boot: Windows Boot Manager over TFTP, no iPXE (printf, not
# echo: dash's echo eats backslashes)
facts=$(cat)
case "$facts" in
*'"mac":"52:54:00:71:00:79"'*)
	printf '%s\n' '{"action":"boot","loader":"undionly.kpxe"}'; exit 0 ;;
*'"mac":"52:54:00:71:00:78"'*)
	bcd='\\boot\\x86\\BCD-525400710078' ;;
*) bcd= ;;
esac
case "$facts" in
*'"arch":"bios"'*)
	printf '%s\n' "{\"action\":\"boot\",\"loader\":\"boot/x86/pxeboot.n12\",\"options\":[{\"code\":252,\"text\":\"${bcd:-\\\\boot\\\\x86\\\\bcd}\"}],\"reason\":\"classic WinPE\"}" ;;
*'"arch":"efi-x64"'*)
	printf '%s\n' '{"action":"boot","loader":"boot/x64/bootmgfw.efi","options":[{"code":252,"text":"\\boot\\x64\\bcd"}],"reason":"classic WinPE"}' ;;
*) echo next ;;
esac
EOF
chmod 755 "$S" "$S/classic.sh"
pxh_conf "$T/pxehub.conf"
cat >>"$T/pxehub.conf" <<EOF
[boot]
loader_bios = undionly.kpxe
loader_efi_x64 = snponly.efi
decision_timeout = 3s
[dhcp]
rate_per_mac = 0
duplicate_window = 0
EOF
cat >"$T/plugins.d/script_exec.conf" <<EOF
[script_exec]
enabled = yes
allow_boot = $S/classic.sh
timeout = 2s
ttl = 0
EOF
pxh_daemon "$T/pxehub.conf" "$SRV" || { not_ok daemon_start "see log"; exit 1; }

# discover MAC ARCH VENDOR [ARGS]: the first reply from the server, JSON
discover() {
	ip netns exec "$CL" $PY "$PXH_TOP/tests/integration/dhcp_client.py" discover c0 \
		"$@" --from 10.71.0.1 2>>"$T/client.err" | head -1
}
# jget JSON EXPR: a field of the decoded reply
jget() { echo "$1" | $PY -c "import json,sys; r=json.load(sys.stdin); print($2)" 2>/dev/null; }
# option 252 as text (scapy gives unknown options as hex)
opt252() { jget "$1" "bytes.fromhex(r['opts'].get('252','')).decode(errors='replace')"; }

j=$(discover 52:54:00:71:00:77 0 PXEClient:Arch:00000:UNDI:002001)
if [ "$(jget "$j" "r['file']")" = boot/x86/pxeboot.n12 ] &&
   [ "$(opt252 "$j")" = '\boot\x86\bcd' ] && [ "$(jget "$j" "r['siaddr']")" = 10.71.0.1 ]; then
	ok bios_offer_pxeboot_n12_option_252
else not_ok bios_offer_pxeboot_n12_option_252 "reply '$j'"; fi
j=$(discover 52:54:00:71:00:7a 7 PXEClient:Arch:00007:UNDI:003000)
if [ "$(jget "$j" "r['file']")" = boot/x64/bootmgfw.efi ] &&
   [ "$(opt252 "$j")" = '\boot\x64\bcd' ]; then
	ok uefi_offer_bootmgfw_option_252
else not_ok uefi_offer_bootmgfw_option_252 "reply '$j'"; fi
j=$(discover 52:54:00:71:00:78 0 PXEClient:Arch:00000:UNDI:002001)
if [ "$(opt252 "$j")" = '\boot\x86\BCD-525400710078' ]; then ok per_client_bcd_path
else not_ok per_client_bcd_path "reply '$j'"; fi
# a BIOS NIC with an iPXE ROM (user class iPXE) keeps the Windows program
j=$(discover 52:54:00:71:00:7b 0 PXEClient:Arch:00000:UNDI:002001 --user-class raw)
if [ "$(jget "$j" "r['file']")" = boot/x86/pxeboot.n12 ] && [ -n "$(opt252 "$j")" ]; then
	ok ipxe_client_keeps_windows_boot_program
else not_ok ipxe_client_keeps_windows_boot_program "reply '$j'"; fi
j=$(discover 52:54:00:71:00:79 0 PXEClient:Arch:00000:UNDI:002001 --user-class raw)
case "$(jget "$j" "r['file']")" in
http://10.71.0.1*/boot.ipxe) ok ipxe_client_answered_ipxe_loader_gets_script ;;
*) not_ok ipxe_client_answered_ipxe_loader_gets_script "reply '$j'" ;;
esac
# the 4011 REQUEST of the same BIOS client: the ACK carries the same
j=$(ip netns exec "$CL" $PY "$PXH_TOP/tests/integration/dhcp_client.py" request 10.71.0.1 \
	52:54:00:71:00:77 0 PXEClient:Arch:00000:UNDI:002001 --boot-item 2>>"$T/client.err")
if [ "$(jget "$j" "r['file']")" = boot/x86/pxeboot.n12 ] &&
   [ "$(opt252 "$j")" = '\boot\x86\bcd' ]; then ok pxe_4011_ack_same_answer
else not_ok pxe_4011_ack_same_answer "reply '$j'"; fi

# ---- the boot programs' downloads ----------------------------------------------
get() { # NAME REQUEST FILE
	if ip netns exec "$CL" timeout 60 "$TOOLS/tftpmsft" -S -o "$T/got" 10.71.0.1 "$2" \
		>"$T/$1.out" 2>&1 && cmp -s "$T/got" "$3"; then ok "$1"
	else not_ok "$1" "$(tail -1 "$T/$1.out")"; fi
}
get tftp_loader_bootmgfw boot/x64/bootmgfw.efi "$R/boot/x64/bootmgfw.efi"
get tftp_bcd_from_option_252 '\boot\x64\bcd' "$R/boot/x64/BCD"
get tftp_per_client_bcd '\Boot\X86\bcd-525400710078' "$R/boot/x86/BCD-525400710078"
get tftp_boot_sdi '\Boot\boot.sdi' "$R/boot/boot.sdi"
get tftp_boot_wim_msftwindow '\Sources\BOOT.WIM' "$R/sources/boot.wim"
if grep -q 'tftp: sent sources/boot.wim .*(msftwindow peak)' "$T/pxehubd.log"; then
	ok tftp_boot_wim_variable_window
else not_ok tftp_boot_wim_variable_window "$(grep boot.wim "$T/pxehubd.log" | tail -1)"; fi
exit 0
