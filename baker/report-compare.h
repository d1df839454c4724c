// Two bake reports side by side: what `fastboot-bake diff old new` prints, and what its
// --max-growth checks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report.h"

namespace fastboot::baker {

struct Change {
  std::string name;
  std::uint64_t bytes_before = 0, bytes_after = 0, objects_before = 0, objects_after = 0;
  std::int64_t byte_delta() const { return std::int64_t(bytes_after) - std::int64_t(bytes_before); }
  // Growth in percent of the old size; +inf for something new, -100 for something gone.
  double growth_percent() const;
};

struct RootChange : Change {
  bool added = false, removed = false;
  std::uint64_t pointers_before = 0, pointers_after = 0;  // into modules
  std::vector<Change> sites;  // allocation sites whose bytes or objects changed, largest change first
};

struct Comparison {
  Change image;  // the .fastboot section (objects: allocations)
  std::uint64_t patched_before = 0, patched_after = 0;
  double start_ms_before = 0, start_ms_after = 0;  // estimated
  std::vector<RootChange> roots;                    // in the new report's order, then removed ones
};

Comparison compare_reports(const BakeReport& before, const BakeReport& after);

// The roots present in both reports that grew by more than `percent` of their old bytes.
std::vector<const RootChange*> roots_grown_beyond(const Comparison& c, double percent);

std::string comparison_text(const Comparison& c, std::size_t top);
std::string comparison_json(const Comparison& c, double max_growth);  // max_growth < 0: none given

}  // namespace fastboot::baker
