#!/bin/bash
# make_test.sh - `make build` shows the compiler's messages (issue 16 item
# 12): a compile error names its file:line and make fails; a build that
# succeeds prints the compiler's warnings but no progress lines. Cheap: the
# broken tree fails on its first object (src/diag.c is compiled first), the
# quiet success is a one-file project built with the same Makefile and
# scripts. Prints TAP.
set -u
here=$(cd "$(dirname "$0")" && pwd)
SRCDIR=${SRCDIR:-$(cd "$here/../.." && pwd)}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
failed=0
# check NAME COND-EXIT-CODE OUTPUT-FILE
check() {
    n=$((n + 1))
    if [ "$2" = 0 ]; then
        echo "ok $n - $1"
    else
        failed=$((failed + 1))
        echo "not ok $n - $1"
        head -n 30 "$3" | sed 's/^/#   /'
    fi
}

# 1. the gaiyo tree with a syntax error in line 1 of src/diag.c
mkdir "$T/tree"
tar -C "$SRCDIR" --exclude=./build --exclude='./build-*' --exclude=./out --exclude=./.git --exclude=./core \
    --exclude=./tests/data -cf - . | tar -C "$T/tree" -xf -
sed -i '1i int gaiyo_broken(void) { return 1 }' "$T/tree/src/diag.c"
(cd "$T/tree" && make --no-print-directory build) >"$T/out1" 2>&1
rc=$?
[ "$rc" != 0 ]
check "a syntax error: make build exits non-zero ($rc)" $? "$T/out1"
grep -q 'src/diag\.c:1:[0-9]*:.*error' "$T/out1"
check "a syntax error: the compiler's message at src/diag.c:1 reaches the user" $? "$T/out1"
grep -qF 'int gaiyo_broken(void) { return 1 }' "$T/out1"
check "a syntax error: … with the source line it points at" $? "$T/out1"

# 2. a project that builds with a warning (werror off), same Makefile
mkdir -p "$T/small/scripts"
cp "$SRCDIR/Makefile" "$T/small/"
cp "$SRCDIR"/scripts/*.sh "$T/small/scripts/"
cat >"$T/small/meson.build" <<'EOF'
project('small', 'c', default_options : ['warning_level=2', 'werror=false'])
executable('small', 'small.c')
EOF
printf 'int main(void)\n{\n    int unused_here;\n    return 0;\n}\n' >"$T/small/small.c"
(cd "$T/small" && make --no-print-directory build) >"$T/out2" 2>&1
rc=$?
[ "$rc" = 0 ]
check "a warning: make build succeeds" $? "$T/out2"
grep -q 'small\.c:3:[0-9]*:.*warning.*unused_here' "$T/out2"
check "a warning: the compiler's warning at small.c:3 reaches the user" $? "$T/out2"
! grep -qE '^(\[[0-9]+/[0-9]+\] |ninja: |INFO: |The Meson build system)' "$T/out2"
check "a warning: no progress lines of meson or ninja" $? "$T/out2"
(cd "$T/small" && make --no-print-directory build) >"$T/out3" 2>&1
rc=$?
[ "$rc" = 0 ] && [ ! -s "$T/out3" ]
check "nothing to do: make build prints nothing" $? "$T/out3"
touch "$T/small/meson.build"
(cd "$T/small" && make --no-print-directory build) >"$T/out4" 2>&1
rc=$?
[ "$rc" = 0 ] && [ ! -s "$T/out4" ]
check "meson.build changed: ninja reruns meson, make build prints nothing" $? "$T/out4"

echo "1..$n"
[ "$failed" = 0 ]
