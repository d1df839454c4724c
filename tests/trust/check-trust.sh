#!/usr/bin/env bash
# check-trust.sh <fastboot-bake> <program> <other-build> <expected-output> <roots>
# A baked program whose image is stale (another build's, swapped in with objcopy), damaged
# (tables, arena, truncated) or missing runs its initializers and prints the same output;
# `fastboot-bake verify` exits 1 for each and 0 for the intact program.
set -u
baker=$1 exe=$2 other=$3 expected=$4 roots=$5
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

section_offset() {
  local hex
  hex=$(readelf -SW "$1" | sed -n 's/.*\] \.fastboot  *PROGBITS  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1/p')
  echo $((16#$hex))
}
poke() {  # poke <file> <offset> : flip one byte
  local byte
  byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "$(printf '\\%03o' $(( (byte ^ 0xff) & 0xff )))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# expect_fallback <name> <reason> [env...]: the program runs its initializers, same output.
expect_fallback() {
  local name=$1 reason=$2; shift 2
  env FASTBOOT_LOG=1 "$@" "$tmp/$name" >"$tmp/$name.out" 2>"$tmp/$name.err" || fail "$name: exited $?: $(cat "$tmp/$name.err")"
  grep -v '^status:' "$tmp/$name.out" | diff -u "$expected" - || fail "$name: output differs"
  grep -qx "status: baked=0 inits=$roots" "$tmp/$name.out" || fail "$name: $(grep status: "$tmp/$name.out")"
  grep -q "^fastboot: image not used: $reason" "$tmp/$name.err" || fail "$name: expected '$reason', got: $(cat "$tmp/$name.err")"
  "$baker" verify "$tmp/$name" 2>"$tmp/$name.verify" && fail "$name: verify accepted it"
  echo "ok: $name: fell back ($reason); verify says: $(cat "$tmp/$name.verify")"
}

"$baker" verify "$exe" >/dev/null || fail "verify rejected the intact program"
offset=$(section_offset "$exe")

# Stale: the image of another build of the same source.
objcopy --dump-section .fastboot="$tmp/other.img" "$other" "$tmp/scratch"
objcopy --update-section .fastboot="$tmp/other.img" "$exe" "$tmp/stale"
expect_fallback stale "the image belongs to another build"

# Damaged tables (the first byte of the root table, wherever the header says it is).
roots_offset=$(od -An -tu8 -j $((offset + 48)) -N8 "$exe" | tr -d ' ')
cp "$exe" "$tmp/tables"; poke "$tmp/tables" $((offset + roots_offset))
expect_fallback tables "table checksum mismatch"

# Damaged arena: found when asked to verify it.
arena_offset=$(od -An -tu8 -j $((offset + 32)) -N8 "$exe" | tr -d ' ')
cp "$exe" "$tmp/arena"; poke "$tmp/arena" $((offset + arena_offset + 8))
expect_fallback arena "arena checksum mismatch" FASTBOOT_VERIFY=1

# Truncated: the section holds only its first half.
objcopy --dump-section .fastboot="$tmp/own.img" "$exe" "$tmp/scratch"
head -c $(( $(stat -c %s "$tmp/own.img") / 2 )) "$tmp/own.img" >"$tmp/half.img"
objcopy --update-section .fastboot="$tmp/half.img" "$exe" "$tmp/truncated"
expect_fallback truncated "section size differs from the header's"

# Missing.
objcopy --remove-section .fastboot "$exe" "$tmp/missing"
expect_fallback missing "no .fastboot section"
