#!/usr/bin/env bash
# check-reproducible.sh <fastboot-bake> <program>...
# Two bakes of the same executable write byte-identical image objects: no timestamps, pids,
# temporary paths or ASLR-dependent bytes.
set -u
baker=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for exe in "$@"; do
  name=$(basename "$exe")
  for run in 1 2; do
    "$baker" bake "$exe" -o "$tmp/$name.$run.o" >"$tmp/$name.$run.log" 2>&1 || { cat "$tmp/$name.$run.log"; echo "FAIL: bake $run of $name" >&2; exit 1; }
  done
  cmp "$tmp/$name.1.o" "$tmp/$name.2.o" || { echo "FAIL: $name: two bakes differ" >&2; exit 1; }
  echo "ok: $name: two bakes are byte-identical ($(stat -c %s "$tmp/$name.1.o") bytes)"
done
