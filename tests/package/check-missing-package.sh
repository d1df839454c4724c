#!/usr/bin/env bash
# check-missing-package.sh <fastboot-source> <scratch-build-dir>
# A build machine without LZ4's static library: the configure error names the Debian package.
# The cache names a liblz4.a that is not there, as after the package was removed (a machine that
# never had it fails the same check: find_library leaves the variable NOTFOUND).
set -euo pipefail
src=$1 dir=$2
rm -rf "$dir"
if cmake -S "$src" -B "$dir" -G Ninja -DBUILD_TESTING=OFF -DFASTBOOT_LZ4_ARCHIVE="$dir/removed/liblz4.a" >"$dir.log" 2>&1; then
  echo "FAIL: configured without liblz4.a" >&2; cat "$dir.log" >&2; exit 1
fi
tr -s ' \n' ' ' <"$dir.log" | grep -q "fastboot needs LZ4's static library liblz4.a.*(Debian: liblz4-dev)" || { echo "FAIL: the error does not name liblz4-dev:" >&2; cat "$dir.log" >&2; exit 1; }
rm -rf "$dir" "$dir.log"
echo "ok: without liblz4.a, configuring fails and names liblz4-dev"
