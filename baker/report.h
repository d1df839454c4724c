// The bake report: what an image holds, per root, by allocated type and by allocation site, with
// what its start costs. It is built at bake time (the only time allocation sites, debug
// information and the audit are at hand), stored in the executable's non-loaded
// `.fastboot.report` section, and read back by `inspect`, `report` and `diff`, so a stripped,
// shipped binary can still be explained. Its JSON form is the documented schema
// (docs/report.md) that `--json` prints.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "context.h"
#include "diff.h"
#include "dump.h"
#include "globals.h"
#include "resolve.h"
#include "vtables.h"

namespace llvm::json {
class Value;
}

namespace fastboot::baker {
class PaddingOracle;
}

namespace fastboot::baker {

// JSON as text, indented by 2 when pretty.
std::string json_text(const llvm::json::Value& value, bool pretty);

struct ReportGroup {
  std::string name;
  std::uint64_t bytes = 0, objects = 0;
  std::vector<ReportGroup> children;  // by_type: the type's allocation sites
};

struct ReportObject {
  std::uint64_t bytes = 0;
  std::string type, site;
};

struct RootReport {
  std::string name;
  std::uint64_t bytes = 0, objects = 0;  // allocated while its initializer ran, and kept
  std::vector<ReportGroup> by_type;      // largest first; children: sites
  std::vector<ReportGroup> by_site;      // largest first
  std::vector<ReportObject> largest;     // the largest objects, largest first
  std::map<std::string, std::uint64_t> module_pointers;  // module -> pointers into it
};

struct BakeReport {
  static constexpr const char* kSchema = "fastboot-report/1";
  std::string program;   // file name of the baked program
  std::string build_id;  // hex
  bool compressed = false;
  std::string compression = "none";  // none, lz4 or zstd
  bool pie = true;
  // The image.
  // Nothing that differs between two bakes of one program (what the bake dropped depends on
  // what its threads freed): the report is part of a reproducible image object.
  std::uint64_t arena_bytes = 0, live_bytes = 0, allocations = 0;
  std::uint64_t arena_pointers = 0, module_pointers = 0;
  std::uint64_t image_bytes = 0;  // the .fastboot section
  // Startup, as the runtime will pay it: pointers written on every start (into modules that
  // ASLR moves), globals restored, bytes decompressed, and an estimate from measured rates.
  std::uint64_t patched_at_startup = 0, globals_restored = 0, decompressed_bytes = 0;
  double estimated_start_ms = 0;
  // A compressed image where the loader may decompress on first touch (userfaultfd): the load,
  // with the decompression left to the first touches (0 for an image that is not compressed).
  double estimated_first_touch_ms = 0;
  std::vector<RootReport> roots;
  std::map<std::string, std::uint64_t> modules;  // module -> pointers into it
  std::vector<std::string> globals;              // "module: symbol" restored at startup
  std::map<std::string, std::vector<std::string>> audit;
  // No times: two bakes of one program write byte-identical images, report included.

  const RootReport* root(const std::string& name) const;
  const RootReport* biggest_root() const;
};

// The startup estimate: the mapping itself, plus each word written at startup and each byte
// decompressed (by `compression`), at the rates bench/run measures (docs/PERFORMANCE.md).
double estimate_start_ms(std::uint64_t patched, std::uint64_t decompressed_bytes, const std::string& compression = "none");
// The same for a compressed image whose arena is filled on first touch: the loader checks the
// stored chunks (`stored_bytes`, the section) and starts its threads; decoding happens later.
double estimate_first_touch_ms(std::uint64_t patched, std::uint64_t stored_bytes);

// Builds the report from the compacted run A (after the "resolve modules" pass); `types` is the
// bake's oracle of allocated types (run A's, as zero_unread_bytes used it).
BakeReport build_report(Context& ctx, const Dump& a, const Classification& c, const Resolution& r,
                        const std::vector<GlobalRestore>& globals, const VtableCopies& vtables, PaddingOracle& types);

std::string to_json(const BakeReport& report, bool pretty = true);
// Parses and checks a report; an error message when it is not one.
std::optional<BakeReport> from_json(const std::string& text, std::string& error);

// The bytes of the .fastboot.report section: a tag, the JSON's size, the JSON zstd-compressed.
std::vector<std::uint8_t> encode_report_section(const BakeReport& report);
std::optional<BakeReport> decode_report_section(const std::vector<std::uint8_t>& bytes, std::string& error);

// The report stored in a baked executable; an error message when there is none or it is
// damaged.
std::optional<BakeReport> read_report(const std::string& program, std::string& error);

// A baked program's report, or a report saved with `inspect --json` (a file starting with '{').
std::optional<BakeReport> load_report(const std::string& path, std::string& error);

std::string human_bytes(std::uint64_t bytes);

}  // namespace fastboot::baker
