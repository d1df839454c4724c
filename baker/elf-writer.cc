// LLVM's MC layer writes the object, as it does for the compiler: the section's flags and
// alignment, the symbol table and the .note.GNU-stack marker (so the executable does not get
// an executable stack) come out right without a hand-rolled ELF writer.
#include "elf-writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <llvm/BinaryFormat/ELF.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/MC/MCAsmBackend.h>
#include <llvm/MC/MCAsmInfo.h>
#include <llvm/MC/MCCodeEmitter.h>
#include <llvm/MC/MCContext.h>
#include <llvm/MC/MCInstrInfo.h>
#include <llvm/MC/MCObjectFileInfo.h>
#include <llvm/MC/MCObjectWriter.h>
#include <llvm/MC/MCRegisterInfo.h>
#include <llvm/MC/MCSectionELF.h>
#include <llvm/MC/MCStreamer.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/MCTargetOptions.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/raw_ostream.h>
#if LLVM_VERSION_MAJOR >= 17
#include <llvm/TargetParser/Triple.h>
#else
#include <llvm/ADT/Triple.h>
#endif

extern "C" void LLVMInitializeX86TargetInfo();
extern "C" void LLVMInitializeX86TargetMC();
extern "C" void LLVMInitializeAArch64TargetInfo();
extern "C" void LLVMInitializeAArch64TargetMC();

namespace fastboot::baker {

std::uint16_t native_machine() {
#if defined(__aarch64__)
  return llvm::ELF::EM_AARCH64;
#else
  return llvm::ELF::EM_X86_64;
#endif
}

std::string machine_name(std::uint16_t machine) {
  if (machine == llvm::ELF::EM_X86_64) return "x86-64";
  if (machine == llvm::ELF::EM_AARCH64) return "aarch64";
  return "ELF machine " + std::to_string(machine);
}

void write_image_object(Context& ctx, std::uint16_t machine, const SectionImage& image,
                        const std::vector<std::uint8_t>& report, const std::string& path) {
  Timer timer(ctx, "write object");
  const char* name = nullptr;
  if (machine == llvm::ELF::EM_X86_64) {
    LLVMInitializeX86TargetInfo();
    LLVMInitializeX86TargetMC();
    name = "x86_64-pc-linux-gnu";
  } else if (machine == llvm::ELF::EM_AARCH64) {
    LLVMInitializeAArch64TargetInfo();
    LLVMInitializeAArch64TargetMC();
    name = "aarch64-unknown-linux-gnu";
  } else {
    error(ctx) << "the program is for a machine fastboot does not support (ELF machine " << machine
               << "): it bakes x86-64 and aarch64 programs";
    return;
  }
  llvm::Triple triple(name);
  std::string err;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple.str(), err);
  if (!target) {
    error(ctx) << "LLVM has no " << triple.getArchName().str() << " target: " << err;
    return;
  }
  llvm::MCTargetOptions options;
  std::unique_ptr<llvm::MCRegisterInfo> regs(target->createMCRegInfo(triple.str()));
  std::unique_ptr<llvm::MCAsmInfo> asm_info(target->createMCAsmInfo(*regs, triple.str(), options));
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(target->createMCSubtargetInfo(triple.str(), "", ""));
  std::unique_ptr<llvm::MCInstrInfo> instrs(target->createMCInstrInfo());
  llvm::MCContext mc(triple, asm_info.get(), regs.get(), subtarget.get(), nullptr, &options);
  std::unique_ptr<llvm::MCObjectFileInfo> file_info(target->createMCObjectFileInfo(mc, /*PIC=*/true));
  mc.setObjectFileInfo(file_info.get());

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error(ctx) << path << ": cannot create: " << ec.message();
    return;
  }
  std::unique_ptr<llvm::MCAsmBackend> backend(target->createMCAsmBackend(*subtarget, *regs, options));
  std::unique_ptr<llvm::MCObjectWriter> writer = backend->createObjectWriter(os);
#if LLVM_VERSION_MAJOR >= 15
  std::unique_ptr<llvm::MCCodeEmitter> emitter(target->createMCCodeEmitter(*instrs, mc));
#else
  std::unique_ptr<llvm::MCCodeEmitter> emitter(target->createMCCodeEmitter(*instrs, *regs, mc));
#endif
  std::unique_ptr<llvm::MCStreamer> streamer(target->createMCObjectStreamer(
      triple, mc, std::move(backend), std::move(writer), std::move(emitter), *subtarget
#if LLVM_VERSION_MAJOR < 19  // the flags moved into MCTargetOptions
      , /*RelaxAll=*/false, /*IncrementalLinkerCompatible=*/false, /*DWARFMustBeAtTheEnd=*/false
#endif
      ));

  // Not SHF_ALLOC: every linker (GNU ld, gold, lld, mold) places the section after all loadable
  // content, in no segment, at its 4096-byte alignment in the file, so adding it moves nothing
  // the bake saw and no linker script is needed. SHF_GNU_RETAIN keeps GNU ld's --gc-sections
  // from dropping it (nothing refers to it).
  auto switch_to = [&](llvm::MCSection* section) {
#if LLVM_VERSION_MAJOR >= 15
    streamer->switchSection(section);
#else
    streamer->SwitchSection(section);
#endif
  };
  switch_to(mc.getELFSection(".fastboot", llvm::ELF::SHT_PROGBITS, llvm::ELF::SHF_GNU_RETAIN));
#if LLVM_VERSION_MAJOR >= 16
  streamer->emitValueToAlignment(llvm::Align(4096));
#else
  streamer->emitValueToAlignment(4096);
#endif
  // Zeros of the image's size, which the image replaces in the file once it is written: MC
  // would otherwise hold a second copy of it (hundreds of megabytes for a large heap).
  streamer->emitFill(image.size, 0);
  if (!report.empty()) {
    switch_to(mc.getELFSection(".fastboot.report", llvm::ELF::SHT_PROGBITS, llvm::ELF::SHF_GNU_RETAIN));
    streamer->emitBytes(llvm::StringRef(reinterpret_cast<const char*>(report.data()), report.size()));
  }
  switch_to(mc.getELFSection(".note.GNU-stack", llvm::ELF::SHT_PROGBITS, 0));
#if LLVM_VERSION_MAJOR >= 15
  streamer->finish();
#else
  streamer->Finish();
#endif
  os.close();
  if (os.has_error()) {
    error(ctx) << path << ": cannot write: " << os.error().message();
    os.clear_error();
    return;
  }
  if (image.size == 0) return;
  std::uint64_t at = 0;
  if (auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false)) {
    auto object = llvm::object::ObjectFile::createELFObjectFile((*buffer)->getMemBufferRef());
    if (!object) {
      llvm::consumeError(object.takeError());
    } else {
      for (const llvm::object::ELFSectionRef section : (*object)->sections()) {
        llvm::Expected<llvm::StringRef> name = section.getName();
        if (!name) {
          llvm::consumeError(name.takeError());
          continue;
        }
        if (*name == ".fastboot" && section.getSize() == image.size) at = section.getOffset();
      }
    }
  }
  int fd = at ? open(path.c_str(), O_WRONLY | O_CLOEXEC) : -1;
  bool ok = fd >= 0 && image.write_to(fd, at);
  if (fd >= 0 && close(fd) != 0) ok = false;
  if (!ok) error(ctx) << path << ": cannot write the image into its .fastboot section" << (at ? "" : " (no such section)");
}

}  // namespace fastboot::baker
