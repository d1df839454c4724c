#include "report-compare.h"

#include <fmt/format.h>
#include <llvm/Support/JSON.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "report-text.h"

namespace fastboot::baker {

double Change::growth_percent() const {
  if (bytes_before == 0) return bytes_after == 0 ? 0 : std::numeric_limits<double>::infinity();
  return 100.0 * (double(bytes_after) - double(bytes_before)) / double(bytes_before);
}

namespace {

std::uint64_t sum(const std::map<std::string, std::uint64_t>& m) {
  std::uint64_t n = 0;
  for (const auto& [k, v] : m) n += v;
  return n;
}

std::vector<Change> site_changes(const RootReport* before, const RootReport* after) {
  std::map<std::string, Change> by_name;
  auto record = [&](const RootReport* root, std::uint64_t Change::*bytes, std::uint64_t Change::*objects) {
    if (root)
      for (const ReportGroup& g : root->by_site) {
        Change& c = by_name[g.name];
        c.name = g.name;
        c.*bytes = g.bytes;
        c.*objects = g.objects;
      }
  };
  record(before, &Change::bytes_before, &Change::objects_before);
  record(after, &Change::bytes_after, &Change::objects_after);
  std::vector<Change> out;
  for (auto& [name, c] : by_name)
    if (c.bytes_before != c.bytes_after || c.objects_before != c.objects_after) out.push_back(c);
  std::stable_sort(out.begin(), out.end(), [](const Change& x, const Change& y) {
    return std::llabs(x.byte_delta()) > std::llabs(y.byte_delta());
  });
  return out;
}

std::string signed_bytes(std::int64_t delta) {
  if (delta == 0) return "0 B";
  return fmt::format("{}{}", delta > 0 ? '+' : '-', human_bytes(std::uint64_t(std::llabs(delta))));
}

std::string signed_count(std::int64_t delta) {
  if (delta == 0) return "0";
  return fmt::format("{}{}", delta > 0 ? '+' : '-', grouped(std::uint64_t(std::llabs(delta))));
}

std::string growth(const Change& c) {
  double g = c.growth_percent();
  if (std::isinf(g)) return "new";
  return fmt::format("{:+.1f}%", g);
}

}  // namespace

Comparison compare_reports(const BakeReport& before, const BakeReport& after) {
  Comparison c;
  c.image = {"image", before.image_bytes, after.image_bytes, before.allocations, after.allocations};
  c.patched_before = before.patched_at_startup;
  c.patched_after = after.patched_at_startup;
  c.start_ms_before = before.estimated_start_ms;
  c.start_ms_after = after.estimated_start_ms;
  for (const RootReport& now : after.roots) {
    const RootReport* old = before.root(now.name);
    RootChange rc;
    rc.name = now.name;
    rc.added = !old;
    rc.bytes_before = old ? old->bytes : 0;
    rc.objects_before = old ? old->objects : 0;
    rc.bytes_after = now.bytes;
    rc.objects_after = now.objects;
    rc.pointers_before = old ? sum(old->module_pointers) : 0;
    rc.pointers_after = sum(now.module_pointers);
    rc.sites = site_changes(old, &now);
    c.roots.push_back(std::move(rc));
  }
  for (const RootReport& old : before.roots) {
    if (after.root(old.name)) continue;
    RootChange rc;
    rc.name = old.name;
    rc.removed = true;
    rc.bytes_before = old.bytes;
    rc.objects_before = old.objects;
    rc.pointers_before = sum(old.module_pointers);
    rc.sites = site_changes(&old, nullptr);
    c.roots.push_back(std::move(rc));
  }
  return c;
}

std::vector<const RootChange*> roots_grown_beyond(const Comparison& c, double percent) {
  std::vector<const RootChange*> out;
  for (const RootChange& r : c.roots)
    if (!r.added && !r.removed && r.growth_percent() > percent) out.push_back(&r);
  return out;
}

std::string comparison_text(const Comparison& c, std::size_t top) {
  std::string out;
  out += fmt::format("image: {} -> {} ({}, {}); allocations {} -> {}\n", human_bytes(c.image.bytes_before),
                     human_bytes(c.image.bytes_after), signed_bytes(c.image.byte_delta()), growth(c.image),
                     grouped(c.image.objects_before), grouped(c.image.objects_after));
  out += fmt::format("start: {} -> {} pointers written at startup; estimated {:.2f} -> {:.2f} ms\n",
                     grouped(c.patched_before), grouped(c.patched_after), c.start_ms_before, c.start_ms_after);
  for (const RootChange& r : c.roots) {
    std::string state = r.added ? " (new root)" : r.removed ? " (root removed)" : "";
    out += fmt::format("\nroot '{}'{}: {} -> {} ({}, {}); objects {} -> {} ({}); pointers into modules {} -> {}\n",
                       r.name, state, human_bytes(r.bytes_before), human_bytes(r.bytes_after),
                       signed_bytes(r.byte_delta()), growth(r), grouped(r.objects_before), grouped(r.objects_after),
                       signed_count(std::int64_t(r.objects_after) - std::int64_t(r.objects_before)),
                       grouped(r.pointers_before), grouped(r.pointers_after));
    for (std::size_t i = 0; i < r.sites.size() && i < top; ++i) {
      const Change& s = r.sites[i];
      out += fmt::format("  {:>11} {:>9} objects  {}\n", signed_bytes(s.byte_delta()),
                         signed_count(std::int64_t(s.objects_after) - std::int64_t(s.objects_before)), s.name);
    }
    if (r.sites.size() > top) out += fmt::format("  ({} more allocation sites changed)\n", r.sites.size() - top);
  }
  return out;
}

std::string comparison_json(const Comparison& c, double max_growth) {
  namespace json = llvm::json;
  auto change = [](const Change& x) {
    double g = x.growth_percent();
    return json::Object{{"name", x.name},
                        {"bytes_before", std::int64_t(x.bytes_before)},
                        {"bytes_after", std::int64_t(x.bytes_after)},
                        {"objects_before", std::int64_t(x.objects_before)},
                        {"objects_after", std::int64_t(x.objects_after)},
                        {"growth_percent", std::isinf(g) ? json::Value(nullptr) : json::Value(g)}};
  };
  json::Array roots;
  for (const RootChange& r : c.roots) {
    json::Object o = change(r);
    o["added"] = r.added;
    o["removed"] = r.removed;
    o["module_pointers_before"] = std::int64_t(r.pointers_before);
    o["module_pointers_after"] = std::int64_t(r.pointers_after);
    json::Array sites;
    for (const Change& s : r.sites) sites.push_back(change(s));
    o["sites"] = std::move(sites);
    roots.push_back(std::move(o));
  }
  json::Array exceeded;
  if (max_growth >= 0)
    for (const RootChange* r : roots_grown_beyond(c, max_growth)) exceeded.push_back(r->name);
  json::Value doc = json::Object{
      {"schema", "fastboot-report-diff/1"},
      {"image", change(c.image)},
      {"startup", json::Object{{"patched_pointers_before", std::int64_t(c.patched_before)},
                               {"patched_pointers_after", std::int64_t(c.patched_after)},
                               {"estimated_ms_before", c.start_ms_before},
                               {"estimated_ms_after", c.start_ms_after}}},
      {"roots", std::move(roots)},
      {"max_growth_percent", max_growth >= 0 ? json::Value(max_growth) : json::Value(nullptr)},
      {"roots_over_max_growth", std::move(exceeded)},
  };
  return json_text(doc, true);
}

}  // namespace fastboot::baker
