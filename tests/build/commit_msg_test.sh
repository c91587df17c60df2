#!/bin/bash
# .githooks/commit-msg: a subject of at most 72 characters (not bytes), a
# blank second line. TAP.
set -u
SRCDIR=${SRCDIR:?}
hook=$SRCDIR/.githooks/commit-msg
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
failed=0
case_() { # NAME WANT-EXIT MESSAGE
    n=$((n + 1))
    printf '%b' "$3" >"$T/msg"
    sh "$hook" "$T/msg" 2>"$T/err"
    rc=$?
    if [ "$rc" = "$2" ]; then echo "ok $n - $1"; else
        failed=$((failed + 1)); echo "not ok $n - $1 (exit $rc)"; sed 's/^/#   /' "$T/err"; fi
}
long=$(printf 'x%.0s' $(seq 73))
kanji=$(printf '当%.0s' $(seq 72))
case_ "a 73-character subject is refused" 1 "$long\n"
case_ "72 full-width characters (216 bytes) pass: characters, not bytes" 0 "$kanji\n"
case_ "subject, blank line, body" 0 "verify: one line\n\nthe numbers here\n"
case_ "a body on the second line is refused" 1 "verify: one line\nno blank line\n"
case_ "git's comment lines are not the subject" 0 "# Please enter the commit message\nshort\n"
echo "1..$n"
[ "$failed" = 0 ]
