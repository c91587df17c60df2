#!/bin/bash
# Runs every suite in each build directory given (DIR, or DIR:SETUP for a
# meson test setup such as DIR:valgrind) and prints, last, the total of
# real test cases: "N passed, N failed".
set -u
pass=0
fail=0
rc=0
for arg in "$@"; do
    # DIR or DIR:SETUP (a meson test setup: DIR:valgrind)
    b=${arg%%:*}
    setup=
    [ "$arg" != "$b" ] && setup=${arg#*:}
    if [ -n "$setup" ]; then
        echo "== meson test -C $b --setup $setup"
        meson test -C "$b" --setup "$setup" --print-errorlogs >"$b/test-output-$setup.txt" 2>&1 || rc=1
        tail -n 15 "$b/test-output-$setup.txt"
        log="$b/meson-logs/testlog-$setup.txt"
    else
        echo "== meson test -C $b"
        meson test -C "$b" --print-errorlogs >"$b/test-output.txt" 2>&1 || rc=1
        tail -n 15 "$b/test-output.txt"
        log="$b/meson-logs/testlog.txt"
    fi
    p=$(grep -cE '^ok [0-9]+' "$log" || true)
    f=$(grep -cE '^not ok [0-9]+' "$log" || true)
    grep -E '^not ok [0-9]+|^#   [^ ]' "$log" | head -50
    pass=$((pass + p))
    fail=$((fail + f))
done
if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then
    fail=1
    echo "a suite failed without a failing case (crash or sanitizer report): see meson-logs"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
