#!/usr/bin/env bash
# expect-bake-error.sh <fastboot-bake> <program> <regex>...   (BAKE_FLAGS: more options of the bake)
# The bake must fail with exit status 1, write no object, and print a line matching each regex.
set -u
baker=$1 exe=$2; shift 2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$baker" bake ${BAKE_FLAGS:-} "$exe" -o "$tmp/image.o" >"$tmp/out" 2>&1
status=$?
cat "$tmp/out"
[ "$status" -eq 1 ] || { echo "FAIL: fastboot-bake exited $status, expected 1" >&2; exit 1; }
[ ! -e "$tmp/image.o" ] || { echo "FAIL: a failed bake wrote an image object" >&2; exit 1; }
for re in "$@"; do
  grep -Eq -- "$re" "$tmp/out" || { echo "FAIL: no line matches: $re" >&2; exit 1; }
done
grep -q "^fastboot-bake: bake of .* failed with [0-9]* errors\?$" "$tmp/out" || { echo "FAIL: no summary line" >&2; exit 1; }
echo "ok: the bake failed as expected"
