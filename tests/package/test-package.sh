#!/usr/bin/env bash
# test-package.sh <fastboot-build-dir> <consumer-source-dir>
# Installs fastboot, builds a separate project with find_package + fastboot_bake, and checks:
# the output is baked; a change to a DEPENDS file rebakes; an unchanged tree rebuilds nothing;
# a failed bake fails the build and leaves no executable behind; a target linked with the plain
# signature of target_link_libraries bakes; a program with only frozen roots links the runtime.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; for f in "$tmp"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 || fail "install"
cp -r "$src" "$tmp/consumer"
cmake -S "$tmp/consumer" -B "$tmp/b" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/configure.log" 2>&1 || fail "configure"

cmake --build "$tmp/b" >"$tmp/build1.log" 2>&1 || fail "first build"
grep -q "fastboot-bake: baked 2 roots of app" "$tmp/build1.log" || fail "first build did not bake"
grep -q "the initializers read files: .*extra.txt" "$tmp/build1.log" || fail "the audit did not list extra.txt"
out=$(FASTBOOT_LOG=1 "$tmp/b/app" 2>"$tmp/run1.log")
[ "$out" = "3 words, last 'cherry', extra 'first', baked" ] || fail "baked app printed: $out"
grep -q "fastboot: image used" "$tmp/run1.log" || fail "image not used"
grep -q "fastboot-bake: baked 2 roots of plain" "$tmp/build1.log" || fail "the target linked with the plain signature was not baked"
out=$("$tmp/b/plain")
[ "$out" = "3 words, last 'cherry', extra 'first', baked" ] || fail "plain printed: $out"
# Frozen roots only: the first run writes the image (sync), the second maps it.
mkdir -m 700 "$tmp/cache"
out=$(FASTBOOT_CACHE_DIR=$tmp/cache FASTBOOT_FREEZE=sync "$tmp/b/notes") || fail "notes exited $?"
[ "$out" = "3 words, last 'cherry'" ] || fail "notes printed: $out"
out=$(FASTBOOT_CACHE_DIR=$tmp/cache FASTBOOT_LOG=1 "$tmp/b/notes" 2>"$tmp/notes.log") || fail "notes exited $?"
[ "$out" = "3 words, last 'cherry'" ] || fail "notes printed: $out"
grep -q "image used" "$tmp/notes.log" || fail "the frozen root's image was not used: $(cat "$tmp/notes.log")"

echo "damson" >>"$tmp/consumer/words.txt"
cmake --build "$tmp/b" >"$tmp/build2.log" 2>&1 || fail "rebuild"
grep -q "fastboot-bake: baked 2 roots of app" "$tmp/build2.log" || fail "changing a DEPENDS file did not rebake"
out=$("$tmp/b/app")
[ "$out" = "4 words, last 'damson', extra 'first', baked" ] || fail "rebaked app printed: $out"

# A file the initializer read, found by the bake audit (not in DEPENDS), rebakes too.
echo "second" >"$tmp/consumer/extra.txt"
cmake --build "$tmp/b" >"$tmp/build3.log" 2>&1 || fail "rebuild after extra.txt"
grep -q "fastboot-bake: baked 2 roots of app" "$tmp/build3.log" || fail "changing an audited file did not rebake"
out=$("$tmp/b/app")
[ "$out" = "4 words, last 'damson', extra 'second', baked" ] || fail "app after extra.txt printed: $out"

cmake --build "$tmp/b" >"$tmp/build4.log" 2>&1 || fail "no-op build"
grep -q "no work to do" "$tmp/build4.log" || fail "an unchanged tree was rebuilt"

if cmake --build "$tmp/b" --target broken >"$tmp/broken.log" 2>&1; then fail "the broken bake did not fail the build"; fi
grep -q "root 'broken': the initializer threw an exception: cannot reach the server" "$tmp/broken.log" || fail "no error text"
[ ! -e "$tmp/b/broken" ] || fail "a failed bake left an executable behind"
ls "$tmp/b" | grep -Eq "fastboot-unbaked|fastboot\.o" && fail "a failed bake left files behind: $(ls "$tmp/b")"
echo "ok: installed package builds, bakes, rebakes on DEPENDS and on audited files, and fails cleanly"
