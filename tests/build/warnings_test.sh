#!/bin/bash
# warnings_test.sh - every source compiles without a warning (-Werror) under
# gcc and clang at the optimization levels of meson's build types that
# the test builds do not use: plain/debug -O0, release -O3
# (build/ is gcc -O2, build-asan/ clang -O2: debugoptimized). Some gcc
# warnings (format-truncation) depend on the level: `--buildtype=debug`
# once failed while the default build passed. The flags are the project's
# (meson.build: warning_level 3, werror, c_std c11, its defines). Prints TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
SRCDIR=${SRCDIR:-$(cd "$here/../.." && pwd)}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FLAGS=(-std=c11 -Wall -Winvalid-pch -Wextra -Wpedantic -Werror -D_FILE_OFFSET_BITS=64
       -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE '-DGAIYO_VERSION="0.1.0"' '-DGAIYO_PKGLIBDIR="/usr/local/lib/gaiyo"' -fPIC -pthread
       -I"$SRCDIR/include" $(pkg-config --cflags xlsxwriter 2>/dev/null))
SRCS=("$SRCDIR"/src/*.c "$SRCDIR"/src/cli/main.c)
n=0
failed=0
# compile one file: cc dir flags... file (its messages in dir/NAME.err)
one() {
    local cc=$1 d=$2 f=${*: -1}
    shift 2
    "$cc" "${@:1:$#-1}" -c "$f" -o /dev/null 2>"$d/$(basename "$f").err" || echo "$f" >>"$d/bad"
}
export -f one
for case in "gcc|-O0 -g" "gcc|-O3" "clang|-O0 -g" "clang|-O3"; do
    cc=${case%%|*}
    opt=${case#*|}
    n=$((n + 1))
    if ! command -v "$cc" >/dev/null; then
        echo "ok $n - $cc $opt # SKIP $cc not installed"
        continue
    fi
    # two files at a time
    printf '%s\0' "${SRCS[@]}" | xargs -0 -n 1 -P 2 bash -c 'one "$@"' _ "$cc" "$T" $opt "${FLAGS[@]}"
    if [ -s "$T/bad" ]; then
        failed=$((failed + 1))
        echo "not ok $n - $cc $opt: every source compiles without a warning"
        cat "$T"/*.err | head -n 30 | sed 's/^/#   /'
    else
        echo "ok $n - $cc $opt: every source compiles without a warning"
    fi
    rm -f "$T"/*.err "$T/bad"
done
echo "1..$n"
[ "$failed" = 0 ]
