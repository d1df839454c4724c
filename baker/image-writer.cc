#include "image-writer.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fastboot/image-format.h"

namespace fastboot::baker {

namespace img = fastboot::image;

namespace {

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

template <class T>
void put(std::vector<std::uint8_t>& out, std::uint64_t off, const T& v) {
  std::memcpy(out.data() + off, &v, sizeof(T));
}

// The image; with `in_place` (a.arena's own bytes, uncompressed), only the part before the arena,
// which is laid out there.
std::vector<std::uint8_t> lay_out(Context& ctx, const Dump& a, const Classification& c, const Resolution& res,
                                  const std::vector<GlobalRestore>& restores, Compressor compress_arena,
                                  const std::vector<ExitHandler>& exits, std::uint8_t* in_place) {
  // Strings: root names, then module names, then symbol names.
  std::vector<std::uint8_t> strings;
  auto add_string = [&](const std::string& s) {
    std::uint64_t off = strings.size();
    strings.insert(strings.end(), s.begin(), s.end());
    strings.push_back(0);
    return off;
  };

  std::vector<img::RootEntry> roots;
  for (const Root& r : a.roots)
    roots.push_back({add_string(r.name), r.object_offset, r.size, r.align, r.type_hash});

  // One module entry per module that is pointed into, with its run of relocations.
  std::vector<img::ModuleEntry> modules;
  std::vector<img::ModuleReloc> relocs;
  std::size_t i = 0;  // module pointers are grouped by module, in the order of res.modules
  for (const ResolvedModule& mod : res.modules) {
    img::ModuleEntry e{};
    // A program linked at a fixed address loads there every time: store its pointers applied.
    bool fixed = mod.is_executable && a.modules[mod.module].bias == 0;
    e.kind = fixed ? img::ModuleKind::executable_fixed
                   : mod.is_executable ? img::ModuleKind::executable : img::ModuleKind::shared_library;
    e.name_offset = add_string(mod.name);
    e.build_id_size = std::uint32_t(std::min<std::size_t>(mod.build_id.size(), 32));
    std::memcpy(e.build_id, mod.build_id.data(), e.build_id_size);
    e.first_reloc = relocs.size();
    for (; i < c.module_pointers.size() && c.module_pointers[i].module == mod.module; ++i)
      relocs.push_back({c.module_pointers[i].arena_offset, module_target(a, c.module_pointers[i]),
                        res.symbol_of[i] == ~0u ? img::kNoSymbol : res.symbol_of[i], 0});
    e.reloc_count = relocs.size() - e.first_reloc;
    modules.push_back(e);
  }
  std::vector<img::SymbolEntry> symbols;
  for (const ExportedSymbol& s : res.symbols) symbols.push_back({add_string(s.name), s.value});
  auto entry_of = [&](std::uint32_t module) {
    std::uint32_t index = 0;
    while (res.modules.at(index).module != module) ++index;
    return index;
  };
  // Globals in the order they are written: a static's guard after every word of it.
  std::vector<img::GlobalReloc> globals;
  for (bool guards : {false, true})
    for (const GlobalRestore& g : restores) {
      if ((g.kind == GlobalRestore::guard) != guards) continue;
      img::GlobalReloc e{entry_of(g.module), img::GlobalKind::arena, 0, g.offset, g.arena_offset};
      if (g.kind == GlobalRestore::plain) e.kind = img::GlobalKind::value, e.value = g.value;
      if (g.kind == GlobalRestore::guard) e.kind = img::GlobalKind::guard, e.value = g.value;
      if (g.kind == GlobalRestore::module_pointer) {
        e.kind = img::GlobalKind::module_pointer;
        e.target_module = std::uint16_t(entry_of(g.target_module));
        e.value = g.value;
      }
      globals.push_back(e);
    }
  std::vector<img::ExitEntry> exit_entries;
  for (const ExitHandler& x : exits)
    exit_entries.push_back({entry_of(x.fn_module), x.obj_module == ExitHandler::kNull ? img::kNoModule : entry_of(x.obj_module),
                            entry_of(x.dso_module), 0, x.fn, x.obj, x.dso});
  if (strings.empty()) strings.push_back(0);

  img::Header h{};
  std::memcpy(h.magic, img::kMagic, sizeof(h.magic));
  h.version = img::kImageVersion;
  h.header_size = sizeof(img::Header);
  h.roots_offset = align_up(sizeof(img::Header), 8);
  h.root_count = std::uint32_t(roots.size());
  h.modules_offset = h.roots_offset + roots.size() * sizeof(img::RootEntry);
  h.module_count = std::uint32_t(modules.size());
  h.reloc_count = relocs.size();
  h.symbols_offset = h.modules_offset + modules.size() * sizeof(img::ModuleEntry);
  h.symbol_count = std::uint32_t(symbols.size());
  h.globals_offset = h.symbols_offset + symbols.size() * sizeof(img::SymbolEntry);
  h.global_count = globals.size();
  h.exit_count = std::uint32_t(exit_entries.size());

  // The arena as the program will see it, written at `to`: module pointers hold run A's load
  // addresses: zero them so the image does not depend on ASLR; arena pointers hold run A's
  // addresses: an image based elsewhere moves them there.
  const std::uint64_t base = ctx.opts.image_base ? ctx.opts.image_base : a.arena_base;
  const std::uint64_t arena_size = a.arena.size();
  auto lay_arena = [&](std::uint8_t* to) {
    if (arena_size && to != a.arena.data()) std::memcpy(to, a.arena.data(), arena_size);
    for (const img::ModuleEntry& m : modules)
      for (std::uint64_t i = m.first_reloc; i < m.first_reloc + m.reloc_count; ++i) {
        if (relocs[i].arena_offset + 8 > arena_size) continue;
        std::uint64_t value = m.kind == img::ModuleKind::executable_fixed ? relocs[i].target : 0;
        std::memcpy(to + relocs[i].arena_offset, &value, 8);
      }
    if (base != a.arena_base)
      for (std::uint64_t w = 0; w < c.bitmap.size(); ++w)
        for (std::uint64_t bits = c.bitmap[w]; bits; bits &= bits - 1) {
          std::uint64_t off = (w * 64 + std::uint64_t(__builtin_ctzll(bits))) * 8, v;
          if (off + 8 > arena_size) continue;
          std::memcpy(&v, to + off, 8);
          v += base - a.arena_base;
          std::memcpy(to + off, &v, 8);
        }
  };
  std::vector<img::ChunkEntry> chunks;
  std::vector<std::uint8_t> stored;
  const bool compressed = ctx.opts.compress != img::Compression::none;
  if (compressed && !compress_arena) error(ctx) << "this tool cannot compress an image";
  // Compressed, the arena is laid out on its own first; else straight into the section.
  std::vector<std::uint8_t> raw;
  if (compressed) {
    raw.resize(arena_size);
    lay_arena(raw.data());
  }
  if (compressed && compress_arena) compress_arena(ctx, ctx.opts.compress, raw, &chunks, &stored);
  h.compression = std::uint32_t(ctx.opts.compress);
  h.flags = (ctx.opts.randomize_base ? std::uint32_t(img::kRandomizeBase) : 0u) |
            (ctx.opts.address_stable ? std::uint32_t(img::kFixedBase) : 0u);
  h.chunks_offset = img::exits_offset(h) + exit_entries.size() * sizeof(img::ExitEntry);
  h.chunk_count = std::uint32_t(chunks.size());
  h.strings_offset = h.chunks_offset + chunks.size() * sizeof(img::ChunkEntry);
  h.strings_size = strings.size();
  // The relocations last among the tables: under their own checksum, read only when applied.
  h.relocs_offset = align_up(h.strings_offset + h.strings_size, 8);
  h.bitmap_offset = h.relocs_offset + relocs.size() * sizeof(img::ModuleReloc);
  h.bitmap_size = (a.arena.size() / 8 + 63) / 64 * 8;
  h.arena_offset = align_up(h.bitmap_offset + h.bitmap_size, img::kPageSize);
  h.arena_size = a.arena.size();
  h.stored_size = compressed ? stored.size() : arena_size;
  h.section_size = align_up(h.arena_offset + h.stored_size, img::kPageSize);
  h.preferred_base = base;
  h.arena_pointer_count = c.arena_pointers;
  const Module& exe = a.modules.at(0);
  h.build_id_size = std::uint32_t(std::min<std::size_t>(exe.build_id.size(), 32));
  std::memcpy(h.build_id, exe.build_id.data(), h.build_id_size);

  std::vector<std::uint8_t> out(in_place ? h.arena_offset : h.section_size, 0);
  auto place = [&](std::uint64_t offset, const auto& table, std::uint64_t bytes) {
    if (bytes) std::memcpy(out.data() + offset, table.data(), bytes);  // an empty table may have no data()
  };
  place(h.roots_offset, roots, roots.size() * sizeof(img::RootEntry));
  place(h.modules_offset, modules, modules.size() * sizeof(img::ModuleEntry));
  place(h.relocs_offset, relocs, relocs.size() * sizeof(img::ModuleReloc));
  place(h.symbols_offset, symbols, symbols.size() * sizeof(img::SymbolEntry));
  place(h.globals_offset, globals, globals.size() * sizeof(img::GlobalReloc));
  place(img::exits_offset(h), exit_entries, exit_entries.size() * sizeof(img::ExitEntry));
  place(h.bitmap_offset, c.bitmap, h.bitmap_size);
  place(h.strings_offset, strings, strings.size());
  place(h.chunks_offset, chunks, chunks.size() * sizeof(img::ChunkEntry));
  if (compressed) place(h.arena_offset, stored, stored.size());
  else lay_arena(in_place ? in_place : out.data() + h.arena_offset);
  const std::uint8_t* arena = compressed ? raw.data() : in_place ? in_place : out.data() + h.arena_offset;

  h.tables_checksum = img::checksum(out.data() + h.roots_offset, h.relocs_offset - h.roots_offset);
  h.relocs_checksum = img::checksum(out.data() + h.relocs_offset, h.reloc_count * sizeof(img::ModuleReloc));
  h.bitmap_checksum = img::checksum(out.data() + h.bitmap_offset, h.bitmap_size);
  h.arena_checksum = img::checksum(arena, arena_size);  // of the arena as decompressed
  h.header_checksum = img::header_checksum(h);
  put(out, 0, h);
  if (ctx.opts.verbose && !ctx.opts.quiet)
    fmt::print(stderr, "fastboot-bake: image: {} bytes, arena {} bytes at {:#x} ({} stored), {} roots, {} module relocations\n",
               h.section_size, h.arena_size, h.preferred_base, h.stored_size, h.root_count, h.reloc_count);
  return out;
}

}  // namespace

std::vector<std::uint8_t> write_image(Context& ctx, const Dump& a, const Classification& c, const Resolution& r,
                                      const std::vector<GlobalRestore>& globals, Compressor compress,
                                      const std::vector<ExitHandler>& exits) {
  return lay_out(ctx, a, c, r, globals, compress, exits, nullptr);
}

SectionImage write_section(Context& ctx, Dump& a, const Classification& c, const Resolution& r,
                           const std::vector<GlobalRestore>& globals, Compressor compress,
                           const std::vector<ExitHandler>& exits) {
  SectionImage image;
  if (ctx.opts.compress != img::Compression::none) {
    image.head = lay_out(ctx, a, c, r, globals, compress, exits, nullptr);
    image.size = image.head.size();
    return image;
  }
  image.head = lay_out(ctx, a, c, r, globals, nullptr, exits, a.arena.data());
  image.size = align_up(image.head.size() + a.arena.size(), img::kPageSize);
  image.arena = std::move(a.arena);
  return image;
}

bool SectionImage::write_to(int fd, std::uint64_t at) const {
  static const std::uint8_t zeros[img::kPageSize] = {};
  const std::uint64_t tail = size - head.size() - arena.size();
  const struct {
    const std::uint8_t* data;
    std::uint64_t bytes;
  } parts[] = {{head.data(), head.size()}, {arena.data(), arena.size()}, {zeros, std::min<std::uint64_t>(tail, sizeof(zeros))}};
  for (const auto& part : parts) {
    for (std::uint64_t done = 0; done < part.bytes;) {
      ssize_t n = pwrite(fd, part.data + done, std::min<std::uint64_t>(part.bytes - done, 1u << 30), off_t(at + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += std::uint64_t(n);
    }
    at += part.bytes;
  }
  return true;
}

bool SectionImage::equals(const unsigned char* bytes) const {
  const std::uint64_t tail = size - head.size() - arena.size();
  if ((!head.empty() && std::memcmp(bytes, head.data(), head.size()) != 0) ||
      (!arena.empty() && std::memcmp(bytes + head.size(), arena.data(), arena.size()) != 0))
    return false;
  for (const unsigned char* p = bytes + head.size() + arena.size(); p < bytes + head.size() + arena.size() + tail; ++p)
    if (*p) return false;
  return true;
}

}  // namespace fastboot::baker
