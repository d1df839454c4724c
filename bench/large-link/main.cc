// A tool that links all of LLVM's targets and keeps a word list as its root: the link is the
// slow part of building it, the root a small one.
#include <fastboot/fastboot.hpp>

#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IRReader/IRReader.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/TargetSelect.h>

#include <cstdio>
#include <string>
#include <unordered_map>

static fastboot::root<std::unordered_map<std::string, int>> words{"words", [] {
  std::unordered_map<std::string, int> m;
  unsigned x = 1;
  for (int i = 0; i < 200000; ++i) {
    std::string w;
    for (int k = 0, n = 3 + int(x % 9); k < n; ++k) x = x * 1103515245u + 12345u, w += char('a' + (x >> 16) % 26);
    m.emplace(std::move(w), i);
  }
  return m;
}};

int main(int argc, char** argv) {
  if (argc > 1) {  // what keeps every target's code in the link
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers();
    llvm::LLVMContext context;
    llvm::SMDiagnostic error;
    auto module = llvm::parseIRFile(argv[1], error, context);
    std::printf("%s: %zu functions, %d targets\n", argv[1], module ? module->size() : 0,
                int(std::distance(llvm::TargetRegistry::targets().begin(), llvm::TargetRegistry::targets().end())));
    return 0;
  }
  std::printf("%zu words\n", words->size());
}
