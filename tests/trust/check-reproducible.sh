#!/usr/bin/env bash
# check-reproducible.sh [--bakes N] <fastboot-bake> <program>...   (BAKE_FLAGS: more bake options)
# N bakes (2 unless told) of the same executable write byte-identical image objects: no
# timestamps, pids, temporary paths, ASLR-dependent bytes, or bytes that depend on how the
# initializers' threads were scheduled.
set -u
bakes=2
if [ "${1:-}" = --bakes ]; then bakes=$2; shift 2; fi
baker=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for exe in "$@"; do
  name=$(basename "$exe")
  for run in $(seq 1 "$bakes"); do
    "$baker" bake ${BAKE_FLAGS:-} "$exe" -o "$tmp/$name.$run.o" >"$tmp/$name.$run.log" 2>&1 || { cat "$tmp/$name.$run.log"; echo "FAIL: bake $run of $name" >&2; exit 1; }
    [ "$run" = 1 ] || cmp "$tmp/$name.1.o" "$tmp/$name.$run.o" || { echo "FAIL: $name: bakes 1 and $run differ" >&2; exit 1; }
  done
  echo "ok: $name: $bakes bakes are byte-identical ($(stat -c %s "$tmp/$name.1.o") bytes)"
done
