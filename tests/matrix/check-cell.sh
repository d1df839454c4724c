#!/usr/bin/env bash
# check-cell.sh <installed-prefix> <work-dir> <generator> <c++ compiler> <cxx flags> <link flags> [cmake args...]
# One cell of the matrix: configures tests/matrix/project against the installed fastboot with
# this compiler, standard library, linker and generator, builds it Release (no -g), and checks
# the baked program as tests/e2e/check-baked.sh does (unbaked, baked, relocated, damaged image),
# that `fastboot-bake verify` accepts it, and that the image names the expected linker's output.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=$1 work=$2 generator=$3 cxx=$4 cxxflags=$5 ldflags=$6; shift 6
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -40 "$f" >&2; done; exit 1; }
rm -rf "$work" && mkdir -p "$work"
cmake -S "$here/project" -B "$work/build" -G "$generator" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$cxxflags" -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
  -DCMAKE_BUILD_TYPE=Release "$@" >"$work/configure.log" 2>&1 || fail "configure"
cmake --build "$work/build" --config Release >"$work/build.log" 2>&1 || fail "build"
grep -q "fastboot-bake: baked 2 roots of app" "$work/build.log" || fail "the build did not bake"
app=$(find "$work/build" -name app -type f -perm -u+x | head -1)
[ -n "$app" ] || fail "no app built"
# The linker and standard library the cell asked for are the ones that made the program.
# (Whole outputs in variables: grep -q closing a pipe early would fail it under pipefail.)
sections=$(readelf -SW "$app") comment=$(readelf -p .comment "$app" 2>/dev/null) libs=$(ldd "$app")
linker=bfd
[[ $sections == *.note.gnu.gold-version* ]] && linker=gold
[[ $comment == *LLD* ]] && linker=lld
[[ $comment == *mold* ]] && linker=mold
[ "$linker" = "${EXPECT_LINKER:-bfd}" ] || fail "linked by $linker, expected ${EXPECT_LINKER:-bfd}"
stdlib=libstdc++
[[ $libs == *libc++.so* ]] && stdlib=libc++
[ "$stdlib" = "${EXPECT_STDLIB:-libstdc++}" ] || fail "uses $stdlib, expected ${EXPECT_STDLIB:-libstdc++}"
"$here/../e2e/check-baked.sh" "$app" "$here/app.expected" 2 || fail "baked app"
"$prefix/bin/fastboot-bake" verify "$app" >"$work/verify.log" 2>&1 || fail "verify"
# The frozen root: frozen on the first run (the freezer linked into this configuration's
# program), mapped on the second, the same output both times.
frozen_app=$(find "$work/build" -name frozen_app -type f -perm -u+x | head -1)
mkdir -m 700 "$work/cache"
first=$(FASTBOOT_CACHE_DIR="$work/cache" FASTBOOT_FREEZE=sync FASTBOOT_LOG=1 "$frozen_app" 2>"$work/frozen-first.log") || fail "frozen_app"
second=$(FASTBOOT_CACHE_DIR="$work/cache" FASTBOOT_LOG=1 "$frozen_app" 2>"$work/frozen-second.log") || fail "frozen_app, second run"
grep -q "froze it: image written" "$work/frozen-first.log" || fail "frozen_app was not frozen"
grep -q "image used" "$work/frozen-second.log" || fail "frozen_app's image was not used"
[ "$first" = "${second/initializer runs 0/initializer runs 1}" ] && [[ $second == *"initializer runs 0"* ]] ||
  fail "frozen_app: '$first' then '$second'"
echo "ok: $generator, $cxx, $stdlib, linked by $linker: built Release, baked, verified, same output; frozen root frozen and mapped"
