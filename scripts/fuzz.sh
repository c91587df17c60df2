#!/bin/bash
# fuzz.sh - `make fuzz`: build the libFuzzer targets (clang, ASan+UBSan) in
# build-fuzz/ and run each for FUZZ_SECONDS (default 60) with a seed corpus
# made from input/, templates/ and tests/data/ (scripts/fuzz-seeds.py) and
# the dictionary fuzz/gaiyo.dict. The corpus grows in build-fuzz/corpus/
# (not in git); crashers land in build-fuzz/artifacts/TARGET/.
# FUZZ_TARGETS="import value tabledef sheet chart changes" picks targets; extra arguments go
# to libFuzzer (e.g. -jobs=2). Exit 1 when a target found a problem.
set -u
cd "$(dirname "$0")/.."
B=${FUZZ_BUILD:-build-fuzz}
SECS=${FUZZ_SECONDS:-60}
TARGETS=${FUZZ_TARGETS:-import value tabledef sheet chart changes}

if [ ! -f "$B/build.ninja" ]; then
    CC=clang meson setup "$B" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        >/dev/null || exit 1
fi
meson compile -C "$B" >/dev/null || exit 1

# seeds are made anew by each run (two runs may go on at once)
S="$B/seeds.$$"
trap 'rm -rf "$S" "$S.tsv"' EXIT
GAIYO_FUZZ_LIST=1 "$B/fuzz/fuzz_import" >"$S.tsv" || exit 1
/usr/bin/python3 scripts/fuzz-seeds.py "$S" "$S.tsv" || exit 1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
status=0
total=0
summary=""
for t in $TARGETS; do
    mkdir -p "$B/corpus/$t" "$B/artifacts/$t" "$S/$t"
    log="$B/fuzz-$t.log"
    echo "== fuzz_$t for ${SECS}s (log: $log)"
    "$B/fuzz/fuzz_$t" -max_total_time="$SECS" -dict=fuzz/gaiyo.dict -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$B/artifacts/$t/" "$@" "$B/corpus/$t" "$S/$t" >"$log" 2>&1
    rc=$?
    execs=$(grep -h 'stat::number_of_executed_units' "$log" | awk '{s += $2} END {print s + 0}')
    total=$((total + execs))
    found=$(find "$B/artifacts/$t" -type f | wc -l)
    # a crasher an earlier run left (not yet fixed, or fixed and not deleted) still counts
    new=$(find "$B/artifacts/$t" -type f -newer "$S.tsv" | wc -l)
    summary="$summary$(printf '%-10s %12s executions  %s crashers (%s new)  corpus %s' "$t" "$execs" "$found" \
        "$new" "$(find "$B/corpus/$t" -type f | wc -l)")"$'\n'
    if [ "$rc" != 0 ] || [ "$found" != 0 ]; then
        status=1
        grep -E '^==[0-9]+==ERROR|runtime error|invariant broken|SUMMARY' "$log" | head -5
        find "$B/artifacts/$t" -type f | head -5
    fi
done
echo "== fuzz summary"
printf '%s' "$summary"
echo "total      $total executions"
if [ "$status" != 0 ]; then
    echo "a target found a problem: reproduce with $B/fuzz/fuzz_TARGET FILE; once fixed, keep the"
    echo "input as tests/data/fuzz/TARGET/NAME and write NAME.expect (GAIYO_FUZZ_BLESS=1 meson test -C build fuzz),"
    echo "then delete it from $B/artifacts/TARGET/ (a crasher left there counts in every run)"
fi
exit $status
