#!/usr/bin/env bash
# check-cross.sh <fastboot-source> <installed-prefix> <work-dir>
# A cross build for aarch64 (cmake/toolchains/aarch64-linux-gnu.cmake), as docs/cross.md tells a
# user to make one: fastboot's runtime built for aarch64 and installed beside the build machine's
# baker; the matrix's outside project and a set of e2e programs configured with the same
# toolchain file, baked by running them under qemu-user, then run under it as check-baked.sh
# runs every e2e program (unbaked, baked, relocated, at a random base per boot, damaged). Also:
# `verify` of an aarch64 program, two bakes byte-identical, a start in a 39-bit address space
# (the image relocated below 2^39) and a bake there (refused, saying why), the frozen root (frozen where the emulator lets the program
# run itself again; otherwise the log must say why not), and a pointer into memory allocated
# before the bake refused although the emulator puts it at the same address in both runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source=$1 prefix=$2 work=$3
toolchain=$source/cmake/toolchains/aarch64-linux-gnu.cmake
baker=$prefix/bin/fastboot-bake
emulator=qemu-aarch64-static
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -40 "$f" >&2; done; exit 1; }
rm -rf "$work" && mkdir -p "$work"
for tool in aarch64-linux-gnu-g++ qemu-aarch64-static; do
  command -v $tool >/dev/null || fail "$tool is not installed (scripts/setup installs it)"
done

# The runtime for aarch64: no baker, no tests, no samples when cross-compiling.
cmake -S "$source" -B "$work/runtime" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
  -DFASTBOOT_BAKE_EXECUTABLE="$baker" >"$work/runtime-configure.log" 2>&1 || fail "configure the aarch64 runtime"
cmake --build "$work/runtime" >"$work/runtime-build.log" 2>&1 || fail "build the aarch64 runtime"
cmake --install "$work/runtime" --prefix "$work/prefix" >"$work/runtime-install.log" 2>&1 || fail "install"
[ ! -e "$work/prefix/bin/fastboot-bake" ] || fail "a cross build installed a baker"
# (Whole outputs in variables: grep -q closing a pipe early would fail it under pipefail.)
headers=$(readelf -h "$work/prefix/lib/libfastboot-runtime.a")
[[ $headers == *AArch64* && $headers != *X86-64* ]] || fail "the runtime is not for aarch64"

# The outside project, as check-cell.sh builds it natively. The installed runtime has no baker:
# its package finds the build machine's on the PATH.
PATH=$prefix/bin:$PATH cmake -S "$here/project" -B "$work/app" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >"$work/app-configure.log" 2>&1 || fail "configure the project"
cmake --build "$work/app" >"$work/app-build.log" 2>&1 || fail "build the project"
grep -q "fastboot-bake: baked 2 roots of app" "$work/app-build.log" || fail "the build did not bake"
app=$work/app/app
headers=$(readelf -h "$app")
[[ $headers == *AArch64* ]] || fail "app is not an aarch64 program"
EMULATOR=$emulator "$source/tests/e2e/check-baked.sh" "$app" "$here/app.expected" 2 || fail "baked app"
"$baker" verify "$app" >"$work/verify.log" 2>&1 || fail "verify"
# Reproducible: the same program baked twice gives the same bytes (bake reruns the baked program,
# whose runtime bakes it as it did the unbaked one).
BAKE_FLAGS="--emulator $emulator" \
  "$source/tests/trust/check-reproducible.sh" "$baker" "$app" >"$work/reproducible.log" 2>&1 || fail "reproducible"
# A kernel with a 39-bit address space (QEMU_RESERVED_VA gives the program 512 GiB): the preferred
# base is out of reach, so the image is relocated where the kernel maps it.
out=$(QEMU_RESERVED_VA=0x8000000000 FASTBOOT_LOG=1 $emulator "$app" 2>"$work/va39.err") || fail "39-bit run exited $?"
[ "$(grep -v '^status:' <<<"$out")" = "$(cat "$here/app.expected")" ] || fail "39-bit run: other output"
grep -q "status: baked=1 inits=0" <<<"$out" || fail "39-bit run: $(grep status: <<<"$out")"
grep -Eq "^fastboot: image used: .* at 0x[0-7]?[0-9a-f]{1,9} \(relocated\)" "$work/va39.err" || fail "39-bit run: $(cat "$work/va39.err")"
# Without the emulator, the bake says the program is for another machine.
"$source/tests/bake-errors/expect-bake-error.sh" "$baker" "$app" \
  "error: .*app: the program is for aarch64 and this machine is x86-64; a bake runs it, so it needs an emulator: --emulator qemu-aarch64-static" \
  >"$work/no-emulator.log" 2>&1 || fail "bake without an emulator: $(cat "$work/no-emulator.log")"
# ... where a bake cannot map its arenas, and says why.
QEMU_RESERVED_VA=0x8000000000 BAKE_FLAGS="--emulator $emulator" "$source/tests/bake-errors/expect-bake-error.sh" \
  "$baker" "$app" "error: .*: cannot map the arena at 7e8100000000: .* \(taken, or past the end of this machine's address space: an aarch64 kernel with 39-bit virtual addresses has none there, and cannot bake" \
  >"$work/va39-bake.log" 2>&1 || fail "39-bit bake: $(cat "$work/va39-bake.log")"

# The frozen root: the same output either way; frozen where the program can execute itself under
# the emulator (binfmt_misc knows qemu), and otherwise the log says why it was not.
frozen_app=$work/app/frozen_app
mkdir -m 700 "$work/cache"
first=$(FASTBOOT_CACHE_DIR="$work/cache" FASTBOOT_FREEZE=sync FASTBOOT_LOG=1 $emulator "$frozen_app" 2>"$work/frozen-first.log") || fail "frozen_app"
second=$(FASTBOOT_CACHE_DIR="$work/cache" FASTBOOT_LOG=1 $emulator "$frozen_app" 2>"$work/frozen-second.log") || fail "frozen_app, second run"
if [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  grep -q "froze it: image written" "$work/frozen-first.log" || fail "frozen_app was not frozen"
  grep -q "image used" "$work/frozen-second.log" || fail "frozen_app's image was not used"
  [ "$first" = "${second/initializer runs 0/initializer runs 1}" ] || fail "frozen_app: '$first' then '$second'"
  frozen="frozen and mapped"
else
  grep -q "could not start the freezer: this program could not execute itself again .*without binfmt_misc" \
    "$work/frozen-first.log" || fail "frozen_app: $(cat "$work/frozen-first.log")"
  [ "$first" = "$second" ] || fail "frozen_app: '$first' then '$second'"
  frozen="not frozen under qemu without binfmt_misc, and the log says so"
fi

# e2e programs, and a bake that must fail.
PATH=$prefix/bin:$PATH cmake -S "$here/cross" -B "$work/e2e" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >"$work/e2e-configure.log" 2>&1 || fail "configure the e2e programs"
cmake --build "$work/e2e" >"$work/e2e-build.log" 2>&1 || fail "build the e2e programs"
cd "$source/tests/e2e/data"
for name in containers vtables tagged dead-bytes full-vector threads parallel static-init functions containers-lz4 \
            parallel-static virtuals-no-pie address-keyed; do
  log="" stable=0
  # 60,000 objects with vtables point at the image's vtable copies (R_AARCH64_RELATIVE read):
  # startup writes only the copies' entries. A non-PIE program's are stored applied.
  [ $name = vtables ] && log=" [0-9]{1,3} module relocations"
  [ $name = virtuals-no-pie ] && log="0 by symbol, [1-9][0-9]* stored applied"
  [ $name = address-keyed ] && stable=1
  expected=${name%-lz4} expected=${expected%-static} expected=${expected%-no-pie}
  BAKED_LOG=$log ADDRESS_STABLE=$stable EMULATOR=$emulator "$source/tests/e2e/check-baked.sh" "$work/e2e/$name" \
    "$source/tests/e2e/$expected.expected" 1 || fail "$name"
done
BAKE_FLAGS="--emulator $emulator" \
  "$source/tests/bake-errors/expect-bake-error.sh" "$baker" "$work/e2e/before-bake" \
  "error: root 'holder': word at offset 0 .* cannot be relocated: (0x[0-9a-f]+) in the first bake run, \\1 in the second; it is a pointer into memory the initializers did not allocate .*\\(it is the same address in both bake runs, since this memory was not moved between them, as under an emulator: it was told from a number by its range\\)" \
  >"$work/before-bake.log" 2>&1 || fail "before-bake: $(cat "$work/before-bake.log")"
BAKE_FLAGS="--emulator $emulator" "$source/tests/bake-errors/expect-bake-error.sh" "$baker" "$work/e2e/arena-full" \
  "^fastboot: bake: the arena is full: the region of a thread the initializers started, 64 MiB, has no room for 104857600 more bytes \(a smaller arena, as under an emulator: docs/cross.md\)" \
  "error: .*root 'big': the initializer crashed with signal 6" \
  >"$work/arena-full.log" 2>&1 || fail "arena-full: $(cat "$work/arena-full.log")"
echo "ok: aarch64 under qemu: runtime cross-built; app and 13 e2e programs (PIE, static, non-PIE, address-stable) baked, run unbaked, baked, relocated," \
     "at a random base per boot, damaged, in a 39-bit address space (where a bake fails, saying why); verified; reproducible; frozen root $frozen;" \
     "a pointer into memory from before the bake refused; a full arena said so"
