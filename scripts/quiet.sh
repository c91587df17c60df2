#!/bin/bash
# quiet.sh setup|compile CMD… - one build step of the Makefile, quiet when
# it goes well and whole when it does not:
#   fails      everything the step printed (the compiler's file:line:col
#              messages, meson's ERROR and log path), on stderr, and its
#              exit code
#   succeeds   compile: what the compiler said (warnings and their source
#              lines: a build with werror=false), without ninja's and
#              meson's progress lines ("[3/40] Compiling …", "ninja: …",
#              "INFO: …", and meson's output when ninja reruns it); setup:
#              only meson's WARNING/DEPRECATION/NOTICE lines
set -u
mode=$1
shift
log=$(mktemp "${TMPDIR:-/tmp}/gaiyo-build.XXXXXX") || exit 1
trap 'rm -f "$log"' EXIT
"$@" >"$log" 2>&1
rc=$?
if [ "$rc" != 0 ]; then
    cat "$log" >&2
    exit "$rc"
fi
if [ "$mode" = setup ]; then
    grep -E '^(WARNING|DEPRECATION|NOTICE)' "$log" >&2
else
    # a progress line starts a step; the output of a "Regenerating build
    # files" step (meson reconfiguring) is left out but for its warnings
    awk '/^\[[0-9]+\/[0-9]+\] / { regen = /Regenerating build files/; next }
         /^(ninja: |INFO: )/ { next }
         !regen || /^(WARNING|DEPRECATION)/ { print }' "$log" >&2
fi
exit 0
