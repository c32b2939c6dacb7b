#!/bin/sh
# test_packaging: build the deb and rpm packages from the tree, lint them,
# check the rpm contents, install the .deb on this machine, run the daemon
# the way pxehub.service would (its user, capabilities, read-only file
# system and private /tmp emulated with setpriv and unshare, in a network
# namespace made here), check the unit with systemd-analyze, then purge so
# the machine is left as it was found.
#
# Cases are skipped, not failed, when a tool is missing (tests/deps.txt
# lists them) or when pxehub is already installed on this machine (the test
# never touches an installation it did not make).
. "$(dirname "$0")/../lib.sh"
pxh_init

have() { command -v "$1" >/dev/null 2>&1; }
for t in dpkg-buildpackage dh lintian; do
	have "$t" || { echo "skip test_packaging # $t missing (apt-get install dpkg-dev debhelper lintian)"; exit 77; }
done
# The package build ignores the caller's sanitizer flags, so a second CI
# pass under ASan would only repeat this one.
case " ${SANITIZE:-} ${MAKEFLAGS:-} " in
*SANITIZE=1*|" 1 "*) echo "skip test_packaging # packages are built without sanitizers: covered by the plain pass"; exit 77 ;;
esac

PKG=$T/pkg
UNIT=/lib/systemd/system/pxehub.service
NS=""
DPID=""
installed_here=0
user_before=0
getent passwd pxehub >/dev/null 2>&1 && user_before=1
RUNDIR=/run/pxh-pkgtest.$$

# ---- cleanup: stop our daemon, purge what we installed ----------------------
pkg_cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null
	rm -rf "$RUNDIR"
	# pxh_netns runs in $(...) here, so lib.sh's own list misses it
	[ -n "$NS" ] && { sleep 0.2; ip netns del "$NS" 2>/dev/null; }
	if [ $installed_here = 1 ]; then
		dpkg --purge pxehub-plugin-sccm pxehub-dev pxehub >/dev/null 2>&1
		if [ $user_before = 0 ] && getent passwd pxehub >/dev/null 2>&1; then
			userdel pxehub 2>/dev/null
			groupdel pxehub 2>/dev/null
		fi
	fi
}
trap 'pkg_cleanup; pxh_cleanup' EXIT

plugins_built() { # names of the plugins this tree builds, minus sccm_*
	for d in "$PXH_TOP"/plugins/*/; do
		[ -d "$d" ] || continue
		ls "$d"*.c >/dev/null 2>&1 || continue
		n=$(basename "$d")
		case $n in sccm_*) ;; *) echo "$n" ;; esac
	done
}
have_sccm() {
	ls "$PXH_TOP"/plugins/sccm_sql/*.c >/dev/null 2>&1 ||
		ls "$PXH_TOP"/plugins/sccm_mp_http/*.c >/dev/null 2>&1
}

# ---- man pages match the key tables -------------------------------------------
if make -C "$PXH_TOP" B="$B" man MAN_OUT="$T/man" >"$T/man.log" 2>&1; then
	stale=""
	for m in "$PXH_TOP"/docs/man/*.in; do # pages written by hand have no .in
		m=${m%.in}
		cmp -s "$m" "$T/man/$(basename "$m")" || stale="$stale $(basename "$m")"
	done
	if [ -z "$stale" ]; then ok man_pages_current
	else not_ok man_pages_current "stale:$stale (run make man and commit docs/man)"; fi
	if grep -q 'does not load' "$T/man.log"; then
		not_ok man_plugin_keys_readable "$(grep 'does not load' "$T/man.log" | head -3 | tr '\n' ' ')"
	else
		ok man_plugin_keys_readable
	fi
else
	not_ok man_pages_current "make man failed: $(tail -3 "$T/man.log" | tr '\n' ' ')"
fi

# ---- deb ------------------------------------------------------------------------
start=$(date +%s)
if make -C "$PXH_TOP" deb PKGDIR="$PKG" DEB_BUILD_OPTIONS=noautodbgsym >"$T/deb.log" 2>&1; then
	ok "deb_build # $(( $(date +%s) - start )) s"
else
	not_ok deb_build "$(grep -E 'error|Error' "$T/deb.log" | tail -3 | tr '\n' ' ')"
	tail -20 "$T/deb.log" | sed 's/^/# /'
	exit 1
fi
DEB=$(ls "$PKG"/pxehub_*.deb)
DEBDEV=$(ls "$PKG"/pxehub-dev_*.deb)

# contents: every file the issue names, plugins split by name
dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' >"$T/deb.files"
missing=""
for f in /usr/sbin/pxehubd /usr/bin/pxehubctl /etc/pxehub/pxehub.conf "$UNIT" \
	/usr/lib/sysusers.d/pxehub.conf /usr/lib/pxehub/pxehub-loaders /var/lib/pxehub/tftp/ \
	/usr/share/man/man8/pxehubd.8.gz /usr/share/man/man8/pxehubctl.8.gz \
	/usr/share/man/man5/pxehub.conf.5.gz /usr/share/man/man7/pxehub-plugins.7.gz; do
	grep -qx "$f" "$T/deb.files" || missing="$missing $f"
done
for p in $(plugins_built); do
	grep -qx "/usr/lib/pxehub/plugins/$p.so" "$T/deb.files" || missing="$missing $p.so"
done
grep -q 'sccm_' "$T/deb.files" && missing="$missing (sccm plugins in pxehub)"
[ -z "$missing" ] && ok deb_contents || not_ok deb_contents "missing:$missing"

dpkg-deb -I "$DEB" conffiles 2>/dev/null | grep -qx /etc/pxehub/pxehub.conf &&
	ok deb_conffiles || not_ok deb_conffiles "/etc/pxehub/pxehub.conf is not a conffile"
dpkg-deb -f "$DEB" Recommends | grep -qw ipxe &&
	ok deb_recommends_ipxe || not_ok deb_recommends_ipxe "$(dpkg-deb -f "$DEB" Recommends)"
dpkg-deb -c "$DEBDEV" >"$T/debdev.files"
grep -q 'usr/include/pxehub/plugin.h' "$T/debdev.files" &&
	grep -q 'pkgconfig/pxehub-plugin.pc' "$T/debdev.files" &&
	grep -q 'libpxehub-testkit.a' "$T/debdev.files" &&
	grep -q 'examples/hello/hello.c' "$T/debdev.files" &&
	ok deb_dev_contents || not_ok deb_dev_contents "header, .pc, test kit or example missing"
if have_sccm; then
	s=$(ls "$PKG"/pxehub-plugin-sccm_*.deb 2>/dev/null)
	[ -n "$s" ] && dpkg-deb -c "$s" >"$T/sccm.files" && grep -q 'plugins/sccm_' "$T/sccm.files" &&
		ok deb_sccm_package || not_ok deb_sccm_package "no pxehub-plugin-sccm with the sccm plugins"
else
	skip deb_sccm_package "no sccm plugins in this tree (the package is built once they exist)"
fi

# lintian: no errors (warnings reported)
lintian --fail-on error --no-tag-display-limit "$PKG"/*.changes >"$T/lintian.log" 2>&1
rc=$?
nw=$(grep -c '^W: ' "$T/lintian.log")
if [ $rc = 0 ]; then ok "lintian_no_errors # $nw warnings"
else not_ok lintian_no_errors "$(grep '^E: ' "$T/lintian.log" | head -5 | tr '\n' ' ')"; fi
grep '^[WE]: ' "$T/lintian.log" | head -10 | sed 's/^/# /'

# ---- rpm ------------------------------------------------------------------------
if have rpmbuild; then
	start=$(date +%s)
	if make -C "$PXH_TOP" rpm PKGDIR="$PKG" >"$T/rpm.log" 2>&1; then
		ok "rpm_build # source and binary rpm, $(( $(date +%s) - start )) s"
		RPM=$(ls "$PKG"/pxehub-[0-9]*.x86_64.rpm "$PKG"/pxehub-[0-9]*.*.rpm 2>/dev/null | grep -v src.rpm | head -1)
		RPMDEV=$(ls "$PKG"/pxehub-devel-*.rpm | head -1)
		rpm -qlp "$RPM" >"$T/rpm.files" 2>/dev/null
		libdir=$(rpm --eval '%{_libdir}')
		missing=""
		for f in /usr/sbin/pxehubd /usr/bin/pxehubctl /etc/pxehub/pxehub.conf \
			/usr/lib/systemd/system/pxehub.service /usr/lib/sysusers.d/pxehub.conf \
			/usr/libexec/pxehub/pxehub-loaders /var/lib/pxehub /var/lib/pxehub/tftp \
			/usr/share/man/man8/pxehubd.8.gz /usr/share/man/man5/pxehub.conf.5.gz \
			/usr/share/man/man7/pxehub-plugins.7.gz /usr/share/man/man8/pxehubctl.8.gz; do
			grep -qx "$f" "$T/rpm.files" || missing="$missing $f"
		done
		for p in $(plugins_built); do
			grep -qx "$libdir/pxehub/plugins/$p.so" "$T/rpm.files" || missing="$missing $p.so"
		done
		rpm -qlp "$RPMDEV" 2>/dev/null >"$T/rpmdev.files"
		for f in /usr/include/pxehub/plugin.h "$libdir/pkgconfig/pxehub-plugin.pc" "$libdir/libpxehub-testkit.a"; do
			grep -qx "$f" "$T/rpmdev.files" || missing="$missing devel:$f"
		done
		if have_sccm; then
			s=$(ls "$PKG"/pxehub-plugin-sccm-*.rpm 2>/dev/null | head -1)
			{ [ -n "$s" ] && rpm -qlp "$s" 2>/dev/null | grep -q "$libdir/pxehub/plugins/sccm_"; } ||
				missing="$missing (pxehub-plugin-sccm rpm without sccm plugins)"
			grep -q sccm_ "$T/rpm.files" && missing="$missing (sccm plugins in pxehub)"
		fi
		rpm -qcp "$RPM" 2>/dev/null | grep -qx /etc/pxehub/pxehub.conf || missing="$missing (pxehub.conf not %config)"
		rpm -qp --scripts "$RPM" 2>/dev/null | grep -q 'useradd' || missing="$missing (no user creation)"
		[ -z "$missing" ] && ok "rpm_contents # rpm -qlp: $(wc -l <"$T/rpm.files") files" ||
			not_ok rpm_contents "missing:$missing"
		if have rpmlint; then
			rpmlint -r "$PXH_TOP/packaging/rpm/pxehub.rpmlintrc" "$PKG"/*.rpm >"$T/rpmlint.log" 2>&1
			sum=$(grep -E '[0-9]+ errors, [0-9]+ warnings' "$T/rpmlint.log" | tail -1)
			case $sum in
			*" 0 errors"*) ok "rpmlint_no_errors # $(echo "$sum" | sed 's/.*; \([0-9]* errors, [0-9]* warnings\).*/\1/')" ;;
			*) not_ok rpmlint_no_errors "${sum:-no summary}: $(grep ': E: ' "$T/rpmlint.log" | head -5 | tr '\n' ' ')" ;;
			esac
		else
			skip rpmlint_no_errors "rpmlint missing (apt-get install rpmlint)"
		fi
	else
		not_ok rpm_build "$(grep -iE 'error' "$T/rpm.log" | tail -3 | tr '\n' ' ')"
	fi
else
	skip rpm_build "rpmbuild missing (apt-get install rpm)"
fi

# ---- install the .deb on this machine -------------------------------------------
if dpkg-query -W -f='${db:Status-Status}' pxehub 2>/dev/null | grep -qv '^not-installed$' ||
	[ -e /etc/pxehub ] || [ -e /var/lib/pxehub ]; then
	skip deb_install "pxehub (or /etc/pxehub, /var/lib/pxehub) is already on this machine: not touching it"
	exit 0
fi
installed_here=1
if dpkg -i "$DEB" "$DEBDEV" >"$T/install.log" 2>&1; then
	ok deb_install
else
	not_ok deb_install "$(tail -3 "$T/install.log" | tr '\n' ' ')"
	exit 1
fi

getent passwd pxehub >/dev/null && [ "$(stat -c %U:%G:%a /var/lib/pxehub)" = pxehub:pxehub:750 ] &&
	[ "$(stat -c %U /var/lib/pxehub/tftp)" = root ] &&
	ok system_user_and_state_dir ||
	not_ok system_user_and_state_dir "user pxehub or /var/lib/pxehub ($(stat -c %U:%G:%a /var/lib/pxehub 2>&1)) wrong"

# the default loaders: real files (not symlinks) equal to the ipxe package's
if [ -r /usr/lib/ipxe/undionly.kpxe ]; then
	bad=""
	for l in undionly.kpxe snponly.efi ipxe.efi; do
		f=/var/lib/pxehub/tftp/$l
		{ [ -f "$f" ] && [ ! -L "$f" ] && cmp -s "$f" "/usr/lib/ipxe/$l"; } || bad="$bad $l"
	done
	[ -z "$bad" ] && ok loaders_copied_into_tftp_root || not_ok loaders_copied_into_tftp_root "bad:$bad"
else
	skip loaders_copied_into_tftp_root "the ipxe package is not installed"
fi

out=$(/usr/sbin/pxehubd -t -c /etc/pxehub/pxehub.conf 2>&1)
[ $? = 0 ] && ok "installed_config_check # $out" || not_ok installed_config_check "$out"

# the SDK from pxehub-dev builds the example out of tree
if [ "$(pkg-config --variable=plugindir pxehub-plugin 2>/dev/null)" = /usr/lib/pxehub/plugins ] &&
	cp -r /usr/share/doc/pxehub-dev/examples/hello "$T/hello" &&
	make -C "$T/hello" hello.so >"$T/hello.log" 2>&1 && [ -f "$T/hello/hello.so" ]; then
	ok sdk_example_builds_against_package
else
	not_ok sdk_example_builds_against_package "$(tail -3 "$T/hello.log" 2>/dev/null | tr '\n' ' ')"
fi

# ---- the daemon as pxehub.service runs it ------------------------------------------
# The unit: User=pxehub, AmbientCapabilities=CapabilityBoundingSet=
# CAP_NET_BIND_SERVICE, NoNewPrivileges, ProtectSystem=strict with
# ReadWritePaths=/var/lib/pxehub and ReadOnlyPaths=/var/lib/pxehub/tftp,
# PrivateTmp, Type=notify.  Emulated: unshare -m + read-only remounts,
# tmpfs on /tmp, setpriv; NOTIFY_SOCKET read by a small listener.
unit_val() { sed -n "s/^$1=//p" "$UNIT" | head -1; }
[ "$(unit_val User)" = pxehub ] && [ "$(unit_val AmbientCapabilities)" = CAP_NET_BIND_SERVICE ] &&
	[ "$(unit_val ProtectSystem)" = strict ] && [ "$(unit_val Type)" = notify ] &&
	[ "$(unit_val NoNewPrivileges)" = yes ] && [ "$(unit_val PrivateTmp)" = yes ] &&
	ok unit_settings || not_ok unit_settings "the unit no longer matches what this test emulates"

if ! have setpriv || ! have unshare; then
	skip unit_emulated_start "setpriv/unshare missing (apt-get install util-linux)"
else
	NS=$(pxh_netns pkg)
	mkdir -p "$RUNDIR"
	chmod 755 "$RUNDIR"
	cat >"$T/unit-emu.sh" <<'EOF'
# unit-emu.sh RW RO CMD...: run CMD as pxehub.service would.
set -e
rw=$1 ro=$2; shift 2
mount --make-rprivate /
mount --bind "$rw" "$rw"
mount --bind "$ro" "$ro"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /var/tmp
# ProtectSystem=strict: everything read-only but the API file systems and
# ReadWritePaths (fields: 5 = mount point, after " - ": file system type)
sed 's/ - / /' /proc/self/mountinfo | awk '{print $5, $(NF-2)}' | sort -u |
while read -r mp fs; do
	case $fs in proc|sysfs|devtmpfs|devpts|nsfs|cgroup|cgroup2|mqueue|securityfs|debugfs|tracefs|bpf|fusectl|configfs|pstore|efivarfs|hugetlbfs|binfmt_misc|autofs) continue ;; esac
	case $mp in /tmp|/var/tmp|"$rw") continue ;; esac
	mount -o remount,bind,ro "$mp" 2>/dev/null || echo "# cannot make $mp read-only" >&2
done
exec setpriv --reuid=pxehub --regid=pxehub --init-groups \
	--inh-caps=-all,+net_bind_service --ambient-caps=+net_bind_service \
	--bounding-set=-all,+net_bind_service --no-new-privs -- "$@"
EOF
	# the notify listener: prints every datagram, stops at STOPPING=1 or 60 s
	/usr/bin/python3 - "$RUNDIR/notify" >"$T/notify.log" 2>&1 <<'EOF' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666)
s.settimeout(1.0)
end = time.time() + 60
while time.time() < end:
    try:
        d = s.recv(4096).decode(errors="replace")
    except socket.timeout:
        continue
    print(d.replace("\n", " "), flush=True)
    if "STOPPING=1" in d:
        break
EOF
	NPID=$!
	pxh_track $NPID
	wait_for test -S "$RUNDIR/notify"
	start=$(date +%s.%N)
	ip netns exec "$NS" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin NOTIFY_SOCKET="$RUNDIR/notify" \
		unshare -m sh "$T/unit-emu.sh" /var/lib/pxehub /var/lib/pxehub/tftp \
		/usr/sbin/pxehubd -c /etc/pxehub/pxehub.conf >"$T/daemon.log" 2>&1 &
	DPID=$!
	pxh_track $DPID
	if wait_for grep -q 'READY=1' "$T/notify.log"; then
		ok "unit_notify_ready # READY=1 after $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b - a}') s"
	else
		not_ok unit_notify_ready "no READY=1 on NOTIFY_SOCKET"
		sed 's/^/# /' "$T/daemon.log" | tail -10
	fi
	grep -q "answers no client until it is set" "$T/daemon.log" &&
		ok access_closed_by_default || not_ok access_closed_by_default "no log line about [access] allow"
	st=$(ip netns exec "$NS" curl -s -m 5 http://127.0.0.1/api/v1/status)
	echo "$st" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["version"]' 2>/dev/null &&
		ok api_status_as_unit || not_ok api_status_as_unit "GET /api/v1/status: ${st:-nothing}"
	# who the daemon runs as
	ps=/proc/$DPID/status
	uid=$(awk '/^Uid:/{print $2}' $ps) eff=$(awk '/^CapEff:/{print $2}' $ps)
	bnd=$(awk '/^CapBnd:/{print $2}' $ps) nnp=$(awk '/^NoNewPrivs:/{print $2}' $ps)
	amb=$(awk '/^CapAmb:/{print $2}' $ps)
	# CAP_NET_BIND_SERVICE (0x400) at most; none once pxehubd drops it after binding
	case $eff in 0000000000000400|0000000000000000) effok=1 ;; *) effok=0 ;; esac
	[ "$uid" = "$(id -u pxehub)" ] && [ $effok = 1 ] && [ "$bnd" = 0000000000000400 ] && [ "$nnp" = 1 ] &&
		ok "unit_privileges # uid=$uid CapEff=$eff CapAmb=$amb CapBnd=$bnd NoNewPrivs=$nnp" ||
		not_ok unit_privileges "uid=$uid CapEff=$eff CapAmb=$amb CapBnd=$bnd NoNewPrivs=$nnp"
	mi=/proc/$DPID/mountinfo
	opts() { awk -v m="$1" '$5 == m {print $6}' $mi | tail -1; }
	case "$(opts /),$(opts /var/lib/pxehub),$(opts /var/lib/pxehub/tftp),$(opts /etc)" in
	ro*,rw*,ro*,*) ok "unit_read_only_paths # / ro, /var/lib/pxehub rw, tftp root ro" ;;
	*) not_ok unit_read_only_paths "/ $(opts /), state $(opts /var/lib/pxehub), tftp $(opts /var/lib/pxehub/tftp)" ;;
	esac
	# the packaged loaders reach a TFTP client through the confined root,
	# once [access] lets the client in: the packaged config answers nobody,
	# over TFTP too (docs/security.md)
	if have tftp && [ -f /var/lib/pxehub/tftp/ipxe.efi ]; then
		ip netns exec "$NS" timeout 20 tftp -m binary 127.0.0.1 -c get ipxe.efi "$T/closed.efi" >/dev/null 2>&1
		if cmp -s "$T/closed.efi" /usr/lib/ipxe/ipxe.efi; then
			not_ok tftp_closed_by_default "ipxe.efi served although [access] allow is empty"
		else ok tftp_closed_by_default; fi
		sed -i 's/^#allow = *$/allow = all/' /etc/pxehub/pxehub.conf
		kill -HUP "$DPID"
		wait_for grep -q 'server: reloaded' "$T/daemon.log"
		ip netns exec "$NS" timeout 20 tftp -m binary 127.0.0.1 -c get ipxe.efi "$T/ipxe.efi" >/dev/null 2>&1
		ip netns exec "$NS" timeout 20 tftp -m binary 127.0.0.1 -c get undionly.kpxe "$T/undionly.kpxe" >/dev/null 2>&1
		cmp -s "$T/ipxe.efi" /usr/lib/ipxe/ipxe.efi && cmp -s "$T/undionly.kpxe" /usr/lib/ipxe/undionly.kpxe &&
			ok tftp_serves_packaged_loaders || not_ok tftp_serves_packaged_loaders "tftp get ipxe.efi/undionly.kpxe failed"
	else
		skip tftp_serves_packaged_loaders "tftp-hpa client or ipxe package missing"
	fi
	# ExecReload=/bin/kill -HUP $MAINPID
	before=$(grep -c 'server: reloaded' "$T/daemon.log")
	kill -HUP "$DPID"
	wait_for sh -c "[ \$(grep -c 'server: reloaded' '$T/daemon.log') -gt $before ]" &&
		ok unit_reload_sighup || not_ok unit_reload_sighup "no 'server: reloaded'"
	# systemd's reload protocol: RELOADING=1 with the time, then READY=1
	if wait_for sh -c "grep -A1 '^RELOADING=1 MONOTONIC_USEC=[0-9]' '$T/notify.log' | grep -q '^READY=1'"; then
		ok unit_notify_reloading
	else not_ok unit_notify_reloading "$(tr '\n' '|' <"$T/notify.log")"; fi
	kill -TERM "$DPID"
	i=0
	while kill -0 "$DPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -0 "$DPID" 2>/dev/null && not_ok unit_stop "still running 10 s after SIGTERM" || ok unit_stop
	DPID=""
	grep -E 'err|warning' "$T/daemon.log" | head -5 | sed 's/^/# daemon: /'
fi

# ---- systemd-analyze on the installed unit ----------------------------------------
if have systemd-analyze; then
	if systemd-analyze verify "$UNIT" >"$T/verify.log" 2>&1 && [ ! -s "$T/verify.log" ]; then
		ok systemd_analyze_verify
	else
		not_ok systemd_analyze_verify "$(head -3 "$T/verify.log" | tr '\n' ' ')"
	fi
	systemd-analyze security --offline=true "$UNIT" >"$T/security.log" 2>&1
	score=$(sed -n 's/.*Overall exposure level for pxehub.service: \([0-9.]*\).*/\1/p' "$T/security.log")
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN{exit !(s <= 2.5)}'; then
		ok "systemd_analyze_security # exposure $score (systemd-analyze security --offline=true)"
	else
		not_ok systemd_analyze_security "exposure ${score:-?} (want <= 2.5)"
	fi
else
	skip systemd_analyze_verify "systemd-analyze missing (apt-get install systemd)"
fi

# ---- purge: the machine as it was found -------------------------------------------
dpkg --purge pxehub-dev pxehub >"$T/purge.log" 2>&1
prc=$?
left=""
for p in /etc/pxehub /var/lib/pxehub /usr/lib/pxehub /usr/sbin/pxehubd "$UNIT" \
	/etc/systemd/system/multi-user.target.wants/pxehub.service /usr/include/pxehub; do
	[ -e "$p" ] || [ -L "$p" ] && left="$left $p"
done
dpkg-query -W -f='${db:Status-Status}' pxehub 2>/dev/null | grep -q '^not-installed$' || \
	! dpkg-query -W pxehub >/dev/null 2>&1 || left="$left (dpkg still knows pxehub)"
if [ $prc = 0 ] && [ -z "$left" ]; then ok deb_purge_clean
else not_ok deb_purge_clean "rc=$prc, left:$left"; fi
installed_here=0
if [ $user_before = 0 ]; then
	userdel pxehub 2>/dev/null
	groupdel pxehub 2>/dev/null
fi
exit 0
