// An LLVM module parsed from IR text, baked ADDRESS_STABLE: the LLVMContext uniques its types
// and constants in DenseMaps and FoldingSets hashed on pointers, and the module's symbol tables
// and use lists point between its values. Queried after start: function names, instruction
// counts, a printed function, and lookups that hash pointers in this process (a function type
// uniqued again must be the one the module holds).
#include <llvm/AsmParser/Parser.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/raw_ostream.h>

#include <memory>
#include <string>

#include "e2e.h"

namespace {

struct Parsed {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
};

// Functions that loop, branch, call each other and use a global string and a struct type.
std::string ir_text(int functions) {
  std::string ir =
      "%pair = type { i32, i64 }\n"
      "@greeting = private constant [13 x i8] c\"hello, world\\00\"\n"
      "declare i32 @puts(ptr)\n";
  for (int i = 0; i < functions; ++i) {
    std::string f = "f" + std::to_string(i), callee = i ? "@f" + std::to_string(i / 2) : "@puts";
    ir += "define i32 @" + f + "(i32 %n, ptr %p) {\n"
          "entry:\n"
          "  %slot = getelementptr %pair, ptr %p, i32 0, i32 1\n"
          "  br label %loop\n"
          "loop:\n"
          "  %i = phi i32 [ 0, %entry ], [ %next, %loop ]\n"
          "  %acc = phi i32 [ " + std::to_string(i) + ", %entry ], [ %sum, %loop ]\n"
          "  %sum = add i32 %acc, %i\n"
          "  %next = add i32 %i, 1\n"
          "  %done = icmp sge i32 %next, %n\n"
          "  br i1 %done, label %exit, label %loop\n"
          "exit:\n"
          "  store i64 " + std::to_string(i * 3) + ", ptr %slot\n";
    ir += i ? "  %r = call i32 " + callee + "(i32 %sum, ptr %p)\n" : "  %r = call i32 @puts(ptr @greeting)\n";
    ir += "  %x = xor i32 %r, " + std::to_string(i + 7) + "\n  ret i32 %x\n}\n";
  }
  return ir;
}

fastboot::root<Parsed> parsed{"module", [] {
  ++initializer_runs;
  Parsed p;
  p.context = std::make_unique<llvm::LLVMContext>();
  llvm::SMDiagnostic error;
  p.module = llvm::parseAssemblyString(ir_text(400), error, *p.context);
  if (!p.module) throw std::runtime_error(error.getMessage().str());
  return p;
}};

}  // namespace

int main() {
  take_base_if_asked();
  const llvm::Module& m = *parsed->module;
  std::size_t functions = 0, instructions = 0, calls = 0;
  for (const llvm::Function& f : m) {
    ++functions;
    for (const llvm::BasicBlock& b : f)
      for (const llvm::Instruction& i : b) ++instructions, calls += llvm::isa<llvm::CallInst>(i);
  }
  std::printf("module: %zu functions, %zu instructions, %zu calls\n", functions, instructions, calls);
  const llvm::Function* f42 = m.getFunction("f42");
  std::string callee;
  for (const llvm::Instruction& i : f42->back())
    if (const auto* call = llvm::dyn_cast<llvm::CallInst>(&i)) callee = call->getCalledFunction()->getName().str();
  std::printf("f42: %zu blocks, %u uses, calls %s\n", f42->size(), f42->getNumUses(), callee.c_str());
  // Types and constants are uniqued through tables hashed on pointers: asking again must give
  // the objects the module holds.
  llvm::LLVMContext& context = *parsed->context;
  llvm::Type* i32 = llvm::Type::getInt32Ty(context);
  llvm::FunctionType* type = llvm::FunctionType::get(i32, {i32, llvm::PointerType::get(context, 0)}, false);
  std::printf("function type uniqued: %s, struct type found: %s\n", type == f42->getFunctionType() ? "same" : "different",
              llvm::StructType::getTypeByName(context, "pair") ? "yes" : "no");
  std::string text;
  llvm::raw_string_ostream out(text);
  m.getFunction("f3")->print(out);
  std::printf("%s", out.str().c_str());
  print_status();
}
