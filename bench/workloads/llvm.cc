// An LLVM module parsed from IR text at startup (a compiler's or JIT's runtime library, say), baked
// ADDRESS_STABLE: LLVM's context uniques types and constants in tables hashed on pointers. The
// serialized alternative is the same module in LLVM's own binary format, bitcode.
#include <llvm/AsmParser/Parser.h>
#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/Bitcode/BitcodeWriter.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/raw_ostream.h>

#include <iterator>

#include "harness.h"

struct Ir {
  struct Data {
    std::unique_ptr<llvm::LLVMContext> context;
    std::unique_ptr<llvm::Module> module;
  };
  static Data build() {
    Data d;
    d.context = std::make_unique<llvm::LLVMContext>();
    llvm::SMDiagnostic error;
    d.module = llvm::parseAssemblyFile(IR_FILE, error, *d.context);
    if (!d.module) throw std::runtime_error(error.getMessage().str());
    return d;
  }
  static void save(const Data& d, std::ostream& out) {
    std::string bytes;
    llvm::raw_string_ostream os(bytes);
    llvm::WriteBitcodeToFile(*d.module, os);
    os.flush();
    out.write(bytes.data(), std::streamsize(bytes.size()));
  }
  static Data load(std::istream& in) {
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Data d;
    d.context = std::make_unique<llvm::LLVMContext>();
    auto module = llvm::parseBitcodeFile(llvm::MemoryBufferRef(bytes, "bitcode"), *d.context);
    if (!module) throw std::runtime_error(llvm::toString(module.takeError()));
    d.module = std::move(*module);
    if (llvm::Error e = d.module->materializeAll()) throw std::runtime_error(llvm::toString(std::move(e)));
    return d;
  }
  static std::uint64_t first(const Data& d) { return d.module->getFunction("f4242")->getInstructionCount(); }
  static std::uint64_t query(const Data& d, std::uint64_t i) {
    const llvm::Function* f = d.module->getFunction("f" + std::to_string(i % 20000));
    return f->getInstructionCount() + f->getNumUses();
  }
  static std::uint64_t touch_all(const Data& d) {
    std::uint64_t sum = 0;
    for (const llvm::Function& f : *d.module) sum += f.getInstructionCount();
    return sum;
  }
};

static FASTBOOT_BENCH_ROOT<Ir::Data> module{"module", [] { return Ir::build(); }};

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "generate") == 0) {  // writes the benchmark's IR
    std::ofstream out(argv[2]);
    out << "%pair = type { i32, i64 }\n@greeting = private constant [6 x i8] c\"hello\\00\"\n"
        << "declare i32 @puts(ptr)\n";
    for (int i = 0; i < 20000; ++i) {
      out << "define i32 @f" << i << "(i32 %n, ptr %p) {\nentry:\n"
          << "  %slot = getelementptr %pair, ptr %p, i32 0, i32 1\n  br label %loop\nloop:\n"
          << "  %i = phi i32 [ 0, %entry ], [ %next, %loop ]\n"
          << "  %acc = phi i32 [ " << i << ", %entry ], [ %sum, %loop ]\n"
          << "  %sum = add i32 %acc, %i\n  %next = add i32 %i, 1\n  %done = icmp sge i32 %next, %n\n"
          << "  br i1 %done, label %exit, label %loop\nexit:\n  store i64 " << i * 3 << ", ptr %slot\n";
      if (i) out << "  %r = call i32 @f" << i / 2 << "(i32 %sum, ptr %p)\n";
      else out << "  %r = call i32 @puts(ptr @greeting)\n";
      out << "  %x = xor i32 %r, " << i + 7 << "\n  ret i32 %x\n}\n";
    }
    return out ? 0 : 1;
  }
  return workload::run<Ir>(argc, argv, module);
}
