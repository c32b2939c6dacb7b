#!/bin/sh
# make bench: every benchmark against its peer servers in one run on this
# machine, then one summary.  Benchmarks are not tests: they report figures
# and ratios, they do not pass or fail.
#
#   sh bench/run.sh                  (root; B=build dir)
#   BENCH_ONLY="dhcp tftp http storm winpe"   which ones (default: all present)
#
# Each bench/NAME.sh prints its own table; the whole output is kept in
# $B/bench/results-DATE.txt, headed by the commit measured (in a copy made
# with `git archive`, from bench/commit.txt).  The peers' settings are in bench/peers/ and the
# scripts themselves.  Every bench/NAME.sh has knobs for shorter runs (its
# header); a quick pass over all of them, as run on a fresh Debian 12 root:
#   BENCH_RUNS=3 BENCH_TFTP_MB=8 BENCH_LOCKSTEP_MB=2 BENCH_CURL_RUNS=1
#   SECONDS_PER_STEP=2 RATES="10000 40000" BENCH_DHCP_LOGGING=quiet
#   BENCH_LAT_SECONDS=1 SECS=2 RUNS=1 CASES="h1 s1 boot" STORM_N=100 STORM_MB=2
#   STORM_RUNS=1 BENCH_WINPE_MB=20 SB_RUNS=1 SB_PATHS=ipxe-http make bench
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-build}
cd "$TOP" || exit 1
if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (network namespaces, ports 67/69/80)" >&2
	exit 1
fi
# tools and peers: tests/deps.txt plus bench/deps.txt
sh tests/deps.sh || exit 1
missing=""
for p in $(grep -v '^[[:space:]]*#' bench/deps.txt | awk 'NF{print $1}'); do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "bench: installing$missing"
	# the peer daemons must not start as services on this machine (a
	# policy-rc.d already there, as in container images, stays as it is)
	own_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
	fi
	apt-get update -q >/tmp/pxehub-bench-deps.log 2>&1
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
		>>/tmp/pxehub-bench-deps.log 2>&1 || echo "bench: some packages did not install (see /tmp/pxehub-bench-deps.log)"
	[ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
fi
# The commit measured: this checkout's, or the one `git archive` wrote into
# bench/commit.txt (export-subst, .gitattributes); a copy that is neither
# (no .git, no archive) says so instead of a guess.  bench/*.sh print it.
PXH_BENCH_COMMIT=""
[ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ] &&
	PXH_BENCH_COMMIT=$(git rev-parse --short HEAD 2>/dev/null)
if [ -z "$PXH_BENCH_COMMIT" ]; then
	PXH_BENCH_COMMIT=$(cat bench/commit.txt 2>/dev/null)
	case $PXH_BENCH_COMMIT in
	'' | *'$Format'*) PXH_BENCH_COMMIT="unknown (not a git checkout nor a git archive)" ;;
	*) PXH_BENCH_COMMIT="$PXH_BENCH_COMMIT (git archive)" ;;
	esac
fi
export PXH_BENCH_COMMIT
mkdir -p "$B/bench"
out="$B/bench/results-$(date +%Y%m%d-%H%M%S).txt"
only=${BENCH_ONLY:-$(ls bench/*.sh | sed -n 's|bench/\(.*\)\.sh|\1|p' | grep -v '^run$')}
{
	echo "# pxehub benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(uname -r)"
	echo "# commit $PXH_BENCH_COMMIT"
	for b in $only; do
		[ -f "bench/$b.sh" ] || continue
		echo
		echo "## $b"
		start=$(date +%s)
		B="$B" sh "bench/$b.sh" 2>&1
		echo "# $b took $(( $(date +%s) - start )) s"
	done
} | tee "$out"
echo "bench: results in $out"
