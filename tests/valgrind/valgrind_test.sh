#!/bin/bash
# valgrind_test.sh - a full report run (import, verify, workbook, charts,
# snapshot, changes) under valgrind: no leak, no invalid access. TAP.
set -u
GAIYO=${GAIYO:?}
SRCDIR=${SRCDIR:?}
if ! command -v valgrind >/dev/null; then
    echo "1..0 # SKIP valgrind is not installed"
    exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
failed=0
vg() {
    valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
        --trace-children=no --log-file="$T/vg.log" "$@" >"$T/stdout" 2>"$T/err"
}
check() {
    n=$((n + 1))
    if [ "$1" = 0 ] && [ ! -s "$T/vg.log" ]; then
        echo "ok $n - $2"
    else
        failed=$((failed + 1))
        echo "not ok $n - $2 (exit $1)"
        sed 's/^/#   /' "$T/vg.log" "$T/err" | head -40
    fi
    : >"$T/vg.log"
}
cp -R "$SRCDIR/input" "$T/in"
vg "$GAIYO" report --input "$T/in" --templates "$SRCDIR/templates" --out "$T/out"
check $? "valgrind: a full report run from the default input"
sed -i 's/"303,503","834,319","429,381"/"303,503","834,319","429,481"/' "$T/in/R6/yosan.csv"
vg "$GAIYO" report --input "$T/in" --templates "$SRCDIR/templates" --out "$T/out"
check $? "valgrind: a revision run (snapshot, changes, charts kept)"
vg "$GAIYO" report --input "$T/in" --templates "$SRCDIR/templates" --out "$T/out"
check $? "valgrind: a run with nothing to do"
# a big workbook's path (test hooks: constant-memory mode from 100 rows, sheets of 25
# rows): the writer thread, the buffered layouts, header merges, the zip deflated in
# blocks on two threads
GAIYO_TEST_STREAM_ROWS=100 GAIYO_TEST_SHEET_ROWS=25 vg "$GAIYO" report --force --input "$T/in" \
    --templates "$SRCDIR/templates" --out "$T/out3"
check $? "valgrind: a constant-memory workbook (writer thread, parallel zip)"
# the zip's blocks deflated two at a time on two threads (the default input is too
# small to need a second block): the unit test's streams of up to 5 MiB
if [ -n "${XLSXZIP_TEST:-}" ]; then
    vg "$XLSXZIP_TEST"
    check $? "valgrind: blocks deflated on two threads (test_xlsxzip)"
fi
vg "$GAIYO" verify --input "$SRCDIR/input" --templates "$SRCDIR/templates" --format json
rc=$?
[ "$rc" = 1 ] && rc=0 # verify exits 1: the default input has errors
check $rc "valgrind: verify --format json"
vg "$GAIYO" report --input "$SRCDIR/tests/data/bad/row_width" --templates "$SRCDIR/templates" --out "$T/out2"
rc=$?
[ "$rc" = 3 ] && rc=0 # bad input: exit 3 expected
check $rc "valgrind: a report run on bad input (error path)"
echo "1..$n"
[ "$failed" = 0 ]
