#!/bin/sh
# Every command the benchmarks run (bench/*.sh and the files they source or
# start) comes from a package tests/deps.txt or bench/deps.txt lists, or
# from one those pull in, or from every Debian install: on a fresh machine
# `make bench` installs exactly those lists, so nothing it runs is then
# "missing" (issue 23: bench/tftp.sh's ping was).  Read with shfmt's syntax
# tree and dpkg -S (tests/tools/script_commands.py); the checker must also
# catch a dropped package and a command nothing installs.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CHK=$TOP/tests/tools/script_commands.py
for t in shfmt dpkg python3; do
	command -v $t >/dev/null || { echo "skip test_bench_deps # $t missing"; exit 77; }
done
W=$(mktemp -d /tmp/pxh-benchdeps.XXXXXX)
trap 'rm -rf "$W"' EXIT
failed=0
ok() { echo "ok $1"; }
not_ok() { echo "not ok $1${2:+ # $2}"; failed=1; }
skip() { echo "skip $1${2:+ # $2}"; }

cd "$TOP" || exit 1
# the benchmarks and what they source or exec from the tree
FILES="bench/*.sh tests/lib.sh tests/tools/tftp_net.sh tests/e2e/sb_bench.sh tests/e2e/lab.sh tests/e2e/sb.sh"
# shellcheck disable=SC2086
for f in $(grep -ohE '(tests|bench)/[a-z0-9_/]+\.sh' bench/*.sh tests/e2e/sb_bench.sh | sort -u); do
	case " $(echo $FILES) " in *" $f "*) ;; *) [ "$f" = tests/deps.sh ] || not_ok sources_listed "$f is run by a benchmark but not checked here" ;; esac
done

# shellcheck disable=SC2086
out=$(python3 "$CHK" --deps tests/deps.txt --deps bench/deps.txt $FILES 2>&1)
rc=$?
if [ $rc = 0 ] || [ $rc = 2 ]; then
	ok bench_commands_packaged
else
	not_ok bench_commands_packaged "$(echo "$out" | grep -v '^ok' | tr '\n' ';')"
fi
# where bench/deps.txt is not installed (make check on a fresh machine
# installs only tests/deps.txt) its commands cannot be placed: make bench
# installs them, then this checks them all
if [ $rc = 2 ]; then
	skip bench_commands_all_installed "$(echo "$out" | sed -n 's/^unknown \([^:]*\):.*/\1/p' | tr '\n' ' ')not installed: run make bench once"
else
	[ $rc = 0 ] && ok bench_commands_all_installed
fi

# the defect kind issue 23 found (ping used, iputils-ping in no list): the
# benchmarks' tshark with tests/deps.txt lacking it
grep -v '^tshark' tests/deps.txt >"$W/deps-notshark.txt"
# shellcheck disable=SC2086
out=$(python3 "$CHK" --deps "$W/deps-notshark.txt" --deps bench/deps.txt $FILES 2>&1)
if [ $? = 1 ] && echo "$out" | grep -q '^missing tshark: package tshark is in no deps list (used at bench/'; then
	ok dropped_package_caught
else
	not_ok dropped_package_caught "$(echo "$out" | grep -v '^ok' | tr '\n' ';')"
fi

# the parser sees commands behind the wrappers the scripts use, and a
# command that nothing installs
cat >"$W/s.sh" <<'EOF'
#!/bin/sh
IN="ip netns exec ns1"
run() { ip netns exec "$NS" "$@"; }
have() { command -v "$1" >/dev/null; }
ip netns exec "$NS" timeout -s INT 5 nice -n 5 tcpdump -i lo >/dev/null &
$IN wrk -c 1 http://x/ | tail -1
run env A=1 ethtool -k lo
x=$(sh -c 'stat /; seq 1 2' | "$T/tool" "$a" ip netns exec n1 ss -t)
have pxh-no-such-command || echo "# a comment: nonsense words here"
for t in dnsmasq nginx; do command -v $t >/dev/null || exit 0; done
case $x in h1) od -c ;; esac
EOF
got=$(python3 "$CHK" --list "$W/s.sh" | awk '{print $1}' | sort | tr '\n' ' ')
want="dnsmasq env ethtool ip nginx nice od pxh-no-such-command seq sh ss stat tail tcpdump timeout wrk "
[ "$got" = "$want" ] && ok parser_sees_wrapped || not_ok parser_sees_wrapped "got '$got', want '$want'"
# (with lists of installed packages only: nothing else could provide it)
printf 'coreutils\nprocps\n' >"$W/deps-installed.txt"
out=$(python3 "$CHK" --deps "$W/deps-installed.txt" "$W/s.sh" 2>&1)
if [ $? = 1 ] && echo "$out" | grep -q '^missing pxh-no-such-command: not installed'; then
	ok uninstalled_caught
else
	not_ok uninstalled_caught "$(echo "$out" | tr '\n' ';')"
fi
exit $failed
