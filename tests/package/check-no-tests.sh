#!/usr/bin/env bash
# check-no-tests.sh <fastboot-source> <scratch-build-dir>
# CTest's switch: -DBUILD_TESTING=OFF configures no tests, on a new build tree as a packager
# would, and on a tree already configured with the tests (the cache must not keep them on);
# -DBUILD_TESTING=ON brings them back.
set -euo pipefail
src=$1 dir=$2
fail() { echo "FAIL: $*" >&2; cat "$dir.log" >&2; exit 1; }
count() { (cd "$dir" && ctest -N | sed -n 's/^Total Tests: //p'); }
configure() { cmake -S "$src" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >"$dir.log" 2>&1 || fail "configure $*"; }

rm -rf "$dir"
configure -DBUILD_TESTING=OFF
[ "$(count)" = 0 ] || fail "$(count) tests configured on a new tree with BUILD_TESTING=OFF"

rm -rf "$dir"
configure
with=$(count)
[ "${with:-0}" -gt 0 ] || fail "no tests configured by default"
configure -DBUILD_TESTING=OFF
[ "$(count)" = 0 ] || fail "$(count) tests still configured after reconfiguring with BUILD_TESTING=OFF"
configure -DBUILD_TESTING=ON
[ "$(count)" = "$with" ] || fail "$(count) tests after BUILD_TESTING=ON, expected $with"
rm -rf "$dir" "$dir.log"
echo "ok: BUILD_TESTING=OFF configures no tests, on a new tree and on one configured with them ($with tests)"
