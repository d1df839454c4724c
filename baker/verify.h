// Reading and checking executables with LLVM's libObject: the baker checks its own output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "context.h"
#include "image-writer.h"

namespace fastboot::baker {

struct LoadSegment {
  std::uint64_t offset, vaddr, filesz, memsz, flags, align;
  bool operator==(const LoadSegment&) const = default;
};

struct ExecutableInfo {
  std::vector<LoadSegment> loads;
  std::vector<std::uint8_t> build_id;
  std::uint64_t build_id_offset = 0;  // file offset of the build-id bytes
  bool has_image = false;
  std::uint64_t image_offset = 0, image_size = 0;
};

std::optional<ExecutableInfo> read_executable(Context& ctx, const std::string& path);

// Overwrites the build-id bytes of `path` (same length) in place.
void patch_build_id(Context& ctx, const std::string& path, const ExecutableInfo& info,
                    const std::vector<std::uint8_t>& build_id);

// The baked executable must hold exactly `image` in a page-aligned .fastboot section, and every
// loadable segment must be where, and what, it was in the executable that was baked.
void verify_baked(Context& ctx, const std::string& unbaked, const std::string& baked,
                  const SectionImage& image);

// Why the runtime would not use the image in a baked executable (missing, stale, damaged), or
// an empty string when it would. Checks everything, the arena checksum included.
std::string image_problem(Context& ctx, const std::string& path);

}  // namespace fastboot::baker
