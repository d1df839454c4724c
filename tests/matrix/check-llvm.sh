#!/usr/bin/env bash
# check-llvm.sh <fastboot-source> <work-dir> <LLVM's lib/cmake/llvm> <major version>
# fastboot built against another LLVM than the suite's (the oldest the baker supports), Release
# with no tests or samples, installed, and used by the matrix's outside project as every cell
# uses the suite's own build (check-cell.sh: baked, relocated, damaged, verified, frozen).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source=$1 work=$2 llvm_dir=$3 major=$4
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -40 "$f" >&2; done; exit 1; }
rm -rf "$work" && mkdir -p "$work"
cmake -S "$source" -B "$work/fastboot" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
  -DFASTBOOT_BUILD_SAMPLES=OFF -DLLVM_DIR="$llvm_dir" >"$work/configure.log" 2>&1 || fail "configure"
grep -q "fastboot: LLVM $major\." "$work/configure.log" || fail "the configure did not pick LLVM $major"
cmake --build "$work/fastboot" >"$work/build.log" 2>&1 || fail "build"
cmake --install "$work/fastboot" --prefix "$work/prefix" >"$work/install.log" 2>&1 || fail "install"
# The baker is LLVM $major's: its static libraries are in it, and no other LLVM is loaded.
if ldd "$work/prefix/bin/fastboot-bake" | grep -q libLLVM; then fail "the baker loads a shared libLLVM"; fi
"$here/check-cell.sh" "$work/prefix" "$work/cell" Ninja g++ "" ""
echo "ok: fastboot built against LLVM $major"
