// The bake: from a linked program to the bytes of its image.
#pragma once

#include <cstdint>
#include <vector>

#include "context.h"
#include "image-writer.h"
#include "report.h"

namespace fastboot::baker {

struct Baked {
  SectionImage image;  // the .fastboot section
  BakeReport report;   // what it holds (the .fastboot.report section)
};

// Runs ctx.opts.program's initializers twice, classifies every word and lays out the image.
// Throws BakeFailed (after printing every error) when the result could not be correct.
Baked bake_image(Context& ctx);

// Prints the per-pass times collected in ctx (for --verbose).
void print_timings(const Context& ctx);

}  // namespace fastboot::baker
