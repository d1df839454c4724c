#!/usr/bin/env bash
# check-report.sh <fastboot-bake> <mode> <program> [<other program> | <chromium>]
#   inspect   the text report: both roots, types, allocation sites, pointers into the program
#   json      inspect --json follows docs/report.md, and its numbers add up
#   stripped  a stripped copy still carries its report: the same JSON as the original
#   diff      diff against a bake whose 'words' doubled: --max-growth catches it
#   html      the HTML page renders its treemap in headless Chromium, a cell per root
#   progress  a bake's progress: a line per pass in a log, a live line on a terminal
set -u
bake=$1 mode=$2 exe=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
expect() { grep -Eq -- "$1" "$2" || fail "no '$1' in $2: $(head -c 3000 "$2")"; }

case $mode in
inspect)
  "$bake" inspect "$exe" >"$tmp/out" 2>&1 || fail "inspect exited $?: $(cat "$tmp/out")"
  expect "root 'words': [0-9.]+ (KiB|MiB) in [0-9,]+ objects" "$tmp/out"
  expect "root 'shapes': [0-9.]+ MiB in 1,000,00[0-9] objects" "$tmp/out"
  expect "by allocated type" "$tmp/out"
  expect "by allocation site" "$tmp/out"
  expect "make_words" "$tmp/out"
  expect "make_shapes" "$tmp/out"
  # Objects with vtables are named by their vtable, debug information or not.
  expect "^    Square +[0-9.]+ MiB .* 500,000$" "$tmp/out"
  expect "^    Circle +[0-9.]+ MiB .* 500,000$" "$tmp/out"
  expect "largest objects" "$tmp/out"
  # Every shape points at a copy of its class's vtable in the image: startup writes the copies'
  # entries, a handful, not a word per shape.
  expect "root 'shapes'.*pointers into modules: executable [0-9]{1,2}$" "$tmp/out"
  expect "start: [0-9]{1,2} pointers written at every start" "$tmp/out"
  expect "vtable for Square, copied into the image" "$tmp/out"
  expect "bake audit" "$tmp/out"
  ;;
json)
  "$bake" inspect --json "$exe" >"$tmp/report.json" || fail "inspect --json exited $?"
  # Every field docs/report.md documents is in the report, and every field of the report is
  # documented.
  python3 - "$tmp/report.json" "$(dirname "$0")/../../docs/report.md" <<'PY' || fail "docs/report.md and the JSON report disagree"
import json, re, sys
r = json.load(open(sys.argv[1]))
doc = open(sys.argv[2]).read().split("## JSON", 1)[1]
documented = set()
for row in re.findall(r"^\| (`[^|]*`) \|", doc, re.M):
    for name in re.findall(r"`([\w.\[\]]+)`", row):
        documented.add(name)
def paths(v, prefix=""):
    out = set()
    if isinstance(v, dict):
        for k, x in v.items():
            p = f"{prefix}.{k}" if prefix else k
            out.add(p)
            if p not in ("modules", "audit") and not p.endswith("module_pointers"):  # maps by name
                out |= paths(x, p)
    elif isinstance(v, list) and v:
        out |= paths(v[0], prefix + "[]")
    return out
actual = {p for p in paths(r) if not p.startswith("roots[].")}  # a root's fields: one row
actual = {p[:-2] if p.endswith("[]") else p for p in actual}
missing = sorted(p for p in documented if p.rstrip("[]") not in actual and p not in actual)
undocumented = sorted(p for p in actual if p not in documented and p + "[]" not in documented
                      and p not in ("image", "startup"))
if missing or undocumented:
    sys.exit(f"documented but missing: {missing}; present but undocumented: {undocumented}")
PY
  python3 - "$tmp/report.json" <<'PY' || fail "the JSON report does not follow the schema"
import json, sys
r = json.load(open(sys.argv[1]))
def need(obj, key, kind, where):
    if key not in obj or not isinstance(obj[key], kind):
        sys.exit(f"{where}: no {kind.__name__} '{key}'")
    return obj[key]
assert r["schema"] == "fastboot-report/1", r["schema"]
for k in ("program", "build_id"): need(r, k, str, "report")
image = need(r, "image", dict, "report")
for k in ("bytes", "arena_bytes", "live_bytes", "allocations", "arena_pointers", "module_pointers"):
    need(image, k, int, "image")
for k in ("compressed", "pie"): need(image, k, bool, "image")
startup = need(r, "startup", dict, "report")
for k in ("patched_pointers", "globals_restored", "decompressed_bytes"): need(startup, k, int, "startup")
assert isinstance(startup.get("estimated_ms"), (int, float)), "startup: no number 'estimated_ms'"
assert startup.get("estimated_first_touch_ms") == 0, "startup: an image that is not compressed has no first-touch estimate"
roots = need(r, "roots", list, "report")
assert [x["name"] for x in roots] == ["words", "shapes"], [x["name"] for x in roots]
assert sum(x["bytes"] for x in roots) == image["live_bytes"], "roots do not add up to the live heap"
assert sum(x["objects"] for x in roots) == image["allocations"], "roots do not add up to the allocations"
for root in roots:
    for table in ("types", "sites"):
        groups = need(root, table, list, root["name"])
        assert sum(g["bytes"] for g in groups) == root["bytes"], f"{root['name']}: {table} bytes"
        assert sum(g["objects"] for g in groups) == root["objects"], f"{root['name']}: {table} objects"
        assert groups == sorted(groups, key=lambda g: -g["bytes"]), f"{root['name']}: {table} not largest first"
    for t in root["types"]:
        assert sum(s["bytes"] for s in t["sites"]) == t["bytes"], f"{root['name']}: sites of {t['name']}"
    largest = need(root, "largest", list, root["name"])
    assert largest and all(set(o) == {"bytes", "type", "site"} for o in largest)
    need(root, "module_pointers", dict, root["name"])
assert sum(roots[1]["module_pointers"].values()) < 100, roots[1]["module_pointers"]
assert 0 < startup["patched_pointers"] < 100, startup["patched_pointers"]
need(r, "modules", dict, "report"); need(r, "globals", list, "report"); need(r, "audit", dict, "report")
PY
  ;;
stripped)
  cp "$exe" "$tmp/app" && strip "$tmp/app" || fail "strip failed"
  readelf -SW "$tmp/app" | grep -q " \.symtab " && fail "strip left a symbol table"
  "$bake" inspect --json "$exe" >"$tmp/a.json" || fail "inspect --json of the original exited $?"
  "$bake" inspect --json "$tmp/app" >"$tmp/b.json" || fail "inspect --json of the stripped copy exited $?"
  cmp -s "$tmp/a.json" "$tmp/b.json" || fail "the stripped copy's report differs"
  "$bake" inspect "$tmp/app" >"$tmp/out" || fail "inspect of the stripped copy exited $?"
  expect "make_shapes" "$tmp/out"
  ;;
diff)
  doubled=$4
  "$bake" diff "$exe" "$exe" --max-growth 0 >"$tmp/same" 2>&1 || fail "a bake against itself: exit $?: $(cat "$tmp/same")"
  "$bake" diff "$exe" "$doubled" --max-growth 50 >"$tmp/out" 2>"$tmp/err"
  [ $? -eq 1 ] || fail "a doubled root passed --max-growth 50: $(cat "$tmp/out" "$tmp/err")"
  expect "root 'words' grew by (9[0-9]|10[0-9])\.[0-9]%.*more than --max-growth 50%" "$tmp/err"
  grep -q "root 'shapes' grew" "$tmp/err" && fail "shapes did not grow: $(cat "$tmp/err")"
  expect "root 'words': .* -> .* \(\+[0-9.]+ (KiB|MiB), \+(9[0-9]|10[0-9])\.[0-9]%\); objects [0-9,]+ -> [0-9,]+ \(\+[0-9,]+\)" "$tmp/out"
  expect "make_words" "$tmp/out"
  "$bake" diff "$exe" "$doubled" --max-growth 150 >/dev/null 2>&1 || fail "doubling is within --max-growth 150"
  # The old side as a report saved in CI, the new as a program; JSON out.
  "$bake" inspect --json "$exe" >"$tmp/old.json"
  "$bake" diff "$tmp/old.json" "$doubled" --max-growth 50 --json >"$tmp/diff.json" 2>/dev/null
  [ $? -eq 1 ] || fail "diff from a saved report did not fail"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema"]=="fastboot-report-diff/1"; assert d["roots_over_max_growth"]==["words"], d["roots_over_max_growth"]' "$tmp/diff.json" \
    || fail "diff --json: $(head -c 2000 "$tmp/diff.json")"
  "$bake" diff "$exe" "$tmp/nothing" >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] || fail "a missing file is not a usage error"
  ;;
html)
  chromium=$4
  command -v "$chromium" >/dev/null || fail "no $chromium to render the page in (Debian: chromium; scripts/setup installs it)"
  "$bake" report "$exe" -o "$tmp/report.html" >/dev/null || fail "report exited $?"
  grep -q "http" "$tmp/report.html" && fail "the page refers to the network: $(grep -o 'http[^"]*' "$tmp/report.html" | head -3)"
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/profile" --window-size=1280,1000 \
    --dump-dom "file://$tmp/report.html" >"$tmp/dom.html" 2>"$tmp/chromium.err" || fail "chromium exited $?: $(tail -5 "$tmp/chromium.err")"
  expect 'id="treemap"[^>]*data-rendered="[1-9][0-9]*"' "$tmp/dom.html"
  for root in $("$bake" inspect --json "$exe" | python3 -c 'import json,sys; print(" ".join(r["name"] for r in json.load(sys.stdin)["roots"]))'); do
    expect "class=\"cell child\"[^>]*data-kind=\"root\" data-name=\"$root\"" "$tmp/dom.html"
    expect "<section class=\"root\" data-root=\"$root\">" "$tmp/dom.html"
  done
  expect 'id="status">treemap: program' "$tmp/dom.html"
  ;;
progress)
  "$bake" bake --progress "$exe" -o "$tmp/image.o" >"$tmp/log" 2>&1 || fail "bake exited $?: $(cat "$tmp/log")"
  for pass in "capture \(two bake runs\)" "diff and classify" "compact" "report" "lay out image" "write object"; do
    expect "^fastboot-bake: $pass: [0-9]+ ms$" "$tmp/log"
  done
  expect "biggest root 'shapes' \([0-9.]+ MiB\); start: [0-9]+ pointers written, ~[0-9.]+ ms" "$tmp/log"
  grep -q $'\r' "$tmp/log" && fail "a log got terminal control characters"
  "$bake" bake --no-progress "$exe" -o "$tmp/image.o" >"$tmp/quiet" 2>&1 || fail "bake exited $?"
  grep -q "diff and classify" "$tmp/quiet" && fail "--no-progress printed passes: $(cat "$tmp/quiet")"
  command -v script >/dev/null || fail "no script(1) (Debian: bsdutils)"
  script -qec "'$bake' bake --progress '$exe' -o '$tmp/image.o'" /dev/null >"$tmp/tty" 2>&1 || fail "bake on a terminal exited $?"
  grep -q $'\r\e\[Kfastboot-bake: \[[0-9.]* s\] diff and classify' "$tmp/tty" || fail "no live progress line: $(cat -v "$tmp/tty" | head -c 2000)"
  expect "fastboot-bake: +[0-9.]+ ms  diff and classify" "$tmp/tty"
  ;;
*) fail "unknown mode $mode" ;;
esac
echo "ok: $mode"
