#!/usr/bin/env bash
# `make test`: every check, as make steps, with each step's wall time in $REPORTS/steps.txt.
#
# The steps run one after another, except where a step leaves the two cores partly idle:
# - `system-deps` (apt-get: bubblewrap for the grader's sandbox, Chromium and a CJK font for the
#   browser tests) installs while `install` runs pip: both wait on downloads and disks more than
#   on the CPU. The unit step waits for it: the grader's tests need bubblewrap.
# - `book` and then `site-test` run while `learner` executes the chapter notebooks: its two
#   kernels keep the cores about 85% busy (CI, stop 38), and the book build runs on one core.
# A step that runs in the background writes its output to $REPORTS/<step>.log, printed whole when
# it ends. The first failing step fails the run; background steps are stopped then.
set -uo pipefail

MAKE=${MAKE:-make}
REPORTS=${REPORTS:-_build/reports}
mkdir -p "$REPORTS"
: > "$REPORTS/steps.txt"

step() {  # step NAME [NOTE]: run `make NAME`, record its wall time; returns make's status
    local name=$1 note=${2:-} start rc=0 line
    start=$(date +%s)
    "$MAKE" --no-print-directory "$name" || rc=$?
    line="make $name: $(( $(date +%s) - start )) s${note:+ ($note)}"
    if [ "$rc" -ne 0 ]; then line="$line: FAILED (exit $rc)"; fi
    echo "$line" | tee -a "$REPORTS/steps.txt"
    return "$rc"
}

in_background() {  # in_background NAME NOTE: start step NAME, its output in $REPORTS/NAME.log
    step "$@" > "$REPORTS/$1.log" 2>&1 &
    BG_PID=$!
}

join() {  # join PID NAME: wait for a background step, print its output, return its status
    local rc=0
    wait "$1" || rc=$?
    echo "== make $2 (ran alongside other steps): its output"
    cat "$REPORTS/$2.log"
    return "$rc"
}

fail() {
    echo "== make test: FAILED at make $1"
    cat "$REPORTS/steps.txt"
    exit 1
}

# Each background step gets its own process group (job control), so that an early exit (a
# failure, Ctrl-C) stops it together with everything it started (make, pytest, apt-get).
set -m
trap 'for pid in $(jobs -p); do kill -- "-$pid" 2>/dev/null; done' EXIT

in_background system-deps "alongside install"
deps=$BG_PID
step install || fail install
join "$deps" system-deps || fail system-deps
step unit || fail unit
step nbval || fail nbval

in_background learner "alongside book and site-test"
learner=$BG_PID
site_rc=0
step book "alongside learner" || site_rc=1
if [ "$site_rc" -eq 0 ]; then step site-test "alongside learner" || site_rc=2; fi
join "$learner" learner || fail learner
case $site_rc in 1) fail book ;; 2) fail site-test ;; esac

echo "== make test: every step passed"
cat "$REPORTS/steps.txt"
