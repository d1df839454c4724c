#include "padding.h"

#include <llvm/BinaryFormat/Dwarf.h>
#include <llvm/DebugInfo/DWARF/DWARFContext.h>
#include <llvm/DebugInfo/DWARF/DWARFDie.h>
#include <llvm/Object/ObjectFile.h>

#include <algorithm>
#include <cstring>

#include "llvm-compat.h"

namespace fastboot::baker {

namespace dw = llvm::dwarf;

struct PaddingOracle::ModuleDebugInfo {
  llvm::object::OwningBinary<llvm::object::ObjectFile> file;
  std::unique_ptr<llvm::DWARFContext> dwarf;
};

namespace {

llvm::DWARFDie strip_qualifiers(llvm::DWARFDie t) {
  for (int i = 0; t && i < 32; ++i) {
    switch (t.getTag()) {
      case dw::DW_TAG_typedef:
      case dw::DW_TAG_const_type:
      case dw::DW_TAG_volatile_type:
      case dw::DW_TAG_restrict_type:
      case dw::DW_TAG_atomic_type:
        t = t.getAttributeValueAsReferencedDie(dw::DW_AT_type);
        continue;
      default:
        return t;
    }
  }
  return t;
}

std::optional<std::uint64_t> byte_size(llvm::DWARFDie t) {
  if (auto v = t.find(dw::DW_AT_byte_size))
    if (auto size = v->getAsUnsignedConstant()) return *size;  // an llvm::Optional before LLVM 16
  return std::nullopt;
}

// The size of a type without DW_AT_byte_size (a pointer, a typedef of one, an array), as
// DWARFDie::getTypeSize gives it from LLVM 15 on; LLVM 14 has none, so the rules are here too.
std::optional<std::uint64_t> type_size(llvm::DWARFDie t, int depth = 0) {
#if LLVM_VERSION_MAJOR >= 15
  (void)depth;
  if (auto s = t.getTypeSize(8)) return *s;
  return std::nullopt;
#else
  if (!t || depth > 64) return std::nullopt;
  if (auto size = byte_size(t)) return size;
  llvm::DWARFDie of = t.getAttributeValueAsReferencedDie(dw::DW_AT_type);
  switch (t.getTag()) {
    case dw::DW_TAG_pointer_type:
    case dw::DW_TAG_reference_type:
    case dw::DW_TAG_rvalue_reference_type:
      return 8;
    case dw::DW_TAG_ptr_to_member_type:  // to a member function: the function and an adjustment
      return of && of.getTag() == dw::DW_TAG_subroutine_type ? 16 : 8;
    case dw::DW_TAG_array_type: {
      std::optional<std::uint64_t> size = type_size(of, depth + 1);
      for (llvm::DWARFDie c = t.getFirstChild(); size && c; c = c.getSibling()) {
        if (c.getTag() != dw::DW_TAG_subrange_type) continue;
        if (auto n = c.find(dw::DW_AT_count))
          if (auto count = n->getAsUnsignedConstant()) *size *= *count;
        if (auto u = c.find(dw::DW_AT_upper_bound))
          if (auto upper = u->getAsSignedConstant()) {
            std::int64_t lower = 0;
            if (auto l = c.find(dw::DW_AT_lower_bound)) lower = value_or(l->getAsSignedConstant(), std::int64_t(0));
            *size *= std::uint64_t(*upper - lower + 1);
          }
      }
      return size;
    }
    default:  // a typedef, a qualifier: the type it names
      return of ? type_size(of, depth + 1) : std::nullopt;
  }
#endif
}

std::optional<std::uint64_t> member_offset(llvm::DWARFDie m) {
  if (auto v = m.find(dw::DW_AT_data_member_location)) {
    if (auto offset = v->getAsUnsignedConstant()) return *offset;
    return std::nullopt;
  }
  if (auto v = m.find(dw::DW_AT_data_bit_offset)) {
    if (auto bits = v->getAsUnsignedConstant()) return *bits / 8;
  }
  return std::nullopt;
}

// Marks the bytes of type t at `base` in `bytes`. Returns false when the layout is not fully
// known (then nothing may be treated as padding).
bool mark(llvm::DWARFDie t, std::uint64_t base, TypeLayout& layout, const std::string& path, int depth) {
  t = strip_qualifiers(t);
  if (!t || depth > 64) return false;
  auto& bytes = layout.bytes;
  auto fill = [&](std::uint64_t from, std::uint64_t n) {
    if (from + n > bytes.size()) return false;
    layout.fields.push_back({from, from + n, path});
    std::fill(bytes.begin() + std::ptrdiff_t(from), bytes.begin() + std::ptrdiff_t(from + n), ByteUse::value);
    return true;
  };
  switch (t.getTag()) {
    case dw::DW_TAG_structure_type:
    case dw::DW_TAG_class_type: {
      if (t.find(dw::DW_AT_declaration)) return false;  // an incomplete type: layout unknown
      std::size_t members = 0;
      for (llvm::DWARFDie c = t.getFirstChild(); c; c = c.getSibling()) {
        if (c.getTag() != dw::DW_TAG_member && c.getTag() != dw::DW_TAG_inheritance) continue;
        if (c.find(dw::DW_AT_external) || c.find(dw::DW_AT_declaration)) continue;  // static member
        ++members;
        auto off = member_offset(c);
        if (!off) return false;
        llvm::DWARFDie type = c.getAttributeValueAsReferencedDie(dw::DW_AT_type);
        if (c.find(dw::DW_AT_bit_size)) {  // a bit-field: its storage byte(s) hold a value
          auto bits = value_or(c.find(dw::DW_AT_bit_size)->getAsUnsignedConstant(), std::uint64_t(64));
          std::uint64_t bit_off = c.find(dw::DW_AT_data_bit_offset)
                                      ? value_or(c.find(dw::DW_AT_data_bit_offset)->getAsUnsignedConstant(), std::uint64_t(0))
                                      : *off * 8;
          if (!fill(base + bit_off / 8, (bit_off % 8 + bits + 7) / 8)) return false;
          continue;
        }
        // A class's vtable pointer is an artificial member; mark it like any other. Members of
        // a base class read as members of the derived one.
        const char* name = c.getTag() == dw::DW_TAG_member ? c.getShortName() : nullptr;
        std::string inner = name ? path + "." + name : path;
        if (!mark(type, base + *off, layout, inner, depth + 1)) return false;
      }
      // A class without data members but more than one byte big is storage for something else
      // (abseil's AlignedType<8>, `struct alignas(16) Raw {};`, in which containers keep their
      // slots): its bytes are values of a type DWARF does not name, not padding.
      return members > 0 || value_or(byte_size(t), std::uint64_t(0)) <= 1;
    }
    case dw::DW_TAG_union_type: {
      // Every byte of a union is storage of some member, and which member is live is unknown:
      // all of it holds a value.
      auto size = byte_size(t);
      if (!size) return false;
      return fill(base, *size);
    }
    case dw::DW_TAG_array_type: {
      llvm::DWARFDie elem = t.getAttributeValueAsReferencedDie(dw::DW_AT_type);
      auto elem_size = byte_size(strip_qualifiers(elem));
      if (!elem_size) {
        auto s = type_size(strip_qualifiers(elem));
        if (!s) return false;
        elem_size = *s;
      }
      std::uint64_t count = 1;
      for (llvm::DWARFDie c = t.getFirstChild(); c; c = c.getSibling()) {
        if (c.getTag() != dw::DW_TAG_subrange_type) continue;
        if (auto n = c.find(dw::DW_AT_count)) count *= value_or(n->getAsUnsignedConstant(), std::uint64_t(0));
        else if (auto u = c.find(dw::DW_AT_upper_bound)) count *= value_or(u->getAsUnsignedConstant(), std::uint64_t(0)) + 1;
        else return false;
      }
      for (std::uint64_t i = 0; i < count; ++i)
        if (!mark(elem, base + i * *elem_size, layout, path + "[]", depth + 1)) return false;
      return true;
    }
    default: {
      auto size = byte_size(t);
      if (!size) {
        auto s = type_size(t);
        if (!s) return false;
        size = *s;
      }
      return fill(base, *size);
    }
  }
}

// A readable name for a type DIE, pointers and qualifiers included ("const int*").
std::string spelled(llvm::DWARFDie t, int depth = 0) {
  if (!t) return "void";
  if (depth > 16) return "?";
  if (const char* name = t.getShortName()) return name;
  llvm::DWARFDie inner = t.getAttributeValueAsReferencedDie(dw::DW_AT_type);
  switch (t.getTag()) {
    case dw::DW_TAG_pointer_type: return spelled(inner, depth + 1) + "*";
    case dw::DW_TAG_reference_type: return spelled(inner, depth + 1) + "&";
    case dw::DW_TAG_rvalue_reference_type: return spelled(inner, depth + 1) + "&&";
    case dw::DW_TAG_const_type: return "const " + spelled(inner, depth + 1);
    case dw::DW_TAG_volatile_type: return "volatile " + spelled(inner, depth + 1);
    default: return "?";
  }
}

// The DIE a concrete or inlined instance is an instance of, with its declaration.
llvm::DWARFDie declaration_of(llvm::DWARFDie d) {
  for (int i = 0; d && i < 8; ++i) {
    if (auto o = d.getAttributeValueAsReferencedDie(dw::DW_AT_abstract_origin)) {
      d = o;
      continue;
    }
    if (auto s = d.getAttributeValueAsReferencedDie(dw::DW_AT_specification)) {
      d = s;
      continue;
    }
    break;
  }
  return d;
}

llvm::DWARFDie first_template_type(llvm::DWARFDie d) {
  for (llvm::DWARFDie c = d.getFirstChild(); c; c = c.getSibling())
    if (c.getTag() == dw::DW_TAG_template_type_parameter) return c.getAttributeValueAsReferencedDie(dw::DW_AT_type);
  return {};
}

// The element type of the typed allocation that the code at `vaddr` makes: the innermost
// enclosing std::allocator-style allocate() or std::function's _M_create() (the class's first
// template argument), or std::make_unique/make_shared (its first template argument).
llvm::DWARFDie allocated_type(llvm::DWARFContext& dwarf, std::uint64_t vaddr) {
  auto dies = dwarf.getDIEsForAddress(vaddr);
  if (!dies) return {};
  for (llvm::DWARFDie d = dies.BlockDIE ? dies.BlockDIE : dies.FunctionDIE; d; d = d.getParent()) {
    if (d.getTag() != dw::DW_TAG_inlined_subroutine && d.getTag() != dw::DW_TAG_subprogram) continue;
    llvm::DWARFDie decl = declaration_of(d);
    const char* name = decl.getShortName();
    if (!name) continue;
    // A function template's name carries its arguments: "make_unique<Foo>".
    auto is = [&](const char* want) {
      std::size_t n = std::strlen(want);
      return std::strncmp(name, want, n) == 0 && (name[n] == 0 || name[n] == '<');
    };
    if (is("allocate")) {
      llvm::DWARFDie cls = decl.getParent();
      if (auto t = first_template_type(cls)) return t;
    } else if (is("_M_create")) {  // std::function keeping its functor on the heap
      if (auto t = first_template_type(decl.getParent())) return t;
    } else if (is("make_unique") || is("make_shared")) {
      if (auto t = first_template_type(decl)) return t;
    }
  }
  return {};
}

}  // namespace

std::string TypeLayout::field_at(std::uint64_t offset) const {
  if (bytes.empty()) return "";
  std::uint64_t at = offset % bytes.size();
  std::string best;
  for (const Field& f : fields) {  // the last (innermost) field that holds the offset
    if (f.begin > at) break;
    if (at < f.end) best = f.path;
  }
  return best;
}

PaddingOracle::PaddingOracle(const Dump& run) : run_(run) {}
PaddingOracle::~PaddingOracle() = default;

void PaddingOracle::forget_debug_info() { modules_.clear(); }

PaddingOracle::ModuleDebugInfo* PaddingOracle::debug_info(const Module& m) {
  auto [it, fresh] = modules_.try_emplace(m.name);
  if (fresh) {
    auto file = llvm::object::ObjectFile::createObjectFile(m.name);
    if (!file) {
      llvm::consumeError(file.takeError());
      return nullptr;
    }
    auto info = std::make_unique<ModuleDebugInfo>();
    info->file = std::move(*file);
    info->dwarf = llvm::DWARFContext::create(*info->file.getBinary(), llvm::DWARFContext::ProcessDebugRelocations::Process,
                                             nullptr, "", [](llvm::Error e) { llvm::consumeError(std::move(e)); },
                                             [](llvm::Error e) { llvm::consumeError(std::move(e)); });
    it->second = std::move(info);
  }
  return it->second.get();
}

const TypeLayout* PaddingOracle::layout_at(std::uint64_t site) {
  auto [it, fresh] = layouts_.try_emplace(site);
  if (!fresh) return it->second ? &*it->second : nullptr;
  const Module* m = module_holding(run_, site);
  ModuleDebugInfo* info = m ? debug_info(*m) : nullptr;
  if (!info || !info->dwarf) return nullptr;
  llvm::DWARFDie type = strip_qualifiers(allocated_type(*info->dwarf, site - m->bias - 1));
  if (!type) return nullptr;
  auto size = byte_size(type);
  if (!size || *size == 0 || *size > (1u << 20)) return nullptr;
  TypeLayout layout;
  layout.bytes.assign(*size, ByteUse::padding);
  // A type of no values at all (an empty class allocated as raw storage) says nothing either.
  if (!mark(type, 0, layout, "", 0) || layout.fields.empty()) return nullptr;
  std::stable_sort(layout.fields.begin(), layout.fields.end(),
                   [](const auto& x, const auto& y) { return x.begin < y.begin; });
  layout.type_name = spelled(type);
  it->second = std::move(layout);
  return &*it->second;
}

const std::string& PaddingOracle::type_name_at(std::uint64_t site) {
  auto [it, fresh] = names_.try_emplace(site);
  if (!fresh) return it->second;
  if (const TypeLayout* layout = layout_at(site)) return it->second = layout->type_name;
  const Module* m = module_holding(run_, site);
  ModuleDebugInfo* info = m ? debug_info(*m) : nullptr;
  if (!info || !info->dwarf) return it->second;
  if (llvm::DWARFDie type = strip_qualifiers(allocated_type(*info->dwarf, site - m->bias - 1)))
    it->second = spelled(type);
  return it->second;
}

std::map<std::string, std::size_t> zero_unread_bytes(Dump& a, Dump& b, PaddingOracle& oracle) {
  std::map<std::string, std::size_t> differed;
  // Per word of the last type seen (of a size that is a multiple of 8): whether every byte of it
  // is a value's, which the loop below then skips.
  std::uint64_t last_site = ~0ull;
  const TypeLayout* layout = nullptr;
  std::vector<bool> values_only;
  for (const auto& alloc : a.allocs) {
    if (alloc.flags & protocol::kAllocFreed) continue;
    if (alloc.site != last_site) {
      const TypeLayout* was = layout;
      layout = oracle.layout_at(a.site_of(alloc));
      last_site = alloc.site;
      if (layout && layout != was) {
        values_only.assign(layout->bytes.size() % 8 ? 0 : layout->bytes.size() / 8, true);
        for (std::size_t i = 0; i < values_only.size() * 8; ++i) values_only[i / 8] = values_only[i / 8] && layout->bytes[i] == ByteUse::value;
      }
    }
    if (!layout) continue;
    std::uint64_t n = layout->bytes.size();
    if (alloc.size % n != 0 || alloc.offset + alloc.size > a.arena.size()) continue;  // not an array of the type
    std::uint64_t changed_words = 0;
    // Allocations start 16-aligned: the words start at the allocation, `at` bytes into the type.
    std::uint64_t at = 0;
    for (std::uint64_t word = alloc.offset; word + 8 <= alloc.offset + alloc.size; word += 8) {
      const std::uint64_t here = at;
      for (at += 8; at >= n;) at -= n;
      if (!values_only.empty() && values_only[here / 8]) continue;
      // Padding is never read: always zero. A union's storage is left alone: its bytes may be a
      // live member's, whose value differing between the runs (a clock reading in a
      // std::variant) must be refused, not zeroed as a dead member's leftovers would be.
      bool touched = false;
      for (std::uint64_t i = word, k = here; i < word + 8; ++i, k = k + 1 == n ? 0 : k + 1) {
        if (layout->bytes[k] == ByteUse::value) continue;
        touched |= a.arena[i] != b.arena[i];
        if (a.arena[i]) a.arena[i] = 0;  // a page is written only where it must be
        if (b.arena[i]) b.arena[i] = 0;
      }
      changed_words += touched;
    }
    if (changed_words) differed[layout->type_name] += changed_words;
  }
  return differed;
}

}  // namespace fastboot::baker
