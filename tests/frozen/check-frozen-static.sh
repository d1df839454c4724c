#!/usr/bin/env bash
# check-frozen-static.sh <program> <root> <expected-output>: a frozen root in a -static program.
# The C library's state (malloc's) is part of the executable's writable data there, and it holds
# heap addresses that change from run to run, so the state main sets before the first access is
# never the same twice: later runs do not use the image, and say so. What is checked is that every
# run prints the unbaked program's output, and that the log names that cause.
set -euo pipefail
program=$1 root=$2 expected=$3
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
chmod 700 "$cache"
export FASTBOOT_CACHE_DIR=$cache FASTBOOT_LOG=1
fail() { echo "FAIL: $*" >&2; exit 1; }
FASTBOOT_FREEZE=sync "$program" >"$cache/first.out" 2>"$cache/first.log" || fail "first run exited $?: $(cat "$cache/first.log")"
FASTBOOT_FREEZE=sync "$program" >"$cache/later.out" 2>"$cache/later.log" || fail "later run exited $?: $(cat "$cache/later.log")"
grep -q "frozen root '$root'.*image written" "$cache/first.log" || fail "not frozen: $(cat "$cache/first.log")"
grep -q "frozen root '$root': image used\|frozen root '$root': image not used (main set other state" "$cache/later.log" ||
  fail "neither used nor refused for main's state: $(cat "$cache/later.log")"
for run in first later; do
  grep -v '^status:' "$cache/$run.out" | diff -u "$expected" - || fail "$run run: output differs from $expected"
done
echo "ok: $(basename "$program"): a frozen root in a -static program serves the unbaked output"
