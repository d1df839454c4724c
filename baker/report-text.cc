#include "report-text.h"

#include <fmt/format.h>

namespace fastboot::baker {

namespace {

std::string shortened(const std::string& s, std::size_t width) {
  if (s.size() <= width) return s;
  return s.substr(0, width - 3) + "...";
}

void table(std::string& out, const char* title, const std::vector<ReportGroup>& groups, std::uint64_t total,
           std::size_t top) {
  out += fmt::format("  {:<78} {:>10} {:>6} {:>10}\n", title, "bytes", "", "objects");
  std::size_t shown = 0;
  std::uint64_t rest_bytes = 0, rest_objects = 0;
  for (const ReportGroup& g : groups) {
    if (shown++ < top) {
      out += fmt::format("    {:<76} {:>10} {:>6} {:>10}\n", shortened(g.name, 76), human_bytes(g.bytes),
                         percent(g.bytes, total), grouped(g.objects));
    } else {
      rest_bytes += g.bytes;
      rest_objects += g.objects;
    }
  }
  if (groups.size() > top)
    out += fmt::format("    {:<76} {:>10} {:>6} {:>10}\n", fmt::format("({} more)", groups.size() - top),
                       human_bytes(rest_bytes), percent(rest_bytes, total), grouped(rest_objects));
}

std::string counts(const std::map<std::string, std::uint64_t>& by_module) {
  std::string s;
  for (const auto& [module, n] : by_module) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", module, grouped(n));
  return s.empty() ? "none" : s;
}

}  // namespace

std::string percent(std::uint64_t part, std::uint64_t whole) {
  return whole ? fmt::format("{:.1f}%", 100.0 * double(part) / double(whole)) : "-";
}

std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string report_text(const BakeReport& r, std::size_t top) {
  std::string out;
  out += fmt::format("{} (build-id {}): image {}{}\n", r.program, r.build_id.empty() ? "none" : r.build_id,
                     human_bytes(r.image_bytes), r.compressed ? ", arena compressed (" + r.compression + ")" : "");
  out += fmt::format("  arena {}: {} live in {} objects\n", human_bytes(r.arena_bytes), human_bytes(r.live_bytes),
                     grouped(r.allocations));
  out += fmt::format("  pointers: {} within the arena (moved only if the arena is); into modules: {}\n",
                     grouped(r.arena_pointers), counts(r.modules));
  out += fmt::format("  start: {} pointers written at every start{}, {} globals restored{}; estimated {:.2f} ms{}\n",
                     grouped(r.patched_at_startup),
                     r.pie ? "" : " (the executable's are stored applied: it is not position-independent)",
                     grouped(r.globals_restored),
                     r.compressed ? fmt::format(", {} decompressed", human_bytes(r.decompressed_bytes)) : "",
                     r.estimated_start_ms,
                     r.estimated_first_touch_ms > 0
                         ? fmt::format(" ({:.2f} ms where it is decompressed on first touch)", r.estimated_first_touch_ms)
                         : "");
  for (const RootReport& root : r.roots) {
    out += fmt::format("\nroot '{}': {} in {} objects ({} of the live heap); pointers into modules: {}\n", root.name,
                       human_bytes(root.bytes), grouped(root.objects), percent(root.bytes, r.live_bytes),
                       counts(root.module_pointers));
    table(out, "by allocated type", root.by_type, root.bytes, top);
    table(out, "by allocation site", root.by_site, root.bytes, top);
    out += "  largest objects\n";
    for (std::size_t i = 0; i < root.largest.size() && i < top; ++i) {
      const ReportObject& o = root.largest[i];
      out += fmt::format("    {:>10}  {}, {}\n", human_bytes(o.bytes), shortened(o.type, 60), shortened(o.site, 90));
    }
  }
  if (!r.globals.empty()) {
    out += "\nglobals restored at startup:\n";
    for (const std::string& g : r.globals) out += "  " + g + "\n";
  }
  out += "\nbake audit (what the initializers read):";
  if (r.audit.empty()) out += " nothing from outside the program\n";
  else out += "\n";
  for (const auto& [kind, items] : r.audit) {
    std::string list;
    for (std::size_t i = 0; i < items.size() && i < top; ++i) list += (i ? ", " : "") + items[i];
    if (items.size() > top) list += fmt::format(" and {} more", items.size() - top);
    out += fmt::format("  {}: {}\n", kind, list);
  }
  return out;
}

}  // namespace fastboot::baker
