#include "vtables.h"

#include <cxxabi.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "elf-file.h"

namespace fastboot::baker {

namespace {

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

// The newest clang that compiled part of the program, from .comment ("clang version 19.1.7").
int clang_major(const ElfFile& file) {
  int newest = 0;
  for (const Elf64_Shdr& sh : file.sections()) {
    if (file.section_name(sh) != ".comment") continue;
    std::string_view text = file.contents(sh);
    const std::string_view tag = "clang version ";
    for (std::size_t at = text.find(tag); at != std::string_view::npos; at = text.find(tag, at + 1)) {
      int major = 0;
      for (std::size_t i = at + tag.size(); i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
        major = major * 10 + (text[i] - '0');
      newest = std::max(newest, major);
    }
  }
  return newest;
}

std::string demangle(const std::string& mangled) {
  int status = 0;
  char* text = abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status);
  std::string out = status == 0 && text ? text : mangled;
  free(text);
  return out;
}

class Executable {
 public:
  explicit Executable(const Dump& a) : a_(a) {}

  // Reads the vtable symbols and the dynamic relocations; a reason on failure.
  std::string open(const std::string& path) {
    if (std::string why = file_.open(path); !why.empty()) return why;
    // The two relocation types a vtable's words carry: the executable's own address plus an
    // addend, and a symbol's address (a function of a library) plus an addend.
    if (file_.machine() == EM_X86_64) {
      relative_ = R_X86_64_RELATIVE, absolute_ = R_X86_64_64;
    } else if (file_.machine() == EM_AARCH64) {
      relative_ = R_AARCH64_RELATIVE, absolute_ = R_AARCH64_ABS64;
    } else {
      return fmt::format("it is for a machine fastboot does not support (ELF machine {})", file_.machine());
    }
    if (int clang = clang_major(file_); clang >= 17)
      return fmt::format("clang {} compiled part of it, and clang 17 and later compile dynamic_cast to a final "
                         "class as a comparison with the vtable's address",
                         clang);
    for (const Elf64_Shdr& sh : file_.sections()) {
      if (sh.sh_type == SHT_SYMTAB) read_vtable_symbols(sh);
      if (sh.sh_type == SHT_RELA) read_relas(sh);
      if (sh.sh_type == SHT_RELR) file_.for_each_relr(sh, [&](std::uint64_t at) { relr_.insert(at); });
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
    const Elf64_Shdr* sh = section_at(vaddr, size);
    if (!sh || sh->sh_type == SHT_NOBITS) return std::nullopt;
    std::string_view bytes = file_.contents(*sh);
    if (bytes.size() < vaddr - sh->sh_addr + size) return std::nullopt;
    std::vector<Word> out(size / 8);
    for (std::uint64_t i = 0; i < out.size(); ++i) {
      std::uint64_t at = vaddr + i * 8;
      std::memcpy(&out[i].value, bytes.data() + (at - sh->sh_addr), 8);
      if (relr_.count(at)) {  // the addend is the word itself: a pointer into the executable
        out[i].pointer = true;
        continue;
      }
      auto r = relas_.find(at);
      if (r == relas_.end()) continue;
      const Rela& rela = r->second;
      if (rela.type == relative_) {
        out[i] = {true, 0, rela.addend};
      } else if (rela.type == absolute_ && !rela.symbol.empty()) {
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

  void read_vtable_symbols(const Elf64_Shdr& sh) {
    file_.for_each_symbol(sh, [&](const ElfFile::Symbol& s) {
      if (ELF64_ST_TYPE(s.sym->st_info) != STT_OBJECT || s.sym->st_size == 0 || s.sym->st_shndx == SHN_UNDEF) return;
      if (s.name.substr(0, 4) == "_ZTV") vtables_.push_back({s.sym->st_value, s.sym->st_size, std::string(s.name)});
    });
  }

  void read_relas(const Elf64_Shdr& sh) {
    const Elf64_Shdr* symtab = sh.sh_link != 0 && sh.sh_link < file_.sections().size() ? &file_.sections()[sh.sh_link] : nullptr;
    file_.for_each_rela(sh, [&](const Elf64_Rela& r) {
      Rela rela{std::uint32_t(ELF64_R_TYPE(r.r_info)), std::uint64_t(r.r_addend), "", false, 0};
      if (std::uint32_t index = std::uint32_t(ELF64_R_SYM(r.r_info)); index != 0 && symtab) {
        ElfFile::Symbol sym = file_.symbol(*symtab, index);
        if (sym.sym) {
          rela.symbol = std::string(sym.name);
          rela.defined_here = sym.sym->st_shndx != SHN_UNDEF;
          rela.symbol_value = sym.sym->st_value;
        }
      }
      relas_[r.r_offset] = std::move(rela);
    });
  }

  const Elf64_Shdr* section_at(std::uint64_t vaddr, std::uint64_t size) const {
    // Not .tbss: its addresses are offsets in each thread's block, and overlap the sections after it.
    for (const Elf64_Shdr& sh : file_.sections())
      if ((sh.sh_flags & SHF_ALLOC) && !(sh.sh_flags & SHF_TLS) && vaddr >= sh.sh_addr &&
          vaddr + size <= sh.sh_addr + sh.sh_size)
        return &sh;
    return nullptr;
  }

  // A symbol the libraries export (defined, default visibility, in .dynsym), searched in load
  // order as the dynamic loader does.
  std::optional<std::pair<std::uint32_t, std::uint64_t>> library_symbol(const std::string& name) {
    for (std::uint32_t m = 1; m < a_.modules.size(); ++m) {
      auto [it, fresh] = libraries_.try_emplace(m);
      struct stat st;
      if (fresh && stat(a_.modules[m].name.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {  // not the vDSO
        ElfFile lib;
        if (lib.open(a_.modules[m].name).empty())
          for (const Elf64_Shdr& sh : lib.sections())
            if (sh.sh_type == SHT_DYNSYM)
              lib.for_each_symbol(sh, [&](const ElfFile::Symbol& s) {
                if (s.sym->st_shndx != SHN_UNDEF && ELF64_ST_VISIBILITY(s.sym->st_other) == STV_DEFAULT &&
                    ELF64_ST_BIND(s.sym->st_info) != STB_LOCAL && !s.name.empty())
                  it->second.emplace(std::string(s.name), s.sym->st_value);
              });
      }
      if (auto s = it->second.find(name); s != it->second.end()) return std::pair{m, s->second};
    }
    return std::nullopt;
  }

  const Dump& a_;
  ElfFile file_;
  std::uint32_t relative_ = 0, absolute_ = 0;
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
  Executable exe(a);
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
    const VtableSymbol* vt = exe.vtable_at(module_target(a, p));
    if (!vt || used.count(vt->vaddr) || unreadable.count(vt->vaddr)) continue;
    auto words = exe.words(vt->vaddr, vt->size);
    if (!words) {
      unreadable.insert(vt->vaddr);
      continue;
    }
    std::size_t at = allocs.at_or_before(p.arena_offset);
    used.emplace(vt->vaddr, Used{vt, std::move(*words), at == AllocIndex::kNone ? 0u : std::uint32_t(a.allocs[at].root)});
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
    VtableCopy copy{demangle(u.symbol->mangled), vaddr, u.symbol->size, offset, 0};
    if (copy.name.starts_with("vtable for ")) copy.name = copy.name.substr(11);
    a.arena.resize(offset + copy.size, 0);
    for (std::size_t i = 0; i < u.words.size(); ++i) {
      const Word& w = u.words[i];
      std::uint64_t value = w.pointer ? a.modules[w.module].bias + w.value : w.value;
      std::memcpy(a.arena.data() + offset + i * 8, &value, 8);
      if (w.pointer) entries.push_back({offset + i * 8, w.module});
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
    const std::uint64_t target = module_target(a, p);
    const VtableSymbol* vt = p.module == 0 ? exe.vtable_at(target) : nullptr;
    auto u = vt ? used.find(vt->vaddr) : used.end();
    if (u == used.end()) {
      kept.push_back(p);
      continue;
    }
    VtableCopy& copy = out.copies[copy_of[vt->vaddr]];
    std::uint64_t value = a.arena_base + copy.arena_offset + (target - vt->vaddr);
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
