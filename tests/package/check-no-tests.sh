#!/usr/bin/env bash
# check-no-tests.sh <fastboot-source> <scratch-build-dir>
# Configures fastboot with -DBUILD_TESTING=OFF, as a packager would, and expects no tests.
set -euo pipefail
src=$1 dir=$2
rm -rf "$dir"
cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >"$dir.log" 2>&1 || { cat "$dir.log"; exit 1; }
grep -q "FASTBOOT_BUILD_TESTS:BOOL=OFF" "$dir/CMakeCache.txt" || { echo "FAIL: FASTBOOT_BUILD_TESTS is not OFF" >&2; exit 1; }
count=$(cd "$dir" && ctest -N | sed -n 's/^Total Tests: //p')
[ "${count:-0}" = 0 ] || { echo "FAIL: $count tests configured with BUILD_TESTING=OFF" >&2; exit 1; }
rm -rf "$dir" "$dir.log"
echo "ok: BUILD_TESTING=OFF configures no tests"
