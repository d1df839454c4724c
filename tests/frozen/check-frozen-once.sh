#!/usr/bin/env bash
# check-frozen-once.sh <program> <root> <expected-output>: the first run (FASTBOOT_FREEZE=sync)
# freezes <root>, a later run maps its image; both print <expected-output> (status line aside).
# LATER_LOG: what the later run's log must say instead (a grep pattern), where using the image is
# not the only right outcome; the later run takes FASTBOOT_FREEZE from the environment.
# FIRST_LOG: what the first run's log must say instead of "image written" (a grep pattern).
set -euo pipefail
program=$1 root=$2 expected=$3
later_log=${LATER_LOG:-"frozen root '$root': image used"}
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
chmod 700 "$cache"
export FASTBOOT_CACHE_DIR=$cache FASTBOOT_LOG=1
fail() { echo "FAIL: $*" >&2; exit 1; }
FASTBOOT_FREEZE=sync "$program" >"$cache/first.out" 2>"$cache/first.log" || fail "first run exited $?: $(cat "$cache/first.log")"
"$program" >"$cache/later.out" 2>"$cache/later.log" || fail "later run exited $?: $(cat "$cache/later.log")"
first_log=${FIRST_LOG:-"frozen root '$root'.*image written"}
grep -q "$first_log" "$cache/first.log" || fail "first run: no '$first_log' in: $(cat "$cache/first.log")"
grep -q "$later_log" "$cache/later.log" || fail "later run: no '$later_log' in: $(cat "$cache/later.log")"
for run in first later; do
  grep -v '^status:' "$cache/$run.out" | diff -u "$expected" - || fail "$run run: output differs from $expected"
done
echo "ok: $(basename "$program"): frozen on the first run, the same output on the next ($later_log)"
