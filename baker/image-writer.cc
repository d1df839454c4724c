#include "image-writer.h"

#include <lz4frame.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "fastboot/image-format.h"

namespace fastboot::baker {

namespace img = fastboot::image;

namespace {

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

template <class T>
void put(std::vector<std::uint8_t>& out, std::uint64_t off, const T& v) {
  std::memcpy(out.data() + off, &v, sizeof(T));
}

// COMPRESS: the arena as independent chunks, compressed in parallel, one chunk per worker at a
// time, each with checksums so a damaged chunk is caught. LZ4 chunks are 256 KiB frames of one
// block with a checksum of its stored bytes (LZ4's window is 64 KiB: larger chunks would not
// compress better, and small ones are quick to decompress on first touch and spread evenly over
// the cores); zstd frames are 4 MiB, with a checksum of their content.
void compress_arena(Context& ctx, img::Compression codec, const std::vector<std::uint8_t>& raw,
                    std::vector<img::ChunkEntry>* chunks, std::vector<std::uint8_t>* stored) {
  Timer timer(ctx, "compress");
  const std::uint64_t chunk_size = codec == img::Compression::lz4 ? 256 << 10 : 4 << 20;
  std::size_t n = (raw.size() + chunk_size - 1) / chunk_size;
  std::vector<std::vector<std::uint8_t>> frames(n);
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    LZ4F_preferences_t lz4{};
    lz4.frameInfo.blockSizeID = LZ4F_max256KB;
    lz4.frameInfo.blockMode = LZ4F_blockIndependent;
    lz4.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
    lz4.compressionLevel = 4;  // LZ4HC: decompresses as fast as level 1, stores about 15% less
    for (std::size_t i; (i = next++) < n;) {
      std::size_t begin = i * chunk_size, size = std::min<std::size_t>(chunk_size, raw.size() - begin);
      if (codec == img::Compression::lz4) {
        lz4.frameInfo.contentSize = size;
        frames[i].resize(LZ4F_compressFrameBound(size, &lz4));
        std::size_t got = LZ4F_compressFrame(frames[i].data(), frames[i].size(), raw.data() + begin, size, &lz4);
        frames[i].resize(LZ4F_isError(got) ? 0 : got);
      } else {
        frames[i].resize(ZSTD_compressBound(size));
        std::size_t got = ZSTD_compress2(cctx, frames[i].data(), frames[i].size(), raw.data() + begin, size);
        frames[i].resize(ZSTD_isError(got) ? 0 : got);
      }
    }
    ZSTD_freeCCtx(cctx);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, std::thread::hardware_concurrency()); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (std::size_t i = 0; i < n; ++i) {
    if (frames[i].empty()) {
      error(ctx) << "could not compress chunk " << i << " of the arena";
      continue;
    }
    std::uint64_t begin = i * chunk_size;
    chunks->push_back({stored->size(), frames[i].size(), begin, std::min<std::uint64_t>(chunk_size, raw.size() - begin),
                       img::chunk_checksum(frames[i].data(), frames[i].size())});
    stored->insert(stored->end(), frames[i].begin(), frames[i].end());
  }
}

}  // namespace

std::vector<std::uint8_t> write_image(Context& ctx, const Dump& a, const Classification& c,
                                      const Resolution& res, const std::vector<GlobalRestore>& restores) {
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
      relocs.push_back({c.module_pointers[i].arena_offset, c.module_pointers[i].target,
                        res.symbol_of[i] == ~0u ? img::kNoSymbol : res.symbol_of[i], 0});
    e.reloc_count = relocs.size() - e.first_reloc;
    modules.push_back(e);
  }
  std::vector<img::SymbolEntry> symbols;
  for (const ExportedSymbol& s : res.symbols) symbols.push_back({add_string(s.name), s.value});
  std::vector<img::GlobalReloc> globals;
  for (const GlobalRestore& g : restores) {
    std::uint32_t index = 0;
    while (res.modules.at(index).module != g.module) ++index;
    globals.push_back({index, 0, g.offset, g.arena_offset});
  }
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

  // The arena as the program will see it; module pointers hold run A's load addresses: zero
  // them so the image does not depend on ASLR.
  std::vector<std::uint8_t> raw = a.arena;
  for (const img::ModuleEntry& m : modules)
    for (std::uint64_t i = m.first_reloc; i < m.first_reloc + m.reloc_count; ++i) {
      if (relocs[i].arena_offset + 8 > raw.size()) continue;
      std::uint64_t value = m.kind == img::ModuleKind::executable_fixed ? relocs[i].target : 0;
      std::memcpy(raw.data() + relocs[i].arena_offset, &value, 8);
    }
  std::vector<img::ChunkEntry> chunks;
  std::vector<std::uint8_t> stored;
  const bool compressed = ctx.opts.compress != img::Compression::none;
  if (compressed) compress_arena(ctx, ctx.opts.compress, raw, &chunks, &stored);
  h.compression = std::uint32_t(ctx.opts.compress);
  h.flags = ctx.opts.randomize_base ? std::uint32_t(img::kRandomizeBase) : 0u;
  h.chunks_offset = h.globals_offset + globals.size() * sizeof(img::GlobalReloc);
  h.chunk_count = std::uint32_t(chunks.size());
  h.strings_offset = h.chunks_offset + chunks.size() * sizeof(img::ChunkEntry);
  h.strings_size = strings.size();
  // The relocations last among the tables: under their own checksum, read only when applied.
  h.relocs_offset = align_up(h.strings_offset + h.strings_size, 8);
  h.bitmap_offset = h.relocs_offset + relocs.size() * sizeof(img::ModuleReloc);
  h.bitmap_size = (a.arena.size() / 8 + 63) / 64 * 8;
  h.arena_offset = align_up(h.bitmap_offset + h.bitmap_size, img::kPageSize);
  h.arena_size = a.arena.size();
  h.stored_size = compressed ? stored.size() : raw.size();
  h.section_size = align_up(h.arena_offset + h.stored_size, img::kPageSize);
  h.preferred_base = a.arena_base;
  h.arena_pointer_count = c.arena_pointers;
  const Module& exe = a.modules.at(0);
  h.build_id_size = std::uint32_t(std::min<std::size_t>(exe.build_id.size(), 32));
  std::memcpy(h.build_id, exe.build_id.data(), h.build_id_size);

  std::vector<std::uint8_t> out(h.section_size, 0);
  auto place = [&](std::uint64_t offset, const auto& table, std::uint64_t bytes) {
    if (bytes) std::memcpy(out.data() + offset, table.data(), bytes);  // an empty table may have no data()
  };
  place(h.roots_offset, roots, roots.size() * sizeof(img::RootEntry));
  place(h.modules_offset, modules, modules.size() * sizeof(img::ModuleEntry));
  place(h.relocs_offset, relocs, relocs.size() * sizeof(img::ModuleReloc));
  place(h.symbols_offset, symbols, symbols.size() * sizeof(img::SymbolEntry));
  place(h.globals_offset, globals, globals.size() * sizeof(img::GlobalReloc));
  place(h.bitmap_offset, c.bitmap, h.bitmap_size);
  place(h.strings_offset, strings, strings.size());
  place(h.chunks_offset, chunks, chunks.size() * sizeof(img::ChunkEntry));
  if (compressed) place(h.arena_offset, stored, stored.size());
  else place(h.arena_offset, raw, raw.size());

  h.tables_checksum = img::checksum(out.data() + h.roots_offset, h.relocs_offset - h.roots_offset);
  h.relocs_checksum = img::checksum(out.data() + h.relocs_offset, h.reloc_count * sizeof(img::ModuleReloc));
  h.bitmap_checksum = img::checksum(out.data() + h.bitmap_offset, h.bitmap_size);
  h.arena_checksum = img::checksum(raw.data(), raw.size());  // of the arena as decompressed
  h.header_checksum = img::header_checksum(h);
  put(out, 0, h);
  if (ctx.opts.verbose)
    fmt::print(stderr, "fastboot-bake: image: {} bytes, arena {} bytes at {:#x} ({} stored), {} roots, {} module relocations\n",
               out.size(), h.arena_size, h.preferred_base, h.stored_size, h.root_count, h.reloc_count);
  return out;
}

}  // namespace fastboot::baker
