// The freezer's check that its run built the value the program's own run built (the
// description protocol::FirstRun, written by runtime/src/first-run-linux.cc).
#pragma once

#include <cstdint>
#include <string>

#include "dump.h"

namespace fastboot::baker {

// Records an error naming the first difference when run's value of its one root is not the
// value `first_run` describes: the same objects, each of the same size with the same bytes, and
// the same pointers between them and into the same modules.
// Words that differ only as leftovers of addresses (baker/first-run.cc says which) are the same.
void compare_with_first_run(Context& ctx, const Dump& run, const unsigned char* first_run, std::uint64_t size);

// An allocation site as the freezer names it, with no symbolizer: "<module>+0x<offset>", or the
// bare address outside every module.
std::string site_name(const Dump& run, std::uint64_t site);

}  // namespace fastboot::baker
