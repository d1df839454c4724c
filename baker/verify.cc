#include "verify.h"

#include <llvm/Config/llvm-config.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm/Support/MemoryBuffer.h>

#include <cstring>

#include "fastboot/image-validate.h"

#include "fastboot/image-chunks.h"
#include <fstream>

namespace fastboot::baker {

namespace {

using llvm::object::ELF64LEObjectFile;

std::string message(llvm::Error e) { return llvm::toString(std::move(e)); }

// The ELF header is mapped with the first segment, but the fields that locate the section
// headers (e_shoff, e_shnum, e_shstrndx) change when a section is added; nothing at run time
// reads them.
bool same_loaded_bytes(const char* a, const char* b, const LoadSegment& s) {
  struct Range {
    std::uint64_t begin, end;
  };
  const Range unread[] = {{0x28, 0x30}, {0x3c, 0x40}};
  std::uint64_t pos = s.offset, end = s.offset + s.filesz;
  for (const Range& r : unread) {
    if (r.begin < pos || r.end > end) continue;
    if (std::memcmp(a + pos, b + pos, r.begin - pos) != 0) return false;
    pos = r.end;
  }
  return std::memcmp(a + pos, b + pos, end - pos) == 0;
}

}  // namespace

std::optional<ExecutableInfo> read_executable(Context& ctx, const std::string& path) {
  auto binary = llvm::object::ObjectFile::createObjectFile(path);
  if (!binary) {
    error(ctx) << path << ": " << message(binary.takeError());
    return std::nullopt;
  }
  auto* elf = llvm::dyn_cast<ELF64LEObjectFile>(binary->getBinary());
  if (!elf) {
    error(ctx) << path << ": not a 64-bit little-endian ELF file";
    return std::nullopt;
  }
  const auto& file = elf->getELFFile();
  ExecutableInfo info;
  auto phdrs = file.program_headers();
  if (!phdrs) {
    error(ctx) << path << ": " << message(phdrs.takeError());
    return std::nullopt;
  }
  for (const auto& ph : *phdrs)
    if (ph.p_type == llvm::ELF::PT_LOAD)
      info.loads.push_back({ph.p_offset, ph.p_vaddr, ph.p_filesz, ph.p_memsz, ph.p_flags, ph.p_align});
  auto sections = file.sections();
  if (!sections) {
    error(ctx) << path << ": " << message(sections.takeError());
    return std::nullopt;
  }
  const auto* base = reinterpret_cast<const char*>(file.base());
  for (const auto& sh : *sections) {
    auto name = file.getSectionName(sh);
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    if (*name == ".fastboot") {
      info.has_image = true;
      info.image_offset = sh.sh_offset;
      info.image_size = sh.sh_size;
    }
    if (sh.sh_type == llvm::ELF::SHT_NOTE) {
      llvm::Error err = llvm::Error::success();
      for (const auto& note : file.notes(sh, err)) {
        if (note.getType() == llvm::ELF::NT_GNU_BUILD_ID && note.getName() == "GNU") {
#if LLVM_VERSION_MAJOR >= 17
          auto desc = note.getDesc(sh.sh_addralign);
#else
          auto desc = note.getDesc();
#endif
          info.build_id.assign(desc.begin(), desc.end());
          info.build_id_offset = std::uint64_t(reinterpret_cast<const char*>(desc.data()) - base);
        }
      }
      if (err) llvm::consumeError(std::move(err));
    }
  }
  return info;
}

void patch_build_id(Context& ctx, const std::string& path, const ExecutableInfo& info,
                    const std::vector<std::uint8_t>& build_id) {
  if (info.build_id.size() != build_id.size() || build_id.empty()) {
    error(ctx) << path << ": build-id changed size across the relink";
    return;
  }
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(std::streamoff(info.build_id_offset));
  f.write(reinterpret_cast<const char*>(build_id.data()), std::streamsize(build_id.size()));
  if (!f) error(ctx) << path << ": cannot write the build-id";
}

void verify_baked(Context& ctx, const std::string& unbaked, const std::string& baked,
                  const SectionImage& image) {
  Timer timer(ctx, "verify");
  auto before = read_executable(ctx, unbaked);
  auto after = read_executable(ctx, baked);
  if (!before || !after) return;
  if (!after->has_image) {
    error(ctx) << baked << ": no .fastboot section after linking the image; does the link drop "
               << "unreferenced sections?";
    return;
  }
  if (after->image_offset % 4096)
    error(ctx) << baked << ": .fastboot is at file offset " << after->image_offset
               << ", not page-aligned; a linker script that places .fastboot must align it to 4096 (see linker-scripts/fastboot.ld)";
  if (after->image_size != image.size)
    error(ctx) << baked << ": .fastboot holds " << after->image_size << " bytes, the image is " << image.size;
  if (before->loads != after->loads) {
    error(ctx) << baked << ": linking the image moved loadable segments (" << before->loads.size()
               << " before, " << after->loads.size() << " after); the image would not match the code";
    return;
  }
  auto a = llvm::MemoryBuffer::getFile(unbaked, false, false);
  auto b = llvm::MemoryBuffer::getFile(baked, false, false);
  if (!a || !b) {
    error(ctx) << "cannot read " << unbaked << " or " << baked;
    return;
  }
  const char* pa = (*a)->getBufferStart();
  const char* pb = (*b)->getBufferStart();
  for (const LoadSegment& s : before->loads) {
    if (s.offset + s.filesz > (*a)->getBufferSize() || s.offset + s.filesz > (*b)->getBufferSize() ||
        !same_loaded_bytes(pa, pb, s)) {
      error(ctx) << baked << ": the loadable segment at address " << fmt::format("{:#x}", s.vaddr)
                 << " differs from the executable that was baked";
    }
  }
  if (after->image_size == image.size && after->image_offset + image.size <= (*b)->getBufferSize() &&
      !image.equals(reinterpret_cast<const unsigned char*>(pb) + after->image_offset))
    error(ctx) << baked << ": the .fastboot section does not hold the image that was written";
}

std::string image_problem(Context& ctx, const std::string& path) {
  auto info = read_executable(ctx, path);
  if (!info) return ctx.errors.empty() ? "not readable" : ctx.errors.back();
  if (!info->has_image) return "no .fastboot section (the program was not baked)";
  auto file = llvm::MemoryBuffer::getFile(path, false, false);
  if (!file) return "cannot read the file";
  const auto* bytes = reinterpret_cast<const unsigned char*>((*file)->getBufferStart());
  if (info->image_offset + info->image_size > (*file)->getBufferSize()) return "the .fastboot section is truncated";
  if (info->image_offset % fastboot::image::kPageSize) return "the .fastboot section is not page-aligned in the file";
  if (info->image_size < sizeof(fastboot::image::Header)) return "the .fastboot section is too small";
  const unsigned char* section = bytes + info->image_offset;
  fastboot::image::Header h;
  std::memcpy(&h, section, sizeof(h));
  if (const char* why = fastboot::image::validate_header(h, info->image_size)) return why;
  if (h.build_id_size != info->build_id.size() ||
      std::memcmp(h.build_id, info->build_id.data(), info->build_id.size()) != 0)
    return "the image belongs to another build of this program (build-id differs)";
  if (const char* why = fastboot::image::validate_tables(h, section)) return why;
  if (const char* why = fastboot::image::validate_relocs(h, section)) return why;
  if (fastboot::image::checksum(section + h.bitmap_offset, h.bitmap_size) != h.bitmap_checksum)
    return "relocation bitmap checksum mismatch";
  std::vector<unsigned char> raw;  // the arena as the program sees it
  const unsigned char* arena = section + h.arena_offset;
  if (h.compression != std::uint32_t(fastboot::image::Compression::none)) {
    raw.resize(h.arena_size);
    auto* chunks = reinterpret_cast<const fastboot::image::ChunkEntry*>(section + h.chunks_offset);
    for (std::uint32_t i = 0; i < h.chunk_count; ++i) {
      if (fastboot::image::chunk_checksum(arena + chunks[i].stored_offset, chunks[i].stored_size) != chunks[i].checksum)
        return "the compressed arena is damaged";
      if (const char* why = fastboot::image::decompress_chunk(h.compression, chunks[i], arena, raw.data()))
        return why;
    }
    arena = raw.data();
  }
  if (fastboot::image::checksum(arena, h.arena_size) != h.arena_checksum) return "arena checksum mismatch";
  return "";
}

}  // namespace fastboot::baker
