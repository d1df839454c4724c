// The bake report as people read it: `fastboot-bake inspect`, and the tables of the HTML page.
#pragma once

#include <cstdint>
#include <string>

#include "report.h"

namespace fastboot::baker {

// "1,234,567"
std::string grouped(std::uint64_t n);
// "12.5%" of whole; "-" when whole is 0.
std::string percent(std::uint64_t part, std::uint64_t whole);

// Per root: bytes and objects by allocated type and by allocation site (at most `top` rows
// each), the largest objects, pointers into modules; then restored globals and the bake audit.
std::string report_text(const BakeReport& report, std::size_t top);

}  // namespace fastboot::baker
