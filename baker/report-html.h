// The bake report as one self-contained HTML page (`fastboot-bake report`): no network, no
// files beside it. The tables are plain HTML; the zoomable treemap (root, allocated type,
// allocation site) is drawn by the page's own script from the report's JSON, embedded in it.
#pragma once

#include <string>

#include "report.h"

namespace fastboot::baker {

std::string report_html(const BakeReport& report);

}  // namespace fastboot::baker
