#!/usr/bin/env bash
# check-randomize-flag.sh <program baked RANDOMIZE> <expected-output>
# An image baked RANDOMIZE is mapped at a random base per boot with nothing in the environment:
# the first start writes the relocated copy, the next maps it at the same base. The environment
# cannot turn it off (FASTBOOT_RANDOMIZE=0), only ask for a random base per process.
set -u
exe=$1 expected=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/run"
run() {  # run <name> [VAR=value...]
  local name=$1; shift
  env -u FASTBOOT_RANDOMIZE XDG_RUNTIME_DIR="$tmp/run" FASTBOOT_LOG=1 "$@" "$exe" >"$tmp/$name" 2>"$tmp/$name.err" ||
    fail "$name: exited $?: $(cat "$tmp/$name.err")"
  grep -v '^status:' "$tmp/$name" | diff -u "$expected" - || fail "$name: output differs"
  grep -qx "status: baked=1 inits=0" "$tmp/$name" || fail "$name: $(grep status: "$tmp/$name")"
}
base() { sed -n 's/.* arena at \(0x[0-9a-f]*\) .*/\1/p' "$tmp/$1.err"; }
run first
grep -q "(random base for this boot, relocated copy written; no copy yet)" "$tmp/first.err" || fail "first: $(cat "$tmp/first.err")"
run later
grep -q "(random base for this boot, relocated copy used)" "$tmp/later.err" || fail "later: $(cat "$tmp/later.err")"
[ "$(base first)" = "$(base later)" ] || fail "later start at $(base later), the copy's base is $(base first)"
run asked-off FASTBOOT_RANDOMIZE=0
grep -q "(random base for this boot, relocated copy used)" "$tmp/asked-off.err" || fail "FASTBOOT_RANDOMIZE=0: $(cat "$tmp/asked-off.err")"
run per-process FASTBOOT_RANDOMIZE=1
grep -q "(relocated)" "$tmp/per-process.err" || fail "FASTBOOT_RANDOMIZE=1: $(cat "$tmp/per-process.err")"
[ "$(base per-process)" != "$(base first)" ] || fail "per-process start at the boot's base"
echo "ok: $(basename "$exe"): baked RANDOMIZE, copy written then used at $(base first); FASTBOOT_RANDOMIZE=0 does not turn it off"
