#!/bin/sh
# Run every test suite and end with one line "N passed, N failed, N skipped".
#
# Suites: build/tests/unit/test_* (cmocka), build/fuzz/fuzz_* (libFuzzer, a
# short bounded run each), tests/integration/test_*.sh, tests/e2e/test_*.sh.
# A script reports cases as lines "ok NAME" / "not ok NAME" / "skip NAME";
# one that prints none counts as one case by its exit status (77 = skipped).
# Env: B (build dir), SKIP_E2E=1, FUZZ_SECONDS (default 15), ONLY=glob.
set -u
B=${B:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
LOGS=$B/test-logs
mkdir -p "$LOGS"
pass=0 fail=0 skip=0
failed_names=""

note_fail() { fail=$((fail + 1)); failed_names="$failed_names $1"; }

want() {
	[ -z "${ONLY:-}" ] && return 0
	case "$1" in $ONLY) return 0 ;; esac
	return 1
}

for t in "$B"/tests/unit/test_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	want "$n" || continue
	log="$LOGS/$n.log"
	CMOCKA_MESSAGE_OUTPUT=stdout timeout 300 "$t" >"$log" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
	p=${p:-0} f=${f:-0}
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		if [ $rc = 0 ]; then p=1; else f=1; fi
	elif [ $rc != 0 ] && [ "$f" = 0 ]; then
		f=1
	fi
	pass=$((pass + p))
	if [ "$f" != 0 ]; then
		fail=$((fail + f)); failed_names="$failed_names $n"
		echo "FAIL $n (rc=$rc)"; tail -30 "$log"
	else
		echo "pass $n ($p)"
	fi
done

for t in "$B"/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	want "$n" || continue
	corpus=tests/fuzz/corpus/${n#fuzz_}
	work=$B/fuzz-corpus/${n#fuzz_}
	mkdir -p "$work"
	[ -d "$corpus" ] && cp -n "$corpus"/* "$work"/ 2>/dev/null
	log="$LOGS/$n.log"
	if timeout $((FUZZ_SECONDS + 60)) "$t" -max_total_time="$FUZZ_SECONDS" \
		-seed=1 -rss_limit_mb=2048 -artifact_prefix="$LOGS/$n-" "$work" >"$log" 2>&1; then
		pass=$((pass + 1)); echo "pass $n ($(grep -c . "$log") log lines)"
	else
		note_fail "$n"; echo "FAIL $n"; tail -30 "$log"
	fi
done

run_scripts() {
	for t in $1/test_*.sh; do
		[ -f "$t" ] || continue
		n=$(basename "$t" .sh)
		want "$n" || continue
		log="$LOGS/$n.log"
		start=$(date +%s)
		B="$B" timeout "${TEST_TIMEOUT:-900}" sh "$t" >"$log" 2>&1
		rc=$?
		secs=$(( $(date +%s) - start ))
		p=$(grep -c '^ok ' "$log")
		f=$(grep -c '^not ok ' "$log")
		s=$(grep -c '^skip ' "$log")
		# In CI every tool is installed by tests/deps.sh: a skip for a
		# missing one means the deps list is wrong, so it fails there.
		if [ -n "${CI:-}" ] && grep -q '^skip .*missing' "$log"; then
			m=$(grep -c '^skip .*missing' "$log")
			s=$((s - m)); f=$((f + m))
			grep '^skip .*missing' "$log" | sed 's/^/# CI: /'
		fi
		if [ $((p + f + s)) = 0 ]; then
			case $rc in 0) p=1 ;; 77) s=1 ;; *) f=1 ;; esac
		elif [ $rc != 0 ] && [ $rc != 77 ] && [ "$f" = 0 ]; then
			f=1
		fi
		pass=$((pass + p)); skip=$((skip + s))
		if [ "$f" != 0 ]; then
			fail=$((fail + f)); failed_names="$failed_names $n"
			echo "FAIL $n (rc=$rc, ${secs}s)"; grep -E '^(not ok|#)' "$log" | head -20; tail -40 "$log"
		else
			echo "pass $n ($p ok, $s skipped, ${secs}s)"
		fi
	done
}
run_scripts tests/integration
if [ "${SKIP_E2E:-0}" = 1 ]; then
	echo "e2e skipped (SKIP_E2E=1)"
else
	run_scripts tests/e2e
fi

[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
