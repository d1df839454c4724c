#!/usr/bin/env bash
# check.sh <fastboot-bake> <unbaked> <baked> <baked COMPRESS> <with frozen roots>
# check.sh --planted <fastboot-bake> <unbaked> <source>
#
# A random program (generate.py) prints one digest line per part of its roots. The unbaked
# program prints the same lines twice; the baked one prints exactly those lines, with no
# initializer run, at the preferred base, relocated, at a random base per boot (first and later
# start), and compressed (filled on first touch where the kernel allows, and up front), moved or
# not; `fastboot-bake verify` accepts both images; two bakes of the program write the same bytes.
# With frozen roots, the first run freezes every root (FASTBOOT_FREEZE=sync) and the next one
# maps each from the cache, both printing the same lines.
# With --planted, the program holds a part that cannot be baked: it runs unbaked, and the bake
# fails with the cause its header names ("// expect: <regular expression>").
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

if [ "$1" = --planted ]; then
  baker=$2 unbaked=$3 source=$4
  expect=$(sed -n 's|^// expect: ||p' "$source")
  [ -n "$expect" ] || fail "$source names no expected error"
  "$unbaked" >"$tmp/out" 2>"$tmp/err" || fail "unbaked run exited $?: $(cat "$tmp/err")"
  grep -q '^status: baked=0' "$tmp/out" || fail "unbaked: $(tail -1 "$tmp/out")"
  "$baker" bake "$unbaked" -o "$tmp/image.o" >"$tmp/bake" 2>&1
  status=$?
  [ "$status" -eq 1 ] || { cat "$tmp/bake"; fail "the bake exited $status, expected 1"; }
  [ ! -e "$tmp/image.o" ] || fail "a failed bake wrote an image object"
  grep -Eq -- "$expect" "$tmp/bake" || { cat "$tmp/bake"; fail "no line of the bake's output matches: $expect"; }
  echo "ok: $(basename "$unbaked"): refused as planted ($(sed -n 's|^// planted: ||p' "$source"))"
  exit 0
fi

baker=$1 unbaked=$2 baked=$3 compressed=$4 frozen=$5
# run <name> <program> [VAR=value...]: its digest lines in $tmp/<name>, its status line checked.
run() {
  local name=$1 exe=$2; shift 2
  env FASTBOOT_LOG=1 "$@" "$exe" >"$tmp/$name.out" 2>"$tmp/$name.err" || fail "$name: exited $?: $(cat "$tmp/$name.err")"
  grep -v '^status:' "$tmp/$name.out" >"$tmp/$name"
}
# differs <name>: the first lines where <name>'s full walk departs from the unbaked program's.
differs() {
  local name=$1 exe=$2; shift 2
  echo "--- $name against unbaked (FUZZ_DIGEST=full, first differences):" >&2
  FUZZ_DIGEST=full "$unbaked" >"$tmp/full.unbaked" 2>/dev/null
  env FUZZ_DIGEST=full "$@" "$exe" >"$tmp/full.$name" 2>/dev/null
  diff "$tmp/full.unbaked" "$tmp/full.$name" | head -20 >&2
  fail "$name: the digest differs from the unbaked program's: $(diff "$tmp/unbaked" "$tmp/$name" | grep '^>' | head -3 | tr '\n' ' ')"
}

run unbaked "$unbaked"
run unbaked-again "$unbaked"
cmp -s "$tmp/unbaked" "$tmp/unbaked-again" || fail "the unbaked program prints different digests in two runs (generate.py wrote a program that depends on addresses or timing)"
inits=$(sed -n 's/^status: baked=0 inits=\([0-9]*\)$/\1/p' "$tmp/unbaked.out")
[ -n "$inits" ] || fail "unbaked: $(tail -1 "$tmp/unbaked.out")"

mkdir -m 700 "$tmp/run"
modes=(
  "disabled $baked FASTBOOT_DISABLE=1"
  "baked $baked FASTBOOT_VERIFY=1"
  "relocated $baked FASTBOOT_RANDOMIZE=1"
  "boot-first $baked FASTBOOT_RANDOMIZE=boot XDG_RUNTIME_DIR=$tmp/run"
  "boot-later $baked FASTBOOT_RANDOMIZE=boot XDG_RUNTIME_DIR=$tmp/run"
  "compressed $compressed"
  "compressed-eager $compressed FASTBOOT_LAZY=0"
  "compressed-relocated $compressed FASTBOOT_RANDOMIZE=1"
  "compressed-relocated-eager $compressed FASTBOOT_RANDOMIZE=1 FASTBOOT_LAZY=0"
)
for mode in "${modes[@]}"; do
  read -r -a m <<<"$mode"
  name=${m[0]} exe=${m[1]}
  run "$name" "$exe" "${m[@]:2}"
  cmp -s "$tmp/unbaked" "$tmp/$name" || differs "$name" "$exe" "${m[@]:2}"
  if [ "$name" = disabled ]; then
    grep -qx "status: baked=0 inits=$inits" "$tmp/$name.out" || fail "$name: $(tail -1 "$tmp/$name.out")"
    continue
  fi
  grep -qx "status: baked=1 inits=0" "$tmp/$name.out" || fail "$name: $(tail -1 "$tmp/$name.out"): $(cat "$tmp/$name.err")"
  grep -q "^fastboot: image used" "$tmp/$name.err" || fail "$name: $(cat "$tmp/$name.err")"
done
grep -q "(preferred base)" "$tmp/baked.err" || fail "baked: $(cat "$tmp/baked.err")"
grep -q "(relocated)" "$tmp/relocated.err" || fail "relocated: $(cat "$tmp/relocated.err")"
grep -q "relocated copy written" "$tmp/boot-first.err" || fail "boot-first: $(cat "$tmp/boot-first.err")"
grep -q "relocated copy used" "$tmp/boot-later.err" || fail "boot-later: $(cat "$tmp/boot-later.err")"
grep -q "arena decompressed" "$tmp/compressed-eager.err" || fail "compressed-eager: $(cat "$tmp/compressed-eager.err")"

mkdir -m 700 "$tmp/cache"
run frozen-first "$frozen" FASTBOOT_CACHE_DIR="$tmp/cache" FASTBOOT_FREEZE=sync
run frozen-later "$frozen" FASTBOOT_CACHE_DIR="$tmp/cache"
for name in frozen-first frozen-later; do
  cmp -s "$tmp/unbaked" "$tmp/$name" || differs "$name" "$frozen" FASTBOOT_CACHE_DIR="$tmp/cache"
done
# Every root is frozen, but for what the freezer is known not to do yet (docs/design.md): restore
# a function-local static the initializer constructed, or freeze a value whose initializer read
# a file of /proc (TBB reads /proc/meminfo), which it cannot watch for changes. Those roots run
# their initializers, and print the same lines all the same.
known='not frozen: (root .* points to .* in the program, which the bake itself initialized|the initializer read /proc/[^ ]*, whose changes a later run cannot see)'
refused=$(grep -Ec "^fastboot: frozen root .*$known" "$tmp/frozen-first.err")
frozen_roots=$(grep -c "^fastboot: frozen root .*image written" "$tmp/frozen-first.err")
[ $((frozen_roots + refused)) = "$inits" ] ||
  fail "frozen-first: $frozen_roots of $inits roots frozen: $(grep '^fastboot: frozen root' "$tmp/frozen-first.err" | grep -v 'image written' | tr '\n' ' ')"
# A later run may also not use an image because a thread pool's own workers (TBB's) changed the
# library's data after an earlier root's initializer returned, which the watch of the state main
# set cannot tell from main's doing (docs/design.md); those roots run their initializers.
used=$(grep -c "^fastboot: frozen root .*: image used" "$tmp/frozen-later.err")
pool=$(grep -Ec "^fastboot: frozen root .*: image not used \(main set other state .* the first at libtbb" "$tmp/frozen-later.err")
[ $((used + pool)) = "$frozen_roots" ] ||
  fail "frozen-later: $used of $frozen_roots frozen roots mapped: $(cat "$tmp/frozen-later.err")"

"$baker" verify "$baked" >"$tmp/verify" 2>&1 || fail "verify: $(cat "$tmp/verify")"
"$baker" verify "$compressed" >"$tmp/verify" 2>&1 || fail "verify (compressed): $(cat "$tmp/verify")"
for n in 1 2; do
  "$baker" bake "$unbaked" -o "$tmp/bake$n.o" >"$tmp/bake$n.log" 2>&1 || fail "bake $n: $(cat "$tmp/bake$n.log")"
done
cmp -s "$tmp/bake1.o" "$tmp/bake2.o" || fail "two bakes of $(basename "$unbaked") wrote different images"
echo "ok: $(basename "$baked"): $(wc -l <"$tmp/unbaked") parts, $inits roots: the same digests unbaked, baked in ${#modes[@]} modes and frozen (first and later run; $refused of $inits roots not frozen for a known reason); two bakes byte-identical"
