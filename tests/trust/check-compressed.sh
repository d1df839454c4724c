#!/usr/bin/env bash
# check-compressed.sh <fastboot-bake> <compressed program> <expected-output>
# The compressed image verifies, is used (decompressed), and, with one stored byte flipped, is
# refused at startup (zstd's checksum) while the program prints the same output.
set -u
baker=$1 exe=$2 expected=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$baker" verify "$exe" >/dev/null || fail "verify rejected the compressed image"
FASTBOOT_LOG=1 "$exe" 2>"$tmp/ok.err" | grep -v '^status:' | diff -u "$expected" - || fail "output differs"
grep -q "image used: .*arena decompressed" "$tmp/ok.err" || fail "not decompressed: $(cat "$tmp/ok.err")"
hex=$(readelf -SW "$exe" | sed -n 's/.*\] \.fastboot  *PROGBITS  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1/p')
offset=$((16#$hex))
arena_offset=$(od -An -tu8 -j $((offset + 32)) -N8 "$exe" | tr -d ' ')
cp "$exe" "$tmp/damaged"
at=$((offset + arena_offset + 100))
byte=$(od -An -tu1 -j "$at" -N1 "$exe" | tr -d ' ')
printf "$(printf '\\%03o' $(( (byte ^ 0xff) & 0xff )))" | dd of="$tmp/damaged" bs=1 seek="$at" conv=notrunc status=none
FASTBOOT_LOG=1 "$tmp/damaged" >"$tmp/out" 2>"$tmp/err" || fail "damaged: exited $?"
grep -v '^status:' "$tmp/out" | diff -u "$expected" - || fail "damaged: output differs"
grep -q "image not used: the compressed arena is damaged" "$tmp/err" || fail "damaged: $(cat "$tmp/err")"
"$baker" verify "$tmp/damaged" 2>/dev/null && fail "verify accepted the damaged image"
echo "ok: compressed image used, and refused when damaged"
