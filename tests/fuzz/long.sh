#!/bin/sh
# The long fuzzing run (`make fuzz-long`): every libFuzzer target in
# $B/fuzz for FUZZ_LONG_SECONDS (600) from its seeds in
# tests/fuzz/corpus/NAME (the corpus grows in $B/fuzz-long/NAME, kept
# between runs), FUZZ_JOBS (1) targets at a time, ONLY="GLOB..." to pick.
# Prints one Markdown table row per target: executions, edges covered
# (cov), features (ft), corpus entries, and the result; a crash leaves its
# input in $B/fuzz-long/ and fails the run.
B=${B:-build}
SECS=${FUZZ_LONG_SECONDS:-600}
JOBS=${FUZZ_JOBS:-1}
OUT=$B/fuzz-long
mkdir -p "$OUT"

one() { # TARGET: run it, print its row
	_n=$(basename "$1")
	_w=$OUT/${_n#fuzz_}
	mkdir -p "$_w"
	[ -d "tests/fuzz/corpus/${_n#fuzz_}" ] && cp -n "tests/fuzz/corpus/${_n#fuzz_}"/* "$_w"/ 2>/dev/null
	timeout $((SECS + 120)) "$1" -max_total_time="$SECS" -print_final_stats=1 \
		-rss_limit_mb=2048 -artifact_prefix="$OUT/$_n-" "$_w" >"$OUT/$_n.log" 2>&1
	_rc=$?
	_execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$_n.log" | tail -1)
	_last=$(grep -E '^#[0-9]+' "$OUT/$_n.log" | grep -E 'cov:' | tail -1)
	_cov=$(echo "$_last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	_ft=$(echo "$_last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	_corp=$(echo "$_last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
	[ $_rc = 0 ] && _res=ok || _res="FAILED (rc $_rc, see $OUT/$_n.log)"
	echo "| ${_n#fuzz_} | ${_execs:-?} | ${_cov:-?} | ${_ft:-?} | ${_corp:-?} | $_res |"
	[ $_rc = 0 ]
}

echo "| target | execs | cov | ft | corpus | result |"
echo "|---|---|---|---|---|---|"
fail=0
running=0
for t in "$B"/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	pick=0
	for g in ${ONLY:-*}; do
		case "$(basename "$t")" in $g) pick=1 ;; esac
	done
	[ $pick = 1 ] || continue
	one "$t" >"$OUT/$(basename "$t").row" &
	running=$((running + 1))
	if [ $running -ge "$JOBS" ]; then
		wait
		running=0
	fi
done
wait
for r in "$OUT"/*.row; do
	[ -f "$r" ] || continue
	cat "$r"
	grep -q '| ok |$' "$r" || fail=1
	rm -f "$r"
done
exit $fail
