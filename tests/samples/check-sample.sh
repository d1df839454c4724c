#!/usr/bin/env bash
# check-sample.sh <baker> <program> <input> <reference command...>
# A sample that stands in for a program users already run: on <input>, its output must be the
# same unbaked, baked (the image used at its preferred base), baked at a random base, and equal
# to the output of the Debian program it stands in for (<reference command> <input>), and
# `fastboot-bake verify` must accept its image.
set -u
baker=$1 exe=$2 input=$3; shift 3
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

"$baker" verify "$exe" >"$tmp/verify" 2>&1 || fail "verify: $(cat "$tmp/verify")"
FASTBOOT_DISABLE=1 FASTBOOT_LOG=1 "$exe" "$input" >"$tmp/unbaked" 2>"$tmp/unbaked.err" || fail "unbaked run exited $?: $(cat "$tmp/unbaked.err")"
FASTBOOT_LOG=1 "$exe" "$input" >"$tmp/baked" 2>"$tmp/baked.err" || fail "baked run exited $?: $(cat "$tmp/baked.err")"
FASTBOOT_LOG=1 FASTBOOT_RANDOMIZE=1 "$exe" "$input" >"$tmp/random" 2>"$tmp/random.err" || fail "randomized run exited $?: $(cat "$tmp/random.err")"
"$@" "$input" >"$tmp/reference" 2>"$tmp/reference.err" || fail "$* exited $?: $(cat "$tmp/reference.err")"

grep -q "^fastboot: image not used: disabled by FASTBOOT_DISABLE" "$tmp/unbaked.err" || fail "unbaked: $(cat "$tmp/unbaked.err")"
grep -q "^fastboot: image used: .*(preferred base)" "$tmp/baked.err" || fail "baked: $(cat "$tmp/baked.err")"
grep -q "^fastboot: image used: .*(relocated)" "$tmp/random.err" || fail "randomized: $(cat "$tmp/random.err")"
[ -s "$tmp/reference" ] || fail "$* printed nothing"
for run in unbaked baked random; do
  diff -u "$tmp/reference" "$tmp/$run" || fail "$run output differs from $*"
done
echo "PASS: $(basename "$exe"): $(wc -l <"$tmp/reference") lines, as $1 prints them, unbaked, baked and relocated"
