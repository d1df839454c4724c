#!/usr/bin/env bash
# run-fuzzer.sh <fuzzer> <seed-corpus> <seconds>: fuzz for a bounded time from the seeds (in
# a scratch copy, so the repository's corpus only changes by hand) and report the executions.
set -u
fuzzer=$1 seeds=$2 seconds=$3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp "$seeds"/* "$tmp"/
"$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$tmp/" "$tmp" >"$tmp/log" 2>&1
status=$?
grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$tmp/log"
if [ $status -ne 0 ]; then
  tail -40 "$tmp/log"
  ls "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* 2>/dev/null
  echo "FAIL: the fuzzer found a problem" >&2
  exit 1
fi
echo "ok: no crash in $seconds s of fuzzing"
