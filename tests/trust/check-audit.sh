#!/usr/bin/env bash
# check-audit.sh <fastboot-bake> <program>: the bake lists what the initializers read.
set -u
baker=$1 exe=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$baker" bake "$exe" -o "$tmp/image.o" >"$tmp/out" 2>&1 || { cat "$tmp/out"; echo "FAIL: bake failed" >&2; exit 1; }
cat "$tmp/out"
for line in "the initializers read files: .*/etc/hostname" \
            "the initializers read files: .*/etc/os-release" \
            "the initializers read environment variables: FASTBOOT_AUDIT_TEST_VARIABLE" \
            "the initializers read time: time\(\)" \
            "the initializers read randomness: getrandom\(\)"; do
  grep -Eq "fastboot-bake: note: $line" "$tmp/out" || { echo "FAIL: no note matching: $line" >&2; exit 1; }
done
echo "ok: the audit lists the files (one read by a thread the initializer started), the variable, the clock and the entropy"
