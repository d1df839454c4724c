#!/usr/bin/env bash
# check-library-update.sh <program> <expected-output> <v2-dir> <hidden-dir>
# The program was baked against one build of libe2e_shapes.so. Another build that exports the
# same symbols (v2-dir) must still serve the image, resolving pointers by symbol; a build that
# no longer exports a vtable the image points at (hidden-dir) must make the program fall back.
set -u
exe=$1 expected=$2 v2=$3 hidden=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

LD_LIBRARY_PATH=$v2 FASTBOOT_LOG=1 "$exe" >"$tmp/v2" 2>"$tmp/v2.err" || fail "v2 run exited $?"
grep -v '^status:' "$tmp/v2" | diff -u "$expected" - || fail "v2: output differs"
grep -qx "status: baked=1 inits=0" "$tmp/v2" || fail "v2: $(grep status: "$tmp/v2"): $(cat "$tmp/v2.err")"
grep -Eq "\(([1-9][0-9]*) by symbol" "$tmp/v2.err" || fail "v2: no pointer resolved by symbol: $(cat "$tmp/v2.err")"

LD_LIBRARY_PATH=$hidden FASTBOOT_LOG=1 "$exe" >"$tmp/hidden" 2>"$tmp/hidden.err" || fail "hidden run exited $?"
grep -v '^status:' "$tmp/hidden" | diff -u "$expected" - || fail "hidden: output differs"
grep -qx "status: baked=0 inits=1" "$tmp/hidden" || fail "hidden: $(grep status: "$tmp/hidden")"
grep -q "image not used: libe2e_shapes.so is another build (build-id differs) and no longer exports _ZTV6Square" "$tmp/hidden.err" \
  || fail "hidden: $(cat "$tmp/hidden.err")"
echo "ok: another build with the same symbols serves the image; one without them falls back"
