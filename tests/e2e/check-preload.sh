#!/usr/bin/env bash
# check-preload.sh <program> <expected-output>
# With jemalloc preloaded, the baked program still uses its image, jemalloc serves the new
# allocations (its statistics show them), and the output is unchanged.
set -u
exe=$1 expected=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
jemalloc=$(ls /usr/lib/*/libjemalloc.so.2 2>/dev/null | head -1)
[ -n "$jemalloc" ] || fail "libjemalloc.so.2 is not installed (Debian: libjemalloc2)"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
LD_PRELOAD=$jemalloc MALLOC_CONF=stats_print:true FASTBOOT_LOG=1 "$exe" >"$tmp/out" 2>"$tmp/err" || fail "exited $?: $(tail -5 "$tmp/err")"
grep -v '^status:' "$tmp/out" | diff -u "$expected" - || fail "output differs with jemalloc"
grep -qx "status: baked=1 inits=0" "$tmp/out" || fail "$(grep status: "$tmp/out")"
grep -q "^fastboot: image used" "$tmp/err" || fail "image not used: $(grep fastboot: "$tmp/err")"
grep -q "Begin jemalloc statistics" "$tmp/err" || fail "jemalloc did not run"
allocated=$(sed -n 's/^Allocated: \([0-9]*\),.*/\1/p' "$tmp/err" | head -1)
[ "${allocated:-0}" -gt 0 ] || fail "jemalloc served no allocations"
echo "ok: $(basename "$exe") with jemalloc preloaded: image used, jemalloc holds $allocated bytes"
