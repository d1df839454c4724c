#!/usr/bin/env bash
# check-baked.sh <program> <expected-output> <roots>   (BAKED_MAPPING: the mapping the plain
# baked run must report, "preferred base" unless the program takes that address itself;
# BAKED_LOG: a regular expression the baked run's FASTBOOT_LOG line must also match;
# ADDRESS_STABLE=1: the program was baked ADDRESS_STABLE; EMULATOR: the command that runs a
# program built for another machine, e.g. qemu-aarch64-static)
# The program's output, minus its status line, must equal <expected-output> unbaked, baked,
# baked at a random base per process, and at a random base per boot (the first run writes the
# relocated copy, the second maps it). Unbaked, <roots> initializers run; baked, none, and the
# image is used. An ADDRESS_STABLE image is used at its preferred base only: at a random base,
# and with that base taken (E2E_TAKE_BASE=1, e2e.h), the initializers run, and the log says why.
set -u
exe=$1 expected=$2 roots=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
read -r -a emulator <<<"${EMULATOR:-}"

FASTBOOT_DISABLE=1 "${emulator[@]}" "$exe" >"$tmp/unbaked" 2>"$tmp/unbaked.err" || fail "unbaked run exited $?: $(cat "$tmp/unbaked.err")"
FASTBOOT_LOG=1 FASTBOOT_VERIFY=1 "${emulator[@]}" "$exe" >"$tmp/baked" 2>"$tmp/baked.err" || fail "baked run exited $?: $(cat "$tmp/baked.err")"
FASTBOOT_LOG=1 FASTBOOT_RANDOMIZE=1 "${emulator[@]}" "$exe" >"$tmp/random" 2>"$tmp/random.err" || fail "randomized run exited $?"
mkdir -m 700 "$tmp/run"
for run in boot-first boot-later; do
  XDG_RUNTIME_DIR=$tmp/run FASTBOOT_LOG=1 FASTBOOT_RANDOMIZE=boot "${emulator[@]}" "$exe" >"$tmp/$run" 2>"$tmp/$run.err" || fail "$run run exited $?"
done

for run in unbaked baked random boot-first boot-later; do
  grep -v '^status:' "$tmp/$run" >"$tmp/$run.body"
  diff -u "$expected" "$tmp/$run.body" || fail "$run output differs from $expected"
done
grep -qx "status: baked=0 inits=$roots" "$tmp/unbaked" || fail "unbaked: $(grep status: "$tmp/unbaked"), expected inits=$roots"
grep -qx "status: baked=1 inits=0" "$tmp/baked" || fail "baked: $(grep status: "$tmp/baked") (an initializer ran)"
grep -q "^fastboot: image used: .*(${BAKED_MAPPING:-preferred base})" "$tmp/baked.err" || fail "baked: $(cat "$tmp/baked.err")"
if [ -n "${BAKED_LOG:-}" ]; then grep -Eq "$BAKED_LOG" "$tmp/baked.err" || fail "baked: no '$BAKED_LOG' in: $(cat "$tmp/baked.err")"; fi
if [ "${ADDRESS_STABLE:-0}" = 1 ]; then
  E2E_TAKE_BASE=1 FASTBOOT_LOG=1 "${emulator[@]}" "$exe" >"$tmp/taken" 2>"$tmp/taken.err" || fail "base-taken run exited $?"
  grep -v '^status:' "$tmp/taken" | diff -u "$expected" - || fail "base-taken run: output differs from $expected"
  declare -A said=([random]="FASTBOOT_RANDOMIZE=1 asks for a random one" [boot-first]="FASTBOOT_RANDOMIZE=boot asks"
                   [boot-later]="FASTBOOT_RANDOMIZE=boot asks" [taken]="its preferred base is taken in this process")
  for run in random boot-first boot-later taken; do
    grep -qx "status: baked=0 inits=$roots" "$tmp/$run" || fail "$run: $(grep status: "$tmp/$run"): an address-stable image must not be used there"
    grep -q "^fastboot: image not used: .*${said[$run]}.*; running initializers" "$tmp/$run.err" ||
      fail "$run: $(cat "$tmp/$run.err")"
  done
else
  grep -qx "status: baked=1 inits=0" "$tmp/random" || fail "randomized: $(grep status: "$tmp/random")"
  grep -qx "status: baked=1 inits=0" "$tmp/boot-first" || fail "boot-first: $(grep status: "$tmp/boot-first")"
  grep -qx "status: baked=1 inits=0" "$tmp/boot-later" || fail "boot-later: $(grep status: "$tmp/boot-later")"
  grep -q "^fastboot: image used: .*(random base for this boot, relocated copy written; no copy yet)" "$tmp/boot-first.err" ||
    fail "boot-first: $(cat "$tmp/boot-first.err")"
  grep -q "^fastboot: image used: .*(random base for this boot, relocated copy used)" "$tmp/boot-later.err" ||
    fail "boot-later: $(cat "$tmp/boot-later.err")"
  grep -q "^fastboot: image used: .*(relocated)" "$tmp/random.err" || fail "randomized: $(cat "$tmp/random.err")"
fi
grep -q "^fastboot: image not used: disabled by FASTBOOT_DISABLE" "$tmp/unbaked.err" && fail "FASTBOOT_LOG leaked into the unbaked run"
# A damaged image is never used: flip the header's arena_size and expect the initializers.
hex=$(readelf -SW "$exe" | sed -n 's/.*\] \.fastboot  *PROGBITS  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1/p')
[ -n "$hex" ] || fail "no .fastboot section in $exe"
offset=$((16#$hex))
cp "$exe" "$tmp/damaged"
printf '\xff' | dd of="$tmp/damaged" bs=1 seek=$((offset + 41)) conv=notrunc status=none
FASTBOOT_LOG=1 "${emulator[@]}" "$tmp/damaged" >"$tmp/damaged.out" 2>"$tmp/damaged.err" || fail "damaged image: exited $?"
grep -v '^status:' "$tmp/damaged.out" | diff -u "$expected" - || fail "damaged image: output differs"
grep -qx "status: baked=0 inits=$roots" "$tmp/damaged.out" || fail "damaged image: $(grep status: "$tmp/damaged.out")"
grep -q "^fastboot: image not used: header checksum mismatch" "$tmp/damaged.err" || fail "damaged: $(cat "$tmp/damaged.err")"
if [ "${ADDRESS_STABLE:-0}" = 1 ]; then
  echo "ok: $(basename "$exe"): same output unbaked, baked, and with the image refused at a random base, at a random base per boot, with its base taken and damaged; $roots initializer(s) skipped when baked"
else
  echo "ok: $(basename "$exe"): same output unbaked, baked, relocated, at a random base per boot and with a damaged image; $roots initializer(s) skipped when baked"
fi
