#include "report-html.h"

#include <fmt/format.h>

#include <map>

#include "report-text.h"

namespace fastboot::baker {

namespace {

std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

void group_table(std::string& out, const char* title, const std::vector<ReportGroup>& groups, std::uint64_t total) {
  constexpr std::size_t kRows = 50;
  out += fmt::format("<table><caption>{}</caption><tr><th>name</th><th>bytes</th><th>%</th><th>objects</th></tr>\n", title);
  for (std::size_t i = 0; i < groups.size() && i < kRows; ++i)
    out += fmt::format("<tr><td class=name>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", escaped(groups[i].name),
                       human_bytes(groups[i].bytes), percent(groups[i].bytes, total), grouped(groups[i].objects));
  if (groups.size() > kRows)
    out += fmt::format("<tr><td class=name>({} more)</td><td></td><td></td><td></td></tr>\n", groups.size() - kRows);
  out += "</table>\n";
}

std::string tables(const BakeReport& r) {
  std::string out;
  out += "<section id=startup><h2>Image and start</h2><table>\n";
  auto row = [&](const std::string& k, const std::string& v) {
    out += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", escaped(k), escaped(v));
  };
  row("image (.fastboot)", human_bytes(r.image_bytes) + (r.compressed ? ", arena compressed (" + r.compression + ")" : ""));
  row("arena", fmt::format("{}: {} live in {} objects", human_bytes(r.arena_bytes), human_bytes(r.live_bytes),
                           grouped(r.allocations)));
  row("pointers within the arena", grouped(r.arena_pointers));
  std::string modules;
  for (const auto& [m, n] : r.modules) modules += fmt::format("{}{} {}", modules.empty() ? "" : ", ", m, grouped(n));
  row("pointers into modules", modules.empty() ? "none" : modules);
  row("written at every start", grouped(r.patched_at_startup) + " pointers" +
                                   (r.pie ? "" : " (the executable's are stored applied: not position-independent)"));
  row("globals restored at start", grouped(r.globals_restored));
  if (r.compressed) row("decompressed at start", human_bytes(r.decompressed_bytes));
  row("estimated start cost", fmt::format("{:.2f} ms", r.estimated_start_ms));
  out += "</table></section>\n";

  for (const RootReport& root : r.roots) {
    out += fmt::format("<section class=root data-root=\"{}\"><h2>root '{}': {} in {} objects</h2>\n", escaped(root.name),
                       escaped(root.name), human_bytes(root.bytes), grouped(root.objects));
    group_table(out, "by allocated type", root.by_type, root.bytes);
    group_table(out, "by allocation site", root.by_site, root.bytes);
    out += "<table><caption>largest objects</caption><tr><th>bytes</th><th>type</th><th>site</th></tr>\n";
    for (const ReportObject& o : root.largest)
      out += fmt::format("<tr><td>{}</td><td class=name>{}</td><td class=name>{}</td></tr>\n", human_bytes(o.bytes),
                         escaped(o.type), escaped(o.site));
    out += "</table>\n<table><caption>pointers into modules</caption>\n";
    for (const auto& [m, n] : root.module_pointers)
      out += fmt::format("<tr><td class=name>{}</td><td>{}</td></tr>\n", escaped(m), grouped(n));
    if (root.module_pointers.empty()) out += "<tr><td class=name>none</td><td></td></tr>\n";
    out += "</table></section>\n";
  }

  out += "<section id=globals><h2>Globals restored at startup</h2><ul>\n";
  for (const std::string& g : r.globals) out += "<li>" + escaped(g) + "</li>\n";
  if (r.globals.empty()) out += "<li>none</li>\n";
  out += "</ul></section>\n<section id=audit><h2>What the initializers read</h2><ul>\n";
  for (const auto& [kind, items] : r.audit) {
    std::string list;
    for (const std::string& i : items) list += (list.empty() ? "" : ", ") + i;
    out += fmt::format("<li><b>{}</b>: {}</li>\n", escaped(kind), escaped(list));
  }
  if (r.audit.empty()) out += "<li>nothing from outside the program</li>\n";
  out += "</ul></section>\n";
  return out;
}

// The page. @TITLE@, @SUMMARY@, @TABLES@ and @DATA@ are filled in.
const char* kPage = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>fastboot bake report: @TITLE@</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #1b1b1b; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
#summary { color: #444; margin-bottom: 12px; }
#crumbs { margin: 8px 0; } #crumbs a { cursor: pointer; color: #0645ad; text-decoration: underline; }
#treemap { position: relative; width: 100%; height: 520px; background: #eee; overflow: hidden; border: 1px solid #bbb; }
.cell { position: absolute; box-sizing: border-box; border: 1px solid rgba(255,255,255,.9); overflow: hidden;
        font-size: 12px; color: #111; cursor: pointer; }
.cell > .label { padding: 1px 4px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.cell.child { border-color: rgba(255,255,255,.6); }
.cell:hover { outline: 2px solid #222; z-index: 2; }
table { border-collapse: collapse; margin: 8px 0 16px; } caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 2px 10px; text-align: right; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
td.name, th:first-child { text-align: left; font-family: ui-monospace, monospace; font-size: 12px; max-width: 900px;
        overflow-wrap: anywhere; }
</style></head><body>
<h1>fastboot bake report: @TITLE@</h1>
<div id="summary">@SUMMARY@</div>
<div id="crumbs"></div>
<div id="treemap" role="img" aria-label="treemap of the baked heap"></div>
<div id="status"></div>
@TABLES@
<script type="application/json" id="report-data">@DATA@</script>
<script>
"use strict";
const report = JSON.parse(document.getElementById("report-data").textContent);

function human(bytes) {
  const units = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; ++i; }
  return (i ? bytes.toFixed(1) : bytes) + " " + units[i];
}

// The heap as a tree: program -> root -> allocated type -> allocation site.
function buildTree() {
  const node = (name, kind, bytes, objects, children) => ({ name, kind, bytes, objects, children: children || [] });
  const roots = report.roots.map(r => node(r.name, "root", r.bytes, r.objects,
      r.types.map(t => node(t.name, "type", t.bytes, t.objects,
          (t.sites || []).map(s => node(s.name, "site", s.bytes, s.objects))))));
  const total = roots.reduce((s, r) => s + r.bytes, 0);
  const top = node(report.program, "program", total, report.image.allocations, roots);
  const link = (n, parent) => { n.parent = parent; n.children.forEach(c => link(c, n)); };
  link(top, null);
  return top;
}

// Squarified treemap (Bruls, Huizing, van Wijk): rows of rectangles as close to square as
// the sizes allow, largest first.
function squarify(nodes, x, y, w, h) {
  const items = nodes.filter(n => n.bytes > 0).sort((a, b) => b.bytes - a.bytes);
  const total = items.reduce((s, n) => s + n.bytes, 0);
  const out = [];
  if (!total || w <= 0 || h <= 0) return out;
  const scale = (w * h) / total;
  const area = n => n.bytes * scale;
  const worst = (row, side) => {
    const s = row.reduce((a, n) => a + area(n), 0);
    const max = area(row[0]), min = area(row[row.length - 1]);
    return Math.max((side * side * max) / (s * s), (s * s) / (side * side * min));
  };
  let row = [];
  const place = () => {
    const s = row.reduce((a, n) => a + area(n), 0);
    if (w >= h) {
      const cw = s / h; let cy = y;
      for (const n of row) { const rh = area(n) / cw; out.push({ n, x, y: cy, w: cw, h: rh }); cy += rh; }
      x += cw; w -= cw;
    } else {
      const rh = s / w; let cx = x;
      for (const n of row) { const rw = area(n) / rh; out.push({ n, x: cx, y, w: rw, h: rh }); cx += rw; }
      y += rh; h -= rh;
    }
    row = [];
  };
  for (const n of items) {
    const side = Math.min(w, h);
    if (row.length && worst(row.concat([n]), side) > worst(row, side)) place();
    row.push(n);
  }
  if (row.length) place();
  return out;
}

// Siblings get hues a golden angle apart; the cells inside a cell are lighter.
function color(hue, depth) {
  return `hsl(${hue % 360}, 55%, ${depth ? 82 : 70}%)`;
}

const map = document.getElementById("treemap");
let shown = 0;

function cell(n, r, cls, parent, background) {
  const d = document.createElement("div");
  d.className = "cell " + cls;
  d.style.left = r.x + "px"; d.style.top = r.y + "px";
  d.style.width = Math.max(r.w, 0) + "px"; d.style.height = Math.max(r.h, 0) + "px";
  d.style.background = background;
  d.dataset.kind = n.kind;
  d.dataset.name = n.name;
  d.title = `${n.kind} ${n.name}\n${human(n.bytes)} in ${n.objects} objects`;
  if (r.w > 30 && r.h > 14) {
    const l = document.createElement("div");
    l.className = "label";
    l.textContent = `${n.name} (${human(n.bytes)})`;
    d.appendChild(l);
  }
  parent.appendChild(d);
  ++shown;
  return d;
}

// Shows `focus`'s children, each with its own children inside; a click zooms into the child.
function render(focus) {
  map.textContent = "";
  shown = 0;
  const W = map.clientWidth, H = map.clientHeight;
  squarify(focus.children, 0, 0, W, H).forEach((r, i) => {
    const hue = i * 137.5 + 250;
    const d = cell(r.n, r, "child", map, color(hue, 0));
    d.addEventListener("click", e => { e.stopPropagation(); if (r.n.children.length) render(r.n); });
    const head = r.h > 40 ? 18 : 0;
    squarify(r.n.children, 2, head, r.w - 4, r.h - head - 2).forEach((g, j) => {
      const inner = cell(g.n, g, "grandchild", d, color(hue + 40 + j * 137.5, 1));
      inner.addEventListener("click", e => { e.stopPropagation(); render(g.n.children.length ? g.n : r.n); });
    });
  });
  const crumbs = document.getElementById("crumbs");
  crumbs.textContent = "";
  const path = [];
  for (let n = focus; n; n = n.parent) path.unshift(n);
  path.forEach((n, i) => {
    if (i) crumbs.append(" \u203a ");
    const a = document.createElement("a");
    a.textContent = `${n.name} (${human(n.bytes)})`;
    a.addEventListener("click", () => render(n));
    crumbs.appendChild(a);
  });
  document.getElementById("status").textContent =
      `treemap: ${focus.kind} ${focus.name}, ${shown} cells; click a cell to zoom in, a name above to zoom out`;
  map.dataset.rendered = String(shown);
}

const tree = buildTree();
render(tree);
window.addEventListener("resize", () => render(tree));
</script>
</body></html>
)HTML";

// One pass over the template, so no filled-in value is ever searched for a placeholder.
std::string fill(const std::string& page, const std::map<std::string, std::string>& values) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    std::size_t open = page.find('@', at);
    std::size_t close = open == std::string::npos ? open : page.find('@', open + 1);
    auto value = close == std::string::npos ? values.end() : values.find(page.substr(open + 1, close - open - 1));
    if (value == values.end()) {
      if (open == std::string::npos) break;
      out += page.substr(at, open + 1 - at);
      at = open + 1;
      continue;
    }
    out += page.substr(at, open - at) + value->second;
    at = close + 1;
  }
  return out + page.substr(at);
}

}  // namespace

std::string report_html(const BakeReport& r) {
  std::string data = to_json(r, false);
  // Inside <script>, "</script" would end the element: no '<' at all (only strings hold one,
  // and "\u003c" is the same JSON string).
  for (std::size_t at = 0; (at = data.find('<', at)) != std::string::npos; at += 6) data.replace(at, 1, "\\u003c");
  const RootReport* biggest = r.biggest_root();
  std::string summary = fmt::format(
      "build-id {}; image {}; {} live in {} objects in {} root{}{}; start: {} pointers written, estimated {:.2f} ms",
      r.build_id.empty() ? "none" : r.build_id, human_bytes(r.image_bytes), human_bytes(r.live_bytes),
      grouped(r.allocations), r.roots.size(), r.roots.size() == 1 ? "" : "s",
      biggest ? fmt::format(" (biggest: '{}', {})", biggest->name, human_bytes(biggest->bytes)) : "",
      grouped(r.patched_at_startup), r.estimated_start_ms);
  return fill(kPage, {{"TITLE", escaped(r.program)}, {"SUMMARY", escaped(summary)}, {"TABLES", tables(r)}, {"DATA", data}});
}

}  // namespace fastboot::baker
