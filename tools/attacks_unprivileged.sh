#!/usr/bin/env bash
# The grader's attack suite (tests/grading_attacks) run by an unprivileged user, as an instructor
# without root would grade: bubblewrap then sandboxes through a user namespace instead of dropping
# root, and without a delegated cgroup the process count falls back to RLIMIT_NPROC.
#
# Run as root (it creates a throwaway user): make attacks-unprivileged [PYTEST_ARGS=...]
# What it changes on the machine, and puts back on exit:
#   - a user `dlbook-grader` (removed again, with its home);
#   - the search (x) permission for others on each folder above the virtual environment's Python
#     that lacks it (e.g. /root, mode 0700, where pyenv keeps its interpreters), restored afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
USER_NAME="dlbook-grader"

if [ "$(id -u)" != 0 ]; then
    echo "attacks-unprivileged: run as root (it creates a throwaway user); as an unprivileged user," \
         "plain \`$PY -m pytest tests/grading_attacks\` is already the unprivileged run" >&2
    exit 2
fi

opened=()
cleanup() {
    for dir in "${opened[@]}"; do chmod o-x "$dir"; done
    if id "$USER_NAME" >/dev/null 2>&1; then userdel -r "$USER_NAME" 2>/dev/null || userdel "$USER_NAME"; fi
}
trap cleanup EXIT

useradd -m -s /bin/bash "$USER_NAME"
# Every folder from / down to the interpreter, and the course itself, must be searchable by others.
for target in "$(readlink -f "$PY")" "$PWD/dlbook/__init__.py"; do
    dir="$(dirname "$target")"
    while [ "$dir" != / ]; do
        if [ "$(( 0$(stat -c '%a' "$dir") & 01 ))" = 0 ]; then
            chmod o+x "$dir"
            opened+=("$dir")
            echo "attacks-unprivileged: others may now search $dir (put back on exit)"
        fi
        dir="$(dirname "$dir")"
    done
done

home="$(getent passwd "$USER_NAME" | cut -d: -f6)"
runuser -u "$USER_NAME" -- env HOME="$home" CI="${CI:-true}" "$PY" -c \
    'import os, sys; from dlbook.grading import _isolation; print(f"uid {os.getuid()}, sandbox:", _isolation.check_bwrap())'
runuser -u "$USER_NAME" -- env HOME="$home" CI="${CI:-true}" \
    "$PY" -m pytest tests/grading_attacks -q -p no:cacheprovider --basetemp="$home/pytest" ${PYTEST_ARGS:-}
