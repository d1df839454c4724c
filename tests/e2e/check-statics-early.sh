#!/usr/bin/env bash
# check-statics-early.sh <e2e_statics>
# The program builds its logger registry before the first root's use: the baked image, which
# holds the registry the bake built, is not used (the log says why), and the program prints
# what the unbaked one prints.
set -u
exe=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
FASTBOOT_DISABLE=1 "$exe" early >"$tmp/unbaked" 2>/dev/null || fail "unbaked run exited $?"
FASTBOOT_LOG=1 "$exe" early >"$tmp/baked" 2>"$tmp/baked.err" || fail "baked run exited $?: $(cat "$tmp/baked.err")"
grep -q "^fastboot: image not used: a function-local static the bake constructed (guard at libe2e_statics_lib.so+0x[0-9a-f]*) was constructed before the image was loaded" "$tmp/baked.err" ||
  fail "baked: $(cat "$tmp/baked.err")"
diff -u <(grep -v '^status:' "$tmp/unbaked") <(grep -v '^status:' "$tmp/baked") || fail "output differs from the unbaked program's"
grep -q "^loggers: 5," "$tmp/baked" || fail "the early logger is missing: $(cat "$tmp/baked")"
grep -qx "status: baked=0 inits=1" "$tmp/baked" || fail "$(grep status: "$tmp/baked")"
echo "ok: a registry built before the first root's use keeps the image from being used; answers as unbaked"
