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

void Symbolizer::forget() { impl_->flush(); }

Symbolizer::Site Symbolizer::site(std::uint64_t addr) {
  const Module* m = module_holding(run_, addr);
  if (!m) return {fmt::format("{:#x}", addr), ""};
  std::uint64_t vaddr = addr - m->bias;
  std::string file = std::filesystem::path(m->name).filename().string();
  // `fastboot-bake link` bakes the program under a temporary name; the user knows it by its own.
  if (const std::string unbaked = ".fastboot-unbaked"; file.ends_with(unbaked)) file.resize(file.size() - unbaked.size());
  // A return address points after the call; look up the call itself.
  auto frames = impl_->symbolizeInlinedCode(m->name, {vaddr - 1, llvm::object::SectionedAddress::UndefSection});
  if (!frames || frames->getNumberOfFrames() == 0) {
    if (!frames) llvm::consumeError(frames.takeError());
    return {fmt::format("{}+{:#x}", file, vaddr), ""};
  }
  auto name = [](const llvm::DILineInfo& f) { return f.FunctionName == llvm::DILineInfo::BadString ? "" : f.FunctionName; };
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
  std::string fn = name(*info), innermost = name(frames->getFrame(0));
  if (info->Line != 0 && info->FileName != llvm::DILineInfo::BadString)
    return {fmt::format("{} at {}:{}", fn.empty() ? "?" : fn, std::filesystem::path(info->FileName).filename().string(),
                        info->Line),
            innermost};
  if (!fn.empty()) return {fmt::format("{} in {}+{:#x}", fn, file, vaddr), innermost};
  return {fmt::format("{}+{:#x}", file, vaddr), innermost};
}

DataSymbol Symbolizer::data_symbol(const Module& m, std::uint64_t vaddr) {
  auto info = impl_->symbolizeData(m.name, {vaddr, llvm::object::SectionedAddress::UndefSection});
  if (!info) {
    llvm::consumeError(info.takeError());
    return {};
  }
  if (info->Name == llvm::DILineInfo::BadString || info->Name.empty()) return {};
  return {info->Name, info->Start, info->Size};
}

}  // namespace fastboot::baker
