#include "vtables.h"

#include <llvm/Demangle/Demangle.h>
#include <llvm/Object/ELFObjectFile.h>
#include <llvm/Object/ObjectFile.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "resolve.h"

namespace fastboot::baker {

namespace {

using ELFT = llvm::object::ELF64LE;

struct VtableSymbol {
  std::uint64_t vaddr, size;
  std::string mangled;
};

// A word of a vtable as the dynamic loader leaves it: data, or a pointer into a module.
struct Word {
  bool pointer = false;
  std::uint32_t module = 0;
  std::uint64_t value = 0;  // data, or the target relative to the module's load bias
};

std::string message(llvm::Error e) { return llvm::toString(std::move(e)); }

// The newest clang that compiled part of the program, from .comment ("clang version 19.1.7").
int clang_major(const llvm::object::ELFFile<ELFT>& file, llvm::ArrayRef<ELFT::Shdr> sections) {
  int newest = 0;
  for (const auto& sh : sections) {
    auto name = file.getSectionName(sh);
    if (!name || *name != ".comment") {
      if (!name) llvm::consumeError(name.takeError());
      continue;
    }
    auto bytes = file.getSectionContents(sh);
    if (!bytes) {
      llvm::consumeError(bytes.takeError());
      continue;
    }
    std::string text(bytes->begin(), bytes->end());
    static const std::regex version("clang version ([0-9]+)");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), version); it != std::sregex_iterator(); ++it)
      newest = std::max(newest, std::stoi((*it)[1]));
  }
  return newest;
}

class Executable {
 public:
  Executable(Context& ctx, const Dump& a) : ctx_(ctx), a_(a) {}

  // Reads the vtable symbols and the dynamic relocations; a reason on failure.
  std::string open(const std::string& path) {
    auto binary = llvm::object::ObjectFile::createObjectFile(path);
    if (!binary) return message(binary.takeError());
    owner_ = std::move(*binary);
    auto* elf = llvm::dyn_cast<llvm::object::ELF64LEObjectFile>(owner_.getBinary());
    if (!elf) return "not a 64-bit ELF file";
    file_ = &elf->getELFFile();
    auto sections = file_->sections();
    if (!sections) return message(sections.takeError());
    sections_ = *sections;
    if (int clang = clang_major(*file_, sections_); clang >= 17)
      return fmt::format("clang {} compiled part of it, and clang 17 and later compile dynamic_cast to a final "
                         "class as a comparison with the vtable's address",
                         clang);
    for (const auto& sh : sections_) {
      if (sh.sh_type == llvm::ELF::SHT_SYMTAB) read_vtable_symbols(sh);
      if (sh.sh_type == llvm::ELF::SHT_RELA) read_relas(sh);
      if (sh.sh_type == llvm::ELF::SHT_RELR) read_relrs(sh);
    }
    if (vtables_.empty()) return "it has no symbol table (linked with -s?), so its vtables' extents are unknown";
    std::sort(vtables_.begin(), vtables_.end(), [](const auto& x, const auto& y) { return x.vaddr < y.vaddr; });
    return "";
  }

  const VtableSymbol* vtable_at(std::uint64_t vaddr) const {
    auto it = std::upper_bound(vtables_.begin(), vtables_.end(), vaddr,
                               [](std::uint64_t v, const VtableSymbol& s) { return v < s.vaddr; });
    if (it == vtables_.begin()) return nullptr;
    --it;
    return vaddr < it->vaddr + it->size ? &*it : nullptr;
  }

  // The words of [vaddr, vaddr + size) after dynamic relocation, or nothing if a word is not
  // understood.
  std::optional<std::vector<Word>> words(std::uint64_t vaddr, std::uint64_t size) {
    if (vaddr % 8 || size % 8) return std::nullopt;
    const auto* sh = section_at(vaddr, size);
    if (!sh || sh->sh_type == llvm::ELF::SHT_NOBITS) return std::nullopt;
    auto bytes = file_->getSectionContents(*sh);
    if (!bytes) {
      llvm::consumeError(bytes.takeError());
      return std::nullopt;
    }
    std::vector<Word> out(size / 8);
    for (std::uint64_t i = 0; i < out.size(); ++i) {
      std::uint64_t at = vaddr + i * 8;
      std::memcpy(&out[i].value, bytes->data() + (at - sh->sh_addr), 8);
      if (relr_.count(at)) {  // the addend is the word itself: a pointer into the executable
        out[i].pointer = true;
        continue;
      }
      auto r = relas_.find(at);
      if (r == relas_.end()) continue;
      const Rela& rela = r->second;
      if (rela.type == llvm::ELF::R_X86_64_RELATIVE) {
        out[i] = {true, 0, rela.addend};
      } else if (rela.type == llvm::ELF::R_X86_64_64 && !rela.symbol.empty()) {
        if (rela.defined_here) {
          out[i] = {true, 0, rela.symbol_value + rela.addend};
        } else {
          auto target = library_symbol(rela.symbol);
          if (!target) return std::nullopt;
          out[i] = {true, target->first, target->second + rela.addend};
        }
      } else {
        return std::nullopt;
      }
    }
    return out;
  }

 private:
  struct Rela {
    std::uint32_t type;
    std::uint64_t addend;
    std::string symbol;
    bool defined_here = false;
    std::uint64_t symbol_value = 0;
  };

  void read_vtable_symbols(const llvm::object::ELFFile<ELFT>::Elf_Shdr& sh) {
    auto symbols = file_->symbols(&sh);
    auto strings = file_->getStringTableForSymtab(sh);
    if (!symbols || !strings) {
      if (!symbols) llvm::consumeError(symbols.takeError());
      if (!strings) llvm::consumeError(strings.takeError());
      return;
    }
    for (const auto& s : *symbols) {
      if (s.getType() != llvm::ELF::STT_OBJECT || s.st_size == 0 || s.st_shndx == llvm::ELF::SHN_UNDEF) continue;
      auto name = s.getName(*strings);
      if (!name) {
        llvm::consumeError(name.takeError());
        continue;
      }
      if (name->starts_with("_ZTV")) vtables_.push_back({s.st_value, s.st_size, name->str()});
    }
  }

  void read_relas(const llvm::object::ELFFile<ELFT>::Elf_Shdr& sh) {
    auto relas = file_->relas(sh);
    if (!relas) {
      llvm::consumeError(relas.takeError());
      return;
    }
    const llvm::object::ELFFile<ELFT>::Elf_Shdr* symtab = nullptr;
    llvm::StringRef strings;
    if (sh.sh_link != 0) {
      if (auto s = file_->getSection(sh.sh_link)) {
        symtab = *s;
        if (auto t = file_->getStringTableForSymtab(*symtab)) strings = *t;
        else llvm::consumeError(t.takeError());
      } else {
        llvm::consumeError(s.takeError());
      }
    }
    for (const auto& r : *relas) {
      Rela rela{r.getType(false), std::uint64_t(r.r_addend), "", false, 0};
      if (std::uint32_t index = r.getSymbol(false); index != 0 && symtab) {
        if (auto sym = file_->getRelocationSymbol(r, symtab); sym && *sym) {
          if (auto name = (*sym)->getName(strings)) rela.symbol = name->str();
          else llvm::consumeError(name.takeError());
          rela.defined_here = (*sym)->st_shndx != llvm::ELF::SHN_UNDEF;
          rela.symbol_value = (*sym)->st_value;
        } else if (!sym) {
          llvm::consumeError(sym.takeError());
        }
      }
      relas_[r.r_offset] = std::move(rela);
    }
  }

  void read_relrs(const llvm::object::ELFFile<ELFT>::Elf_Shdr& sh) {
    auto relrs = file_->relrs(sh);
    if (!relrs) {
      llvm::consumeError(relrs.takeError());
      return;
    }
    for (const auto& r : file_->decode_relrs(*relrs)) relr_.insert(r.r_offset);
  }

  const llvm::object::ELFFile<ELFT>::Elf_Shdr* section_at(std::uint64_t vaddr, std::uint64_t size) const {
    for (const auto& sh : sections_)
      if ((sh.sh_flags & llvm::ELF::SHF_ALLOC) && vaddr >= sh.sh_addr && vaddr + size <= sh.sh_addr + sh.sh_size)
        return &sh;
    return nullptr;
  }

  // A symbol of the libraries, searched in load order as the dynamic loader does.
  std::optional<std::pair<std::uint32_t, std::uint64_t>> library_symbol(const std::string& name) {
    for (std::uint32_t m = 1; m < a_.modules.size(); ++m) {
      auto [it, fresh] = libraries_.try_emplace(m);
      if (fresh && std::filesystem::is_regular_file(a_.modules[m].name)) {  // not the vDSO
        LibraryInfo lib = read_library(ctx_, a_.modules[m].name);
        for (const ExportedSymbol& s : lib.exported) it->second.emplace(s.name, s.value);
      }
      if (auto s = it->second.find(name); s != it->second.end()) return std::pair{m, s->second};
    }
    return std::nullopt;
  }

  Context& ctx_;
  const Dump& a_;
  llvm::object::OwningBinary<llvm::object::ObjectFile> owner_;
  const llvm::object::ELFFile<ELFT>* file_ = nullptr;
  llvm::ArrayRef<llvm::object::ELFFile<ELFT>::Elf_Shdr> sections_;
  std::vector<VtableSymbol> vtables_;
  std::map<std::uint64_t, Rela> relas_;
  std::set<std::uint64_t> relr_;
  std::map<std::uint32_t, std::map<std::string, std::uint64_t>> libraries_;
};

}  // namespace

const VtableCopy* VtableCopies::at(std::uint64_t arena_offset) const {
  auto it = std::upper_bound(copies.begin(), copies.end(), arena_offset,
                             [](std::uint64_t v, const VtableCopy& c) { return v < c.arena_offset; });
  if (it == copies.begin()) return nullptr;
  --it;
  return arena_offset < it->arena_offset + it->size ? &*it : nullptr;
}

VtableCopies copy_vtables(Context& ctx, Dump& a, Classification& c) {
  Timer timer(ctx, "vtable copies");
  VtableCopies out;
  if (a.modules.empty() || !a.modules[0].is_executable || a.modules[0].bias == 0) return out;
  bool any = std::any_of(c.module_pointers.begin(), c.module_pointers.end(),
                         [](const ModulePointer& p) { return p.module == 0; });
  if (!any) return out;
  Executable exe(ctx, a);
  if (std::string why = exe.open(a.modules[0].name); !why.empty()) {
    out.not_copied = why;
    return out;
  }

  // The vtables the heap points into, and what each holds once loaded.
  struct Used {
    const VtableSymbol* symbol;
    std::vector<Word> words;
    std::uint32_t root;
  };
  std::map<std::uint64_t, Used> used;  // by vtable address
  std::set<std::uint64_t> unreadable;
  AllocIndex allocs(a.allocs, a.arena.size());
  for (const ModulePointer& p : c.module_pointers) {
    if (p.module != 0) continue;
    const VtableSymbol* vt = exe.vtable_at(p.target);
    if (!vt || used.count(vt->vaddr) || unreadable.count(vt->vaddr)) continue;
    auto words = exe.words(vt->vaddr, vt->size);
    if (!words) {
      unreadable.insert(vt->vaddr);
      continue;
    }
    std::size_t at = allocs.at_or_before(p.arena_offset);
    used.emplace(vt->vaddr, Used{vt, std::move(*words), at == AllocIndex::kNone ? 0 : a.allocs[at].root});
  }
  if (!unreadable.empty())
    out.not_copied = fmt::format("{} vtable{} hold relocations the baker does not read", unreadable.size(),
                                 unreadable.size() == 1 ? "" : "s");
  if (used.empty()) return out;

  // The copies, from the next page of the arena on: the pages startup writes to are theirs alone.
  std::uint64_t offset = (a.arena.size() + 4095) / 4096 * 4096;
  std::vector<ModulePointer> entries;
  std::map<std::uint64_t, std::size_t> copy_of;  // vtable address -> index into out.copies
  for (auto& [vaddr, u] : used) {
    copy_of[vaddr] = out.copies.size();
    VtableCopy copy{llvm::demangle(u.symbol->mangled), vaddr, u.symbol->size, offset, 0};
    if (copy.name.starts_with("vtable for ")) copy.name = copy.name.substr(11);
    a.arena.resize(offset + copy.size, 0);
    for (std::size_t i = 0; i < u.words.size(); ++i) {
      const Word& w = u.words[i];
      std::uint64_t value = w.pointer ? a.modules[w.module].bias + w.value : w.value;
      std::memcpy(a.arena.data() + offset + i * 8, &value, 8);
      if (w.pointer) entries.push_back({offset + i * 8, w.module, w.value});
    }
    protocol::DumpAlloc alloc{};
    alloc.offset = offset;
    alloc.size = copy.size;
    alloc.root = u.root;
    alloc.flags = kAllocVtableCopy | (4u << protocol::kAllocAlignShift);
    a.allocs.push_back(alloc);
    out.copies.push_back(std::move(copy));
    offset = (offset + u.symbol->size + 15) / 16 * 16;
  }
  c.bitmap.resize((a.arena.size() / 8 + 63) / 64, 0);

  // Vtable pointers now point into the copies: arena pointers.
  std::vector<ModulePointer> kept;
  for (const ModulePointer& p : c.module_pointers) {
    const VtableSymbol* vt = p.module == 0 ? exe.vtable_at(p.target) : nullptr;
    auto u = vt ? used.find(vt->vaddr) : used.end();
    if (u == used.end()) {
      kept.push_back(p);
      continue;
    }
    VtableCopy& copy = out.copies[copy_of[vt->vaddr]];
    std::uint64_t value = a.arena_base + copy.arena_offset + (p.target - vt->vaddr);
    std::memcpy(a.arena.data() + p.arena_offset, &value, 8);
    c.bitmap[p.arena_offset / 8 / 64] |= 1ull << (p.arena_offset / 8 % 64);
    ++c.arena_pointers;
    ++copy.objects;
    ++out.redirected;
  }
  kept.insert(kept.end(), entries.begin(), entries.end());
  std::sort(kept.begin(), kept.end(), [](const ModulePointer& x, const ModulePointer& y) {
    return x.module != y.module ? x.module < y.module : x.arena_offset < y.arena_offset;
  });
  c.module_pointers = std::move(kept);
  return out;
}

}  // namespace fastboot::baker
