#!/usr/bin/env bash
# run-workflow.sh <fastboot-source-dir>
# Runs the steps of docs/ci/bake.yml, as GitHub Actions would, on a copy of docs/ci/example with
# this fastboot as its third_party/fastboot submodule, three times:
#   1. the first release: nothing to compare with; its bake-report.json is published;
#   2. a change that keeps the heap: the comparison passes;
#   3. a change that doubles the words file: the comparison fails the job (MAX_GROWTH).
# Not run: the package install (needs root and the network: scripts/setup installs the same
# tools), `uses:` actions (checkout is the copy; the artifact upload is checked as files), and
# steps for the release event (they need GitHub).
set -uo pipefail
src=$(cd "$1" && pwd)
workflow=$src/docs/ci/bake.yml
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

repo=$tmp/repo
cp -r "$src/docs/ci/example" "$repo"
mkdir -p "$repo/third_party" && ln -s "$src" "$repo/third_party/fastboot"
# The releases of "example/app", served from files: curl reads file:// URLs.
export GITHUB_SERVER_URL="file://$tmp/github" GITHUB_REPOSITORY=example/app GITHUB_EVENT_NAME=push
release=$tmp/github/example/app/releases/latest/download

python3 "$src/tests/ci/workflow.py" "$workflow" bake >"$tmp/job.json" || fail "cannot read $workflow"

# run_job <name>: runs the job's steps in $repo; returns the failing step's number, or 0.
run_job() {
  local name=$1 count i
  count=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["steps"]))' "$tmp/job.json")
  for ((i = 0; i < count; ++i)); do
    python3 - "$tmp/job.json" "$i" >"$tmp/step.sh" <<'PY'
import json, shlex, sys
job = json.load(open(sys.argv[1]))
step = job["steps"][int(sys.argv[2])]
skip = ("uses" in step or step.get("id") == "packages" or "if" in step)
print("# " + (step.get("name") or step.get("uses") or "step"))
if skip:
    print("exit 0")
else:
    for k, v in {**job["env"], **(step.get("env") or {})}.items():
        print(f"export {k}={shlex.quote(str(v))}")
    print(step["run"])
PY
    echo "=== $name: $(head -1 "$tmp/step.sh" | cut -c3-)" >>"$tmp/$name.log"
    (cd "$repo" && bash -e "$tmp/step.sh") >>"$tmp/$name.log" 2>&1 || { echo $((i + 1)); return; }
  done
  echo 0
}
step_named() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["steps"][int(sys.argv[2]) - 1].get("name"))' "$tmp/job.json" "$1"; }

failed=$(run_job release)
[ "$failed" = 0 ] || fail "first run: step $failed ($(step_named "$failed")) failed: $(tail -30 "$tmp/release.log")"
grep -q "fastboot-bake: baked 1 root of app" "$tmp/release.log" || fail "the build did not bake: $(tail -30 "$tmp/release.log")"
grep -q "build/app: image ok" "$tmp/release.log" || fail "verify did not pass"
grep -q "no release with a bake report yet" "$tmp/release.log" || fail "the first run compared with something"
for f in bake-report.json bake-report.html; do [ -s "$repo/$f" ] || fail "no $f for the artifact"; done
[ "$("$repo/build/app")" = "3000 words, baked: 1" ] || fail "the program printed: $("$repo/build/app")"
mkdir -p "$release" && cp "$repo/bake-report.json" "$release/"

# A fresh checkout of a change that keeps the heap (fastboot's own build is kept, as a cache would).
rm -rf "$repo/build" "$repo/bake-report."*
echo "// a comment" >>"$repo/app.cc"
failed=$(run_job same)
[ "$failed" = 0 ] || fail "unchanged heap: step $failed ($(step_named "$failed")) failed: $(tail -30 "$tmp/same.log")"
grep -q "root 'index': .* (0 B, +0.0%)" "$tmp/same.log" || fail "no comparison with the release: $(tail -30 "$tmp/same.log")"

# A change that doubles the index: the comparison stops the job.
rm -rf "$repo/build" "$repo/bake-report."*
sed 's/$/s/' "$repo/data/words.txt" >"$tmp/more.txt" && cat "$tmp/more.txt" >>"$repo/data/words.txt"
failed=$(run_job grown)
[ "$failed" != 0 ] || fail "a doubled heap passed the workflow"
[ "$(step_named "$failed")" = "Compare with the last release" ] || fail "step $failed ($(step_named "$failed")) failed: $(tail -30 "$tmp/grown.log")"
grep -q "root 'index' grew by [0-9.]*%.*more than --max-growth 10%" "$tmp/grown.log" || fail "no growth message: $(tail -30 "$tmp/grown.log")"
echo "ok: the workflow's steps build, bake, verify, report, and stop a heap that doubled"
