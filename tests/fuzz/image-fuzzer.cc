// libFuzzer target: any bytes as a .fastboot section. The validator must reject what it
// cannot vouch for, and what it accepts must be safe to relocate: every read and write the
// loader then makes stays inside the section (ASan and UBSan check).
#include <cstdint>
#include <cstring>
#include <vector>

#include "fastboot/image-validate.h"
#include "fastboot/image-chunks.h"

namespace img = fastboot::image;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < sizeof(img::Header)) return 0;
  // The loader maps the section page-aligned; give the bytes the same alignment.
  std::vector<std::uint64_t> storage((size + 7) / 8);
  auto* section = reinterpret_cast<unsigned char*>(storage.data());
  std::memcpy(section, data, size);
  img::Header h;
  std::memcpy(&h, section, sizeof(h));
  // Checksums would stop almost every mutation at the first check; fix them up so the fuzzer
  // explores the offsets and counts behind them (the checks themselves are one comparison).
  h.header_checksum = img::header_checksum(h);
  if (img::validate_header(h, size)) return 0;
  h.tables_checksum = img::checksum(section + h.roots_offset, h.relocs_offset - h.roots_offset);
  h.relocs_checksum = img::checksum(section + h.relocs_offset, h.reloc_count * sizeof(img::ModuleReloc));
  h.bitmap_checksum = img::checksum(section + h.bitmap_offset, h.bitmap_size);
  h.header_checksum = img::header_checksum(h);
  std::memcpy(section, &h, sizeof(h));
  if (img::validate_header(h, size) || img::validate_tables(h, section) || img::validate_relocs(h, section)) return 0;

  // A compressed arena: decompress it after the tables, as the loader does (small ones only).
  std::vector<std::uint64_t> expanded;
  if (h.compression != std::uint32_t(img::Compression::none)) {
    if (h.arena_size > (std::uint64_t(1) << 24)) return 0;
    expanded.assign((h.arena_offset + h.arena_size + 7) / 8 + 1, 0);
    auto* into = reinterpret_cast<unsigned char*>(expanded.data());
    std::memcpy(into, section, h.arena_offset);
    auto* chunks = reinterpret_cast<const img::ChunkEntry*>(section + h.chunks_offset);
    for (std::uint32_t i = 0; i < h.chunk_count; ++i)
      if (img::decompress_chunk(h.compression, chunks[i], section + h.arena_offset, into + h.arena_offset)) return 0;
    section = into;
  }

  // What the loader does with an accepted image: relocate arena pointers, patch module
  // pointers and read root names.
  img::relocate_arena(h, section, 0x1000);
  auto* relocs = reinterpret_cast<const img::ModuleReloc*>(section + h.relocs_offset);
  auto* modules = reinterpret_cast<const img::ModuleEntry*>(section + h.modules_offset);
  unsigned char* arena = section + h.arena_offset;
  for (std::uint32_t m = 0; m < h.module_count; ++m)
    for (std::uint64_t i = modules[m].first_reloc; i < modules[m].first_reloc + modules[m].reloc_count; ++i) {
      std::uint64_t v = 0x7f0000000000 + relocs[i].target;
      std::memcpy(arena + relocs[i].arena_offset, &v, 8);
    }
  auto* roots = reinterpret_cast<const img::RootEntry*>(section + h.roots_offset);
  const char* strings = reinterpret_cast<const char*>(section + h.strings_offset);
  std::size_t total = 0;
  for (std::uint32_t r = 0; r < h.root_count; ++r) total += std::strlen(strings + roots[r].name_offset);
  return total == ~std::size_t(0);
}
