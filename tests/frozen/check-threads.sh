#!/usr/bin/env bash
# check-threads.sh <program>: sixteen threads reach a frozen root (and a baked one) at once, on
# the first run (no image: one initializer run, one freeze) and on a later one (the image,
# mapped once); both print the same sums. Run under ThreadSanitizer by scripts/test-sanitizers.
set -euo pipefail
program=$1
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
chmod 700 "$cache"
export FASTBOOT_CACHE_DIR=$cache FASTBOOT_LOG=1
first=$(FASTBOOT_FREEZE=sync "$program" 2>"$cache.first.log") || { cat "$cache.first.log" >&2; exit 1; }
later=$("$program" 2>"$cache.later.log") || { cat "$cache.later.log" >&2; exit 1; }
grep -q "froze it: image written" "$cache.first.log" || { echo "FAIL: not frozen: $(cat "$cache.first.log")" >&2; exit 1; }
grep -q "frozen root 'squares': image used" "$cache.later.log" || { echo "FAIL: image not used: $(cat "$cache.later.log")" >&2; exit 1; }
rm -f "$cache.first.log" "$cache.later.log"
[[ $first == *"one value yes, initializer runs: frozen 1"* ]] || { echo "FAIL: first run: $first" >&2; exit 1; }
[ "${first%%, one value*}" = "${later%%, one value*}" ] && [[ $later == *"one value yes, initializer runs: frozen 0"* ]] ||
  { echo "FAIL: '$first' then '$later'" >&2; exit 1; }
echo "ok: sixteen threads at the first access: one initializer run, then one mapping; the same values"
