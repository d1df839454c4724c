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
    // A return address points after the call; look up the call itself.
    auto info = impl_->symbolizeCode(m.name, {vaddr - 1, llvm::object::SectionedAddress::UndefSection});
    if (!info) {
      llvm::consumeError(info.takeError());
      return fmt::format("{}+{:#x}", file, vaddr);
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

}  // namespace fastboot::baker
