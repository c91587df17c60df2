# lib.sh - what the CLI suites share: a scratch folder, TAP output, running
# the command and checking its exit code, stderr and stdout. Sourced by
# cli_test.sh and text_test.sh.
#
# Environment (set by meson): GAIYO (the built program: gaiyo-test), SRCDIR (source
# root), DATADIR (tests/data). Defaults allow running a suite by hand from
# the source root after `meson compile -C build`.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
SRCDIR=${SRCDIR:-$(cd "$here/../.." && pwd)}
DATADIR=${DATADIR:-$SRCDIR/tests/data}
GAIYO=${GAIYO:-$SRCDIR/build/gaiyo-test}
PY=/usr/bin/python3
export LC_ALL=C.UTF-8

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

n=0
failed=0
OUT=$T/stdout
ERR=$T/stderr
RC=0

ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}

not_ok() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    shift
    local line
    for line in "$@"; do
        printf '%s\n' "$line" | sed 's/^/#   /'
    done
}

# run CMD... : stdout to $OUT, stderr to $ERR, exit code in $RC
run() {
    "$@" >"$OUT" 2>"$ERR" </dev/null
    RC=$?
}

# match SPEC FILE: "" = empty; "=TEXT" = exactly TEXT and a newline;
# "~TEXT" = contains TEXT; "*" = anything
match() {
    local spec=$1 file=$2
    case "$spec" in
    '*') return 0 ;;
    '') [ ! -s "$file" ] ;;
    '='*) printf '%s\n' "${spec#=}" | cmp -s - "$file" ;;
    '~'*) grep -qF -- "${spec#\~}" "$file" ;;
    *) echo "# bad spec '$spec'"; return 1 ;;
    esac
}

# check NAME RC STDERR-SPEC STDOUT-SPEC CMD...
check() {
    local name=$1 want_rc=$2 want_err=$3 want_out=$4
    shift 4
    run "$@"
    local why=()
    [ "$RC" = "$want_rc" ] || why+=("exit code $RC, expected $want_rc")
    match "$want_err" "$ERR" || why+=("stderr:" "$(head -c 2000 "$ERR")" "expected stderr: $want_err")
    match "$want_out" "$OUT" || why+=("stdout (head):" "$(head -c 1500 "$OUT")" "expected stdout: $want_out")
    if [ ${#why[@]} = 0 ]; then ok "$name"; else not_ok "$name" "${why[@]}"; fi
}

# assert NAME CONDITION-CMD... : a case that is a plain check; on failure
# the condition's output and the last run's stderr are shown
assert() {
    local name=$1 said
    shift
    if said=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "failed: $*" "$said" "stderr: $(head -c 1500 "$ERR")"; fi
}

G() { "$GAIYO" "$@"; }

if [ ! -x "$GAIYO" ]; then
    echo "1..0 # SKIP gaiyo not built ($GAIYO)"
    exit 0
fi
