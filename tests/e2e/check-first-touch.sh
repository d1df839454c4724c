#!/usr/bin/env bash
# check-first-touch.sh <program baked COMPRESS> <expected-output>
# Plain, the compressed arena is filled on first touch where the kernel lets this process handle
# its own page faults (userfaultfd), and decompressed up front on every core otherwise, or with
# FASTBOOT_LAZY=0; the output is the same every way, at the preferred base and moved.
set -u
exe=$1 expected=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
allowed=no
if [ "$(id -u)" = 0 ] || [ "$(cat /proc/sys/vm/unprivileged_userfaultfd 2>/dev/null)" = 1 ] || [ -r /dev/userfaultfd -a -w /dev/userfaultfd ]; then
  allowed=yes
fi
for mode in plain eager moved moved-eager; do
  env=(FASTBOOT_LOG=1)
  case $mode in
    eager) env+=(FASTBOOT_LAZY=0) ;;
    moved) env+=(FASTBOOT_RANDOMIZE=1) ;;
    moved-eager) env+=(FASTBOOT_RANDOMIZE=1 FASTBOOT_LAZY=0) ;;
  esac
  env "${env[@]}" "$exe" >"$tmp/$mode" 2>"$tmp/$mode.err" || fail "$mode: exited $?: $(cat "$tmp/$mode.err")"
  grep -v '^status:' "$tmp/$mode" | diff -u "$expected" - || fail "$mode: output differs"
  grep -qx "status: baked=1 inits=0" "$tmp/$mode" || fail "$mode: $(grep status: "$tmp/$mode")"
  lazy=no
  grep -q "arena decompressed on first touch" "$tmp/$mode.err" && lazy=yes
  want=no
  [ $allowed = yes ] && [ "${mode%eager}" = "$mode" ] && want=yes
  [ $lazy = $want ] || fail "$mode: first touch $lazy, expected $want: $(cat "$tmp/$mode.err")"
done
echo "ok: $(basename "$exe"): same output filled on first touch (userfaultfd allowed: $allowed) and up front, at the preferred base and moved"
