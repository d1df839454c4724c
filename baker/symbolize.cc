#include "symbolize.h"

#include <llvm/DebugInfo/Symbolize/Symbolize.h>
#include <llvm/Object/ObjectFile.h>

#include <filesystem>

namespace fastboot::baker {

Symbolizer::Symbolizer(const Dump& run) : run_(run) {
  llvm::symbolize::LLVMSymbolizer::Options opts;
  opts.Demangle = true;
  opts.RelativeAddresses = false;
  impl_ = std::make_unique<llvm::symbolize::LLVMSymbolizer>(opts);
}

Symbolizer::~Symbolizer() = default;

std::string Symbolizer::describe(std::uint64_t addr) {
  for (const Module& m : run_.modules) {
    bool inside = false;
    for (const Segment& s : m.segments) inside |= addr >= s.start && addr < s.end;
    if (!inside) continue;
    std::uint64_t vaddr = addr - m.bias;
    std::string file = std::filesystem::path(m.name).filename().string();
    // `fastboot-bake link` bakes the program under a temporary name; the user knows it by its own.
    if (const std::string unbaked = ".fastboot-unbaked"; file.ends_with(unbaked)) file.resize(file.size() - unbaked.size());
    // A return address points after the call; look up the call itself.
    auto frames = impl_->symbolizeInlinedCode(m.name, {vaddr - 1, llvm::object::SectionedAddress::UndefSection});
    if (!frames || frames->getNumberOfFrames() == 0) {
      if (!frames) llvm::consumeError(frames.takeError());
      return fmt::format("{}+{:#x}", file, vaddr);
    }
    // The allocation happens deep in library templates (std::allocator, make_unique); the user
    // wants the innermost frame that is their own code.
    const llvm::DILineInfo* info = &frames->getFrame(0);
    for (std::uint32_t i = 0; i < frames->getNumberOfFrames(); ++i) {
      const std::string& f = frames->getFrame(i).FileName;
      if (f != llvm::DILineInfo::BadString && f.rfind("/usr/", 0) != 0) {
        info = &frames->getFrame(i);
        break;
      }
    }
    std::string fn = info->FunctionName == llvm::DILineInfo::BadString ? "" : info->FunctionName;
    if (info->Line != 0 && info->FileName != llvm::DILineInfo::BadString)
      return fmt::format("{} at {}:{}", fn.empty() ? "?" : fn,
                         std::filesystem::path(info->FileName).filename().string(), info->Line);
    if (!fn.empty()) return fmt::format("{} in {}+{:#x}", fn, file, vaddr);
    return fmt::format("{}+{:#x}", file, vaddr);
  }
  return fmt::format("{:#x}", addr);
}

std::string Symbolizer::function_at(std::uint64_t addr) {
  for (const Module& m : run_.modules)
    for (const Segment& s : m.segments) {
      if (addr < s.start || addr >= s.end) continue;
      auto frames = impl_->symbolizeInlinedCode(m.name, {addr - m.bias - 1, llvm::object::SectionedAddress::UndefSection});
      if (!frames) {
        llvm::consumeError(frames.takeError());
        return "";
      }
      if (frames->getNumberOfFrames() == 0 || frames->getFrame(0).FunctionName == llvm::DILineInfo::BadString) return "";
      return frames->getFrame(0).FunctionName;
    }
  return "";
}

Symbolizer::DataSymbol Symbolizer::data_symbol(const Module& m, std::uint64_t vaddr) {
  auto info = impl_->symbolizeData(m.name, {vaddr, llvm::object::SectionedAddress::UndefSection});
  if (!info) {
    llvm::consumeError(info.takeError());
    return {};
  }
  if (info->Name == llvm::DILineInfo::BadString || info->Name.empty()) return {};
  return {info->Name, info->Start, info->Size};
}

}  // namespace fastboot::baker
