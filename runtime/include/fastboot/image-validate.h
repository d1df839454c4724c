// Checking an image before trusting it: every offset, count and checksum, so that a damaged or
// hostile .fastboot section is rejected instead of read out of bounds. Used by the runtime's
// loader, by `fastboot-bake verify`, and by the fuzzer (tests/fuzz/).
#pragma once

#include <cstdint>
#include <cstring>

#include "fastboot/image-format.h"

namespace fastboot::image {

inline bool in_bounds(std::uint64_t off, std::uint64_t size, std::uint64_t limit) {
  return off <= limit && size <= limit - off;
}

// The header alone, against the size of the section holding it. Returns a reason, or null.
inline const char* validate_header(const Header& h, std::uint64_t section_size) {
  if (std::memcmp(h.magic, kMagic, sizeof(h.magic)) != 0) return "bad magic";
  if (h.version != kImageVersion) return "image format version differs from the runtime's";
  if (h.header_size != sizeof(Header)) return "bad header size";
  if (header_checksum(h) != h.header_checksum) return "header checksum mismatch";
  if (h.section_size != section_size) return "section size differs from the header's";
  if (h.arena_offset % kPageSize || h.preferred_base % kPageSize) return "arena is not page-aligned";
  if (h.compression == std::uint32_t(Compression::none)) {
    if (h.stored_size != h.arena_size) return "stored arena size differs from the arena size";
  } else if (h.compression != std::uint32_t(Compression::zstd) && h.compression != std::uint32_t(Compression::lz4)) {
    return "unknown compression";
  } else if (h.arena_size > (std::uint64_t(1) << 40)) {
    return "impossible arena size";
  }
  if (!in_bounds(h.arena_offset, h.stored_size, section_size)) return "arena outside the section";
  if (h.build_id_size > sizeof(h.build_id)) return "bad build-id size";
  if (h.flags & ~std::uint32_t(kRandomizeBase | kFixedBase)) return "unknown header flags";
  if ((h.flags & kRandomizeBase) && (h.flags & kFixedBase)) return "contradictory header flags";
  const std::uint64_t tables = h.arena_offset;
  auto table = [&](std::uint64_t off, std::uint64_t count, std::uint64_t entry) {
    return off % 8 == 0 && count <= tables / entry && in_bounds(off, count * entry, tables);
  };
  if (h.roots_offset < sizeof(Header) || !table(h.roots_offset, h.root_count, sizeof(RootEntry)) ||
      !table(h.modules_offset, h.module_count, sizeof(ModuleEntry)) ||
      !table(h.relocs_offset, h.reloc_count, sizeof(ModuleReloc)) ||
      !table(h.symbols_offset, h.symbol_count, sizeof(SymbolEntry)) ||
      !table(h.globals_offset, h.global_count, sizeof(GlobalReloc)) ||
      !table(exits_offset(h), h.exit_count, sizeof(ExitEntry)) ||
      !table(h.chunks_offset, h.chunk_count, sizeof(ChunkEntry)) ||
      !table(h.bitmap_offset, h.bitmap_size / 8, 8) || !in_bounds(h.strings_offset, h.strings_size, tables))
    return "a table lies outside the section";
  if (h.bitmap_size != (h.arena_size / 8 + 63) / 64 * 8) return "bitmap size does not match the arena";
  if (h.strings_size == 0) return "empty string table";
  if (h.relocs_offset < h.roots_offset || h.bitmap_offset < h.relocs_offset + h.reloc_count * sizeof(ModuleReloc) ||
      exits_offset(h) < h.roots_offset || exits_offset(h) + h.exit_count * sizeof(ExitEntry) > h.relocs_offset)
    return "tables out of order";
  return nullptr;
}

// The tables of a section whose header passed validate_header(): their checksum, and every
// index and offset in them. Returns a reason, or null.
inline const char* validate_tables(const Header& h, const unsigned char* section) {
  if (checksum(section + h.roots_offset, h.relocs_offset - h.roots_offset) != h.tables_checksum)
    return "table checksum mismatch";
  const char* strings = reinterpret_cast<const char*>(section + h.strings_offset);
  if (strings[h.strings_size - 1] != 0) return "string table is not terminated";
  auto* roots = reinterpret_cast<const RootEntry*>(section + h.roots_offset);
  for (std::uint32_t i = 0; i < h.root_count; ++i)
    if (roots[i].name_offset >= h.strings_size || roots[i].align == 0 ||
        !in_bounds(roots[i].object_offset, roots[i].size, h.arena_size) || roots[i].object_offset % roots[i].align)
      return "a root lies outside the arena";
  auto* modules = reinterpret_cast<const ModuleEntry*>(section + h.modules_offset);
  for (std::uint32_t m = 0; m < h.module_count; ++m) {
    const ModuleEntry& mod = modules[m];
    if (mod.kind != ModuleKind::executable && mod.kind != ModuleKind::shared_library &&
        mod.kind != ModuleKind::executable_fixed)
      return "unknown module kind";
    if (mod.first_reloc > h.reloc_count || mod.reloc_count > h.reloc_count - mod.first_reloc ||
        mod.name_offset >= h.strings_size || mod.build_id_size > sizeof(mod.build_id))
      return "a module entry lies outside the tables";
  }
  auto* globals = reinterpret_cast<const GlobalReloc*>(section + h.globals_offset);
  for (std::uint64_t i = 0; i < h.global_count; ++i) {
    const GlobalReloc& g = globals[i];
    if (g.module >= h.module_count || g.offset % 8 || g.kind > GlobalKind::guard ||
        (g.kind == GlobalKind::arena && g.value > h.arena_size) ||
        (g.kind == GlobalKind::module_pointer ? g.target_module >= h.module_count : g.target_module != 0))
      return "a global relocation lies outside the tables";
  }
  auto* exits = reinterpret_cast<const ExitEntry*>(section + exits_offset(h));
  for (std::uint32_t i = 0; i < h.exit_count; ++i)
    if (exits[i].fn_module >= h.module_count || exits[i].dso_module >= h.module_count || exits[i].reserved ||
        (exits[i].obj_module >= h.module_count && !(exits[i].obj_module == kNoModule && exits[i].obj == 0)))
      return "an exit handler lies outside the tables";
  // Compressed chunks: in order, covering the arena exactly, each stored inside the section.
  if (h.compression != std::uint32_t(Compression::none)) {
    auto* chunks = reinterpret_cast<const ChunkEntry*>(section + h.chunks_offset);
    std::uint64_t raw = 0;
    for (std::uint32_t i = 0; i < h.chunk_count; ++i) {
      if (chunks[i].raw_offset != raw || chunks[i].raw_offset % kPageSize || chunks[i].raw_size > h.arena_size - raw ||
          !in_bounds(chunks[i].stored_offset, chunks[i].stored_size, h.stored_size))
        return "a compressed chunk lies outside the arena";
      raw += chunks[i].raw_size;
    }
    if (raw != h.arena_size) return "compressed chunks do not cover the arena";
  } else if (h.chunk_count != 0) {
    return "chunks in an uncompressed image";
  }
  return nullptr;
}

// The module relocations of a section whose tables passed validate_tables(): their checksum and
// every offset and symbol index. Only needed when relocations are applied.
inline const char* validate_relocs(const Header& h, const unsigned char* section) {
  if (checksum(section + h.relocs_offset, h.reloc_count * sizeof(ModuleReloc)) != h.relocs_checksum)
    return "relocation checksum mismatch";
  auto* relocs = reinterpret_cast<const ModuleReloc*>(section + h.relocs_offset);
  auto* symbols = reinterpret_cast<const SymbolEntry*>(section + h.symbols_offset);
  for (std::uint64_t i = 0; i < h.reloc_count; ++i)
    if (relocs[i].arena_offset % 8 || h.arena_size < 8 || relocs[i].arena_offset > h.arena_size - 8 ||
        (relocs[i].symbol != kNoSymbol &&
         (relocs[i].symbol >= h.symbol_count || symbols[relocs[i].symbol].name_offset >= h.strings_size)))
      return "a relocation lies outside the tables";
  return nullptr;
}

// Moves every arena pointer among the arena's bytes [begin, end) by delta, from the bitmap of a
// section whose header and tables passed validation and whose bitmap matched bitmap_checksum:
// for an image mapped somewhere other than preferred_base. `range` holds those bytes (in the
// arena itself, or a buffer they are prepared in). Writes only inside it, so workers can move
// disjoint ranges at once.
inline void relocate_range(const Header& h, const unsigned char* section, unsigned char* range, std::uint64_t delta,
                           std::uint64_t begin, std::uint64_t end) {
  const unsigned char* bits = section + h.bitmap_offset;
  const std::uint64_t first = (begin + 7) / 8, last = (end < h.arena_size ? end : h.arena_size) / 8;
  for (std::uint64_t b = first / 64; b * 64 < last && b < h.bitmap_size / 8; ++b) {
    std::uint64_t mask;
    std::memcpy(&mask, bits + b * 8, 8);
    if (b == first / 64 && first % 64) mask &= ~std::uint64_t(0) << (first % 64);
    for (; mask; mask &= mask - 1) {
      std::uint64_t w = b * 64 + std::uint64_t(__builtin_ctzll(mask));
      if (w >= last) break;
      unsigned char* at = range + (w * 8 - begin);
      std::uint64_t v;
      std::memcpy(&v, at, 8);
      v += delta;
      std::memcpy(at, &v, 8);
    }
  }
}

inline void relocate_arena(const Header& h, unsigned char* section, std::uint64_t delta, std::uint64_t begin,
                           std::uint64_t end) {
  relocate_range(h, section, section + h.arena_offset + begin, delta, begin, end);
}

inline void relocate_arena(const Header& h, unsigned char* section, std::uint64_t delta) {
  relocate_arena(h, section, delta, 0, h.arena_size);
}

}  // namespace fastboot::image
