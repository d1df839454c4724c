#!/usr/bin/env bash
# check-cxx-standard.sh <include-dir> <compiler>...
# A translation unit compiled as C++14 or C++11 that includes fastboot.hpp and uses a root gets
# exactly one error, and it names C++17 (not a cascade from inside the header); as C++17 it compiles.
set -euo pipefail
include=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/old.cc" <<'CC'
#include <fastboot/fastboot.hpp>
#include <string>
static fastboot::root<std::string> name{"name", [] { return std::string("fastboot"); }};
static fastboot::frozen<int> count{"count", [] { return 3; }};
int main() { return int(name->size()) + *count + int(name.get()->size()) + (fastboot::baked() ? 1 : 0); }
CC
for cxx in "$@"; do
  for std in c++11 c++14 gnu++14; do
    if "$cxx" -std=$std -fsyntax-only -I"$include" "$tmp/old.cc" 2>"$tmp/err"; then
      echo "FAIL: $cxx -std=$std compiled fastboot.hpp" >&2; exit 1
    fi
    errors=$(grep -c "error:" "$tmp/err" || true)
    [ "$errors" = 1 ] || { echo "FAIL: $cxx -std=$std: $errors errors, expected one:" >&2; cat "$tmp/err" >&2; exit 1; }
    grep -q "error:.*needs C++17 or later" "$tmp/err" || { echo "FAIL: $cxx -std=$std: the error does not name C++17:" >&2; cat "$tmp/err" >&2; exit 1; }
  done
  "$cxx" -std=c++17 -fsyntax-only -I"$include" "$tmp/old.cc" || { echo "FAIL: $cxx -std=c++17 did not compile it" >&2; exit 1; }
  echo "ok: $cxx: one error naming C++17 under -std=c++11, c++14 and gnu++14; compiles as C++17"
done
