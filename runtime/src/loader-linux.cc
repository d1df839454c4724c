// Startup of a baked program: find the `.fastboot` section in our own executable, map it at
// the base the bake used (or anywhere, and relocate), patch pointers into the executable for
// this run's load address, and serve roots from it. Anything wrong means no image: the roots
// run their initializers. FASTBOOT_LOG=1 says what happened, in one line.
#include <dlfcn.h>
#include <elf.h>
#include <stdarg.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>

#include "fastboot/image-format.h"
#include "fastboot/image-validate.h"
#include "fastboot/image-chunks.h"
#include "runtime.h"

#include <atomic>
#include <new>

extern "C" int __cxa_atexit(void (*)(void*), void*, void*) noexcept;

namespace fastboot::rt {
namespace {

namespace img = fastboot::image;

struct Image {
  bool loaded = false;
  const img::Header* header = nullptr;
  unsigned char* section = nullptr;
  unsigned char* arena = nullptr;
};
FASTBOOT_STATE Image image;
FASTBOOT_STATE pthread_once_t once = PTHREAD_ONCE_INIT;

struct Section {
  uint64_t offset = 0, size = 0;
};

// Finds .fastboot in the section headers of the running executable. Returns a reason on
// failure, null on success. Linkers write the section names (.shstrtab) just before the section
// headers at the end of the file, so one read of the headers and the 4 KiB before them finds
// both; names elsewhere cost a second read. load() runs once per process (pthread_once), so the
// window is static: no allocation, and nothing large on a small thread's stack.
const char* find_section(int fd, Section* out) {
  Elf64_Ehdr eh;
  if (!read_at(fd, &eh, sizeof(eh), 0)) return "cannot read the executable's ELF header";
  if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > 65000 ||
      eh.e_shstrndx >= eh.e_shnum || eh.e_shoff % alignof(Elf64_Shdr))
    return "the executable's ELF header is not usable";
  alignas(Elf64_Shdr) FASTBOOT_STATE static unsigned char window[16384];
  uint64_t headers = uint64_t(eh.e_shnum) * sizeof(Elf64_Shdr);
  uint64_t before = eh.e_shoff < 4096 ? eh.e_shoff : 4096;
  if (before + headers > sizeof(window)) before = 0;  // many sections: the headers alone
  uint64_t lo = eh.e_shoff - before, bytes = before + headers;
  // Anonymous memory for what the window cannot hold (a program with very many sections, or
  // section names elsewhere in the file), given back on every return.
  struct Anon {
    void* mem = MAP_FAILED;
    uint64_t size = 0;
    unsigned char* get(uint64_t n) {
      mem = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      size = n;
      return mem == MAP_FAILED ? nullptr : static_cast<unsigned char*>(mem);
    }
    ~Anon() {
      if (mem != MAP_FAILED) munmap(mem, size);
    }
  } big_headers, far_names;
  unsigned char* buf = bytes <= sizeof(window) ? window : big_headers.get(bytes);
  if (!buf) return "out of memory reading section headers";
  if (!read_at(fd, buf, bytes, lo)) return "cannot read the executable's section headers";
  auto* sh = reinterpret_cast<const Elf64_Shdr*>(buf + before);
  const Elf64_Shdr& strtab = sh[eh.e_shstrndx];
  uint64_t str_size = strtab.sh_size;
  if (str_size == 0 || str_size > (64u << 20)) return "the executable's section names are not usable";
  const char* str;
  if (strtab.sh_offset >= lo && strtab.sh_offset <= eh.e_shoff && str_size <= eh.e_shoff - strtab.sh_offset) {
    str = reinterpret_cast<const char*>(buf) + (strtab.sh_offset - lo);
  } else {
    unsigned char* names = far_names.get(str_size);
    if (!names) return "out of memory reading section names";
    if (!read_at(fd, names, str_size, strtab.sh_offset)) return "cannot read the executable's section names";
    str = reinterpret_cast<const char*>(names);
  }
  static const char kName[] = ".fastboot";
  for (unsigned i = 0; i < eh.e_shnum; ++i) {
    if (sh[i].sh_name >= str_size || str_size - sh[i].sh_name < sizeof(kName)) continue;
    if (memcmp(str + sh[i].sh_name, kName, sizeof(kName)) != 0) continue;
    out->offset = sh[i].sh_offset;
    out->size = sh[i].sh_size;
    if (sh[i].sh_type == SHT_NOBITS || out->size < sizeof(img::Header)) return "the .fastboot section is too small";
    if (out->offset % img::kPageSize) return "the .fastboot section is not page-aligned in the file";
    return nullptr;
  }
  return "no .fastboot section (the program was not baked)";
}

struct LoadedModule {
  const char* name;  // basename of the path it was loaded from
  uintptr_t bias;
  uint8_t build_id[32];
  unsigned build_id_size;
};

// The modules of this process, the executable first, without allocating.
struct ModuleList {
  LoadedModule items[512];
  unsigned count = 0;
};

bool take_module(const ModuleInfo& m, void* arg) {
  auto* list = static_cast<ModuleList*>(arg);
  if (list->count == sizeof(list->items) / sizeof(list->items[0])) return false;
  LoadedModule& out = list->items[list->count++];
  const char* slash = strrchr(m.name, '/');
  out.name = slash ? slash + 1 : m.name;
  out.bias = m.bias;
  out.build_id_size = module_build_id(m, out.build_id);
  return true;
}

bool same_build(const LoadedModule& m, const img::ModuleEntry& e) {
  return m.build_id_size == e.build_id_size && m.build_id_size > 0 &&
         memcmp(m.build_id, e.build_id, m.build_id_size) == 0;
}

struct Stats {
  uint64_t arena_relocs = 0;
  uint64_t by_symbol = 0;  // pointers resolved through dlsym because a library changed
  uint64_t globals = 0;    // escaping references restored
  bool copied = false;     // the arena was read into anonymous memory (most pages written)
  bool decompressed = false;
  bool lazy = false;       // decompressed on first touch
  unsigned threads = 0;    // that filled the arena
  uint64_t fixed = 0;      // pointers into a fixed-address executable, stored already applied
};

// Checks the tables (after mapping) and applies relocations. Returns a reason on failure.
// Pages of the arena that startup will write: all of them when arena pointers move, else
// those holding module pointers. Each written page of a file mapping is a copy-on-write fault;
// when most pages will be written, one read into fresh (huge-page) anonymous memory is cheaper
// and shares nothing less.
bool mostly_written(const img::Header& h, const unsigned char* section, bool arena_moves) {
  if (arena_moves) return true;
  uint64_t pages = (h.arena_size + img::kPageSize - 1) / img::kPageSize, touched = 0, last = ~0ull;
  auto* relocs = reinterpret_cast<const img::ModuleReloc*>(section + h.relocs_offset);
  auto* modules = reinterpret_cast<const img::ModuleEntry*>(section + h.modules_offset);
  for (uint32_t m = 0; m < h.module_count; ++m) {
    if (modules[m].kind == img::ModuleKind::executable_fixed) continue;  // stored applied
    for (uint64_t i = modules[m].first_reloc; i < modules[m].first_reloc + modules[m].reloc_count; ++i) {
      uint64_t page = relocs[i].arena_offset / img::kPageSize;
      touched += page != last;
      last = page;
    }
  }
  return touched * 2 > pages;
}

// False only when every module pointer is stored already applied (a fixed-address program at
// its address): then the relocation table is never read.
bool applies_relocations(const img::Header& h, const unsigned char* section, const ModuleList& loaded) {
  auto* modules = reinterpret_cast<const img::ModuleEntry*>(section + h.modules_offset);
  for (uint32_t m = 0; m < h.module_count; ++m)
    if (modules[m].reloc_count && !(modules[m].kind == img::ModuleKind::executable_fixed && loaded.items[0].bias == 0))
      return true;
  return false;
}

// Fills the arena's memory with its bytes, split into tasks that run on every core: with a
// compressed arena, one chunk each, decompressed from the stored chunks; else, with `copy`, one
// slice each, read from the file into anonymous memory that replaces the file mapping. A task
// also moves the arena pointers of its own range when the arena is not at preferred_base (delta),
// while those bytes are still in the cache.
struct Fill {
  const img::Header* h;
  unsigned char* section;
  int fd;
  uint64_t file_offset;
  uint64_t delta;
  const unsigned char* stored;  // the compressed chunks, mapped; null for a copy
  std::atomic<const char*> why{nullptr};
};
constexpr uint64_t kCopySlice = 4 << 20;

void fill_task(unsigned task, void* arg) {
  auto* f = static_cast<Fill*>(arg);
  const img::Header& h = *f->h;
  unsigned char* arena = f->section + h.arena_offset;
  uint64_t begin, end;
  if (f->stored) {
    const img::ChunkEntry& chunk = reinterpret_cast<const img::ChunkEntry*>(f->section + h.chunks_offset)[task];
    if (const char* why = img::decompress_chunk(h.compression, chunk, f->stored, arena)) {
      f->why.store(why, std::memory_order_relaxed);
      return;
    }
    begin = chunk.raw_offset;
    end = begin + chunk.raw_size;
  } else {
    begin = uint64_t(task) * kCopySlice;
    end = begin + kCopySlice < h.arena_size ? begin + kCopySlice : h.arena_size;
    if (!read_at(f->fd, arena + begin, end - begin, f->file_offset + h.arena_offset + begin)) {
      f->why.store("cannot copy the arena into memory", std::memory_order_relaxed);
      return;
    }
  }
  if (f->delta) img::relocate_arena(h, f->section, f->delta, begin, end);
}

// The bitmap moving arena pointers relies on, checked only when they move.
bool bitmap_intact(const img::Header& h, const unsigned char* section) {
  return img::checksum(section + h.bitmap_offset, h.bitmap_size) == h.bitmap_checksum;
}

const char* fill_arena(const img::Header& h, unsigned char* section, int fd, uint64_t file_offset, uint64_t delta,
                       bool compressed, bool lazy_ok, Stats* stats) {
  unsigned char* arena = section + h.arena_offset;
  uint64_t len = img::page_up(h.arena_size);
  if (delta && !bitmap_intact(h, section)) return "relocation bitmap checksum mismatch";
  Fill fill{&h, section, fd, file_offset, delta, nullptr};
  (compressed ? stats->decompressed : stats->copied) = true;
  void* stored = MAP_FAILED;
  unsigned tasks;
  if (compressed) {
    if (h.stored_size == 0) return nullptr;
    stored = mmap(nullptr, h.stored_size, PROT_READ, MAP_PRIVATE, fd, file_offset + h.arena_offset);
    if (stored == MAP_FAILED) return "cannot map the compressed arena";
    fill.stored = static_cast<const unsigned char*>(stored);
    tasks = h.chunk_count;
    // On first touch where the kernel allows it (FASTBOOT_LAZY=0: never): only the chunks the
    // program reads are decompressed before it reads them.
    const char* lazy_env = getenv("FASTBOOT_LAZY");
    if (lazy_ok && !(lazy_env && strcmp(lazy_env, "0") == 0)) {
      const char* why = lazy_fill(h, section, arena, fill.stored, h.stored_size, delta, &stats->lazy);
      if (why || stats->lazy) {
        if (why) munmap(stored, h.stored_size);
        if (stats->lazy && delta) stats->arena_relocs = h.arena_pointer_count;
        return why;
      }
    }
  } else {
    if (len == 0) return nullptr;
    if (mmap(arena, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != arena)
      return "cannot copy the arena into memory";
    tasks = unsigned((h.arena_size + kCopySlice - 1) / kCopySlice);
  }
  madvise(arena, len, MADV_HUGEPAGE);
  stats->threads = run_tasks(tasks, startup_threads(), fill_task, &fill);
  if (stored != MAP_FAILED) munmap(stored, h.stored_size);
  if (delta) stats->arena_relocs = h.arena_pointer_count;
  return fill.why.load(std::memory_order_relaxed);
}

// The randomized base's copy (relocated-copy-linux.cc), for this process.
struct PerBoot {
  int dir = -1, fd = -1;  // the copies' directory; this boot's copy, opened and checked
  uint64_t base = 0;      // the copy's base, or the one this process drew
  bool write = false;     // no copy yet: make one at base
  bool used = false, written = false;
  const char* note = "";  // why there is no copy
  char name[128];
};

// Fills the arena from the relocated copy, or makes the copy: the arena is filled and moved
// into anonymous memory as without a copy, then written to a new file that is renamed into
// place for later processes. False when the caller is to fill the arena itself; a reason in
// *why only when the image cannot be used at all.
bool use_copy(const img::Header& h, unsigned char* section, int fd, uint64_t file_offset, uint64_t delta,
              bool compressed, PerBoot* boot, Stats* stats, const char** why) {
  unsigned char* arena = section + h.arena_offset;
  uint64_t len = img::page_up(h.arena_size);
  if (len == 0) return false;
  if (boot->fd >= 0 && reinterpret_cast<uint64_t>(arena) == boot->base) {
    if (mmap(arena, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, boot->fd, kCopyArenaOffset) != arena) {
      *why = "cannot map the relocated copy";  // the arena's own mapping is gone
      return false;
    }
    boot->used = true;
    return true;
  }
  if (!boot->write || reinterpret_cast<uint64_t>(arena) != boot->base) return false;
  *why = fill_arena(h, section, fd, file_offset, delta, compressed, false, stats);
  if (*why) return true;
  boot->written = write_copy(boot->dir, boot->name, h, boot->base, arena, &boot->note);
  return true;
}

const char* relocate(const img::Header& h, unsigned char* section, const ModuleList& loaded,
                     Stats* stats) {
  const char* strings = reinterpret_cast<const char*>(section + h.strings_offset);
  unsigned char* arena = section + h.arena_offset;
  auto* modules = reinterpret_cast<const img::ModuleEntry*>(section + h.modules_offset);
  auto* relocs = reinterpret_cast<const img::ModuleReloc*>(section + h.relocs_offset);
  [[maybe_unused]] auto* symbols = reinterpret_cast<const img::SymbolEntry*>(section + h.symbols_offset);

  auto* globals = reinterpret_cast<const img::GlobalReloc*>(section + h.globals_offset);

  // Baked values may point at the C++ runtime's classic locale, which the bake initialized
  // before its snapshot: initialize it here too, before anything reads those values.
  for (uint32_t m = 0; m < h.module_count; ++m)
    if (strncmp(strings + modules[m].name_offset, "libstdc++.", 10) == 0 ||
        strncmp(strings + modules[m].name_offset, "libc++.", 7) == 0) {
      prepare_cxx_runtime();
      break;
    }

  FASTBOOT_STATE static char reason[256];
  const LoadedModule* resolved[1024];
  if (h.module_count > sizeof(resolved) / sizeof(resolved[0])) return "too many modules";
  for (uint32_t m = 0; m < h.module_count; ++m) {
    const img::ModuleEntry& mod = modules[m];
    const char* name = strings + mod.name_offset;
    const LoadedModule* found = nullptr;
    if (mod.kind == img::ModuleKind::executable || mod.kind == img::ModuleKind::executable_fixed) {
      found = &loaded.items[0];
    } else if (mod.kind == img::ModuleKind::shared_library) {
      for (unsigned i = 1; i < loaded.count && !found; ++i)
        if (strcmp(loaded.items[i].name, name) == 0) found = &loaded.items[i];
      if (!found) {
        snprintf(reason, sizeof(reason), "shared library %s is not loaded", name);
        return reason;
      }
    } else {
      return "unknown module kind";
    }
    resolved[m] = found;
    const img::ModuleReloc* first = relocs + mod.first_reloc;
    const img::ModuleReloc* last = first + mod.reloc_count;
    if (mod.kind == img::ModuleKind::executable_fixed && found->bias == 0) {
      stats->fixed += mod.reloc_count;  // stored already applied: nothing to write
      continue;
    }
    if (mod.kind != img::ModuleKind::shared_library || same_build(*found, mod)) {
      for (const img::ModuleReloc* r = first; r != last; ++r)
        *reinterpret_cast<uint64_t*>(arena + r->arena_offset) = found->bias + r->target;
      continue;
    }
    // Another build of the library: every pointer must land in a symbol it still exports.
#if FASTBOOT_WRAPPED_ALLOCATOR  // a static program: no dynamic loader to ask
    snprintf(reason, sizeof(reason), "%s is another build (build-id differs)", name);
    return reason;
#else
    void* handle = dlopen(name, RTLD_LAZY | RTLD_NOLOAD);
    if (!handle) {
      snprintf(reason, sizeof(reason), "shared library %s cannot be opened by its soname", name);
      return reason;
    }
    for (const img::ModuleReloc* r = first; r != last; ++r) {
      const char* symbol = r->symbol == img::kNoSymbol ? nullptr : strings + symbols[r->symbol].name_offset;
      void* address = symbol ? dlsym(handle, symbol) : nullptr;
      if (!address) {
        dlclose(handle);
        if (symbol)
          snprintf(reason, sizeof(reason), "%s is another build (build-id differs) and no longer exports %s", name, symbol);
        else
          snprintf(reason, sizeof(reason), "%s is another build (build-id differs) and the image points at data it does not export", name);
        return reason;
      }
      *reinterpret_cast<uint64_t*>(arena + r->arena_offset) =
          reinterpret_cast<uint64_t>(address) + (r->target - symbols[r->symbol].value);
      ++stats->by_symbol;
    }
    dlclose(handle);
#endif
  }

  // Globals: escaping references, which point into the image, and the words of function-local
  // statics the bake constructed; then the exit handlers the initializers registered. Every
  // module they name must be the build baked against, and every such static must not have been
  // constructed here yet (a static initializer, or code before the first root's use, did it).
  auto* exits = reinterpret_cast<const img::ExitEntry*>(section + img::exits_offset(h));
  auto other_build = [&](uint32_t m) {
    if (modules[m].kind != img::ModuleKind::shared_library || same_build(*resolved[m], modules[m])) return false;
    snprintf(reason, sizeof(reason), "%s is another build (build-id differs); its globals cannot be restored",
             strings + modules[m].name_offset);
    return true;
  };
  for (uint64_t i = 0; i < h.global_count; ++i) {
    const img::GlobalReloc& g = globals[i];
    if (other_build(g.module) || (g.kind == img::GlobalKind::module_pointer && other_build(g.target_module)))
      return reason;
    if (g.kind == img::GlobalKind::guard && word_at(resolved[g.module]->bias + g.offset) != 0) {
      snprintf(reason, sizeof(reason),
               "a function-local static the bake constructed (guard at %s+%#llx) was constructed before the image "
               "was loaded",
               strings + modules[g.module].name_offset, static_cast<unsigned long long>(g.offset));
      return reason;
    }
  }
  for (uint32_t i = 0; i < h.exit_count; ++i)
    if (other_build(exits[i].fn_module) || other_build(exits[i].dso_module) ||
        (exits[i].obj_module != img::kNoModule && other_build(exits[i].obj_module)))
      return reason;
  for (uint64_t i = 0; i < h.global_count; ++i) {  // guards come last in the table
    const img::GlobalReloc& g = globals[i];
    uint64_t value = g.value;
    if (g.kind == img::GlobalKind::arena) value += reinterpret_cast<uint64_t>(arena);
    if (g.kind == img::GlobalKind::module_pointer) value += resolved[g.target_module]->bias;
    *reinterpret_cast<uint64_t*>(resolved[g.module]->bias + g.offset) = value;
  }
  for (uint32_t i = 0; i < h.exit_count; ++i) {
    const img::ExitEntry& x = exits[i];
    auto fn = reinterpret_cast<void (*)(void*)>(resolved[x.fn_module]->bias + x.fn);
    void* obj = x.obj_module == img::kNoModule ? nullptr : reinterpret_cast<void*>(resolved[x.obj_module]->bias + x.obj);
    __cxa_atexit(fn, obj, reinterpret_cast<void*>(resolved[x.dso_module]->bias + x.dso));
  }
  stats->globals = h.global_count;
  return nullptr;
}

// Maps `mapped` bytes of the image at `offset` of fd at `at` exactly (null: anywhere). A
// compressed arena gets anonymous memory after the tables, to decompress into.
void* map_section(void* at, int fd, uint64_t offset, const img::Header& h, uint64_t mapped, bool compressed) {
  int flags = MAP_PRIVATE | (at ? MAP_FIXED_NOREPLACE : 0);
  void* mem = compressed ? mmap(at, mapped, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0)
                         : mmap(at, mapped, PROT_READ | PROT_WRITE, flags, fd, offset);
  if (mem != MAP_FAILED && at && mem != at) {  // a kernel without MAP_FIXED_NOREPLACE
    munmap(mem, mapped);
    return MAP_FAILED;
  }
  if (mem != MAP_FAILED && compressed &&
      mmap(mem, h.arena_offset, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, offset) != mem) {
    munmap(mem, mapped);
    return MAP_FAILED;
  }
  return mem;
}

void log_line(bool log, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void log_line(bool log, const char* fmt, ...) {
  if (!log) return;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  say(buf, "\n");
}

void load() {
  bool log = env_flag("FASTBOOT_LOG");
  double t0 = now_us();
  auto not_used = [&](const char* why) {
    log_line(log, "fastboot: image not used: %s; running initializers", why);
  };
  if (env_flag("FASTBOOT_DISABLE")) return not_used("disabled by FASTBOOT_DISABLE");

  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return not_used("cannot open /proc/self/exe");
  Section sec;
  const char* why = find_section(fd, &sec);
  img::Header h;
  if (!why && !read_at(fd, &h, sizeof(h), sec.offset)) why = "cannot read the image header";
  if (!why) why = img::validate_header(h, sec.size);
  static ModuleList loaded;  // static: too large for a small thread stack
  if (!why) {
    for_each_module(take_module, &loaded);
    const LoadedModule& exe = loaded.items[0];
    if (loaded.count == 0 || h.build_id_size != exe.build_id_size ||
        memcmp(h.build_id, exe.build_id, exe.build_id_size) != 0)
      why = "the image belongs to another build of this program (build-id differs)";
  }
  unsigned char* section = nullptr;
  uint64_t mapped = 0;  // bytes mapped at section
  bool at_preferred = false;
  bool compressed = !why && h.compression != uint32_t(img::Compression::none);
  bool verify = env_flag("FASTBOOT_VERIFY");
  // Where the arena goes: where the bake had it; at a random base per process
  // (FASTBOOT_RANDOMIZE=1); or at a random base per boot, shared through a relocated copy
  // (baked RANDOMIZE, or FASTBOOT_RANDOMIZE=boot). The environment cannot turn RANDOMIZE off.
  const char* randomize = getenv("FASTBOOT_RANDOMIZE");
  bool per_boot_asked = randomize && strcmp(randomize, "boot") == 0;
  bool per_process = !per_boot_asked && env_flag("FASTBOOT_RANDOMIZE");
  bool per_boot = !why && !per_process && (per_boot_asked || (h.flags & img::kRandomizeBase));
  // An address-stable image holds tables keyed by its objects' addresses: valid at its
  // preferred base only.
  bool fixed = !why && (h.flags & img::kFixedBase);
  if (fixed && (per_process || per_boot))
    why = per_process ? "it holds tables keyed by address (baked ADDRESS_STABLE), valid only at its preferred base, "
                        "and FASTBOOT_RANDOMIZE=1 asks for a random one"
                      : "it holds tables keyed by address (baked ADDRESS_STABLE), valid only at its preferred base, "
                        "and FASTBOOT_RANDOMIZE=boot asks for a random one";
  if (why) per_boot = false;
  PerBoot boot;
  if (per_boot) {
    if (verify) boot.note = "FASTBOOT_VERIFY=1 checks the image itself";
    else if ((boot.dir = copy_dir(&boot.note)) >= 0) {
      copy_name(h, boot.name, sizeof(boot.name));
      boot.fd = open_copy(boot.dir, boot.name, h, &boot.base, &boot.note);
      if (boot.fd < 0 && strcmp(boot.note, "no copy yet") != 0) log_line(log, "fastboot: relocated copy %s not used: %s", boot.name, boot.note);
    }
  }
  if (!why) {
    // A compressed arena gets anonymous memory after the tables, to decompress into.
    mapped = compressed ? h.arena_offset + img::page_up(h.arena_size) : sec.size;
    auto map = [&](void* at) { return map_section(at, fd, sec.offset, h, mapped, compressed); };
    void* want = per_process ? nullptr : reinterpret_cast<void*>(h.preferred_base - h.arena_offset);
    void* mem = MAP_FAILED;
    if (per_boot && boot.fd >= 0) {
      mem = map(reinterpret_cast<void*>(boot.base - h.arena_offset));
      if (mem == MAP_FAILED) {
        boot.note = "its base is taken in this process";
        close(boot.fd);
        boot.fd = -1;
      }
    } else if (per_boot) {
      // No copy for this boot yet: a base of our own, and a copy of it for later processes.
      for (int attempt = 0; attempt < 4 && mem == MAP_FAILED; ++attempt)
        if (uint64_t base = random_base(h)) {
          mem = map(reinterpret_cast<void*>(base - h.arena_offset));
          boot.base = base;
        }
      boot.write = mem != MAP_FAILED && boot.dir >= 0;
    } else {
      mem = map(want);
    }
    if (mem == MAP_FAILED && fixed)
      why = "its preferred base is taken in this process, and it holds tables keyed by address (baked "
            "ADDRESS_STABLE), which are valid only there";
    else if (mem == MAP_FAILED && (want || per_boot)) mem = map(nullptr);
    if (mem == MAP_FAILED && !why) why = "cannot map the image";
    else if (mem != MAP_FAILED) {
      section = static_cast<unsigned char*>(mem);
      at_preferred = mem == want && !per_boot;  // want is null for a random base per process
      if (fixed && !at_preferred)
        why = "it was mapped away from its preferred base, and it holds tables keyed by address (baked "
              "ADDRESS_STABLE), which are valid only there";
    }
  }
  Stats stats;
  if (!why) why = img::validate_tables(h, section);
  if (!why && applies_relocations(h, section, loaded)) why = img::validate_relocs(h, section);
  // Arena pointers hold preferred_base-relative addresses: moved while the arena is filled,
  // or after the arena's checksum with FASTBOOT_VERIFY=1.
  uint64_t delta = section ? reinterpret_cast<uint64_t>(section + h.arena_offset) - h.preferred_base : 0;
  bool filled = false;
  if (!why && per_boot) filled = use_copy(h, section, fd, sec.offset, delta, compressed, &boot, &stats, &why);
  if (!why && !filled && (compressed || mostly_written(h, section, !at_preferred))) {
    why = fill_arena(h, section, fd, sec.offset, verify ? 0 : delta, compressed, !verify, &stats);
  }
  close(fd);
  if (boot.fd >= 0) close(boot.fd);
  if (boot.dir >= 0) close(boot.dir);
  if (!why && verify) {
    if (img::checksum(section + h.arena_offset, h.arena_size) != h.arena_checksum)
      why = "arena checksum mismatch (FASTBOOT_VERIFY=1)";
    else if (delta && !bitmap_intact(h, section))
      why = "relocation bitmap checksum mismatch";
    else if (delta) {
      img::relocate_arena(h, section, delta);
      stats.arena_relocs = h.arena_pointer_count;
    }
  }
  if (!why) {
    why = relocate(h, section, loaded, &stats);
  }
  if (why) {
    lazy_cancel();
    if (section) munmap(section, mapped);
    return not_used(why);
  }

  image.header = reinterpret_cast<const img::Header*>(section);
  image.section = section;
  image.arena = section + h.arena_offset;
  image.loaded = true;
  add_image_range(reinterpret_cast<uintptr_t>(section), reinterpret_cast<uintptr_t>(section) + mapped);
  char how[64] = "", mapping[192];
  if (stats.lazy)
    snprintf(how, sizeof(how), ", arena decompressed on first touch");
  else if (stats.copied || stats.decompressed)
    snprintf(how, sizeof(how), ", arena %s by %u thread%s", stats.copied ? "copied" : "decompressed",
             stats.threads, stats.threads == 1 ? "" : "s");
  if (boot.used)
    snprintf(mapping, sizeof(mapping), "random base for this boot, relocated copy used");
  else if (boot.written)
    snprintf(mapping, sizeof(mapping), "random base for this boot, relocated copy written; %s", boot.note);
  else if (per_boot)
    snprintf(mapping, sizeof(mapping), "relocated; no copy for this boot: %s", boot.note);
  else
    snprintf(mapping, sizeof(mapping), "%s", at_preferred ? "preferred base" : "relocated");
  log_line(log,
           "fastboot: image used: %.1f MiB arena at %p (%s), %u roots, %llu module "
           "relocations (%llu by symbol, %llu stored applied), %llu arena relocations, %llu globals restored%s, %.0f us",
           double(h.arena_size) / (1 << 20), static_cast<void*>(image.arena),
           mapping, h.root_count,
           static_cast<unsigned long long>(h.reloc_count),
           static_cast<unsigned long long>(stats.by_symbol), static_cast<unsigned long long>(stats.fixed),
           static_cast<unsigned long long>(stats.arena_relocs),
           static_cast<unsigned long long>(stats.globals), how, now_us() - t0);
}

}  // namespace

const img::Header* map_image_file(int fd, uint64_t offset, uint64_t size, bool anywhere, const char** why, char* how,
                                  size_t how_size) {
  img::Header h;
  *why = nullptr;
  if (!read_at(fd, &h, sizeof(h), offset)) *why = "cannot read the image header";
  if (!*why) *why = img::validate_header(h, size);
  if (*why) return nullptr;
  // The module list is too large for a small thread's stack, and frozen roots may be mapped by
  // several threads at once.
  void* list = mmap(nullptr, sizeof(ModuleList), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (list == MAP_FAILED) {
    *why = "out of memory";
    return nullptr;
  }
  auto& loaded = *new (list) ModuleList;
  for_each_module(take_module, &loaded);
  if (loaded.count == 0 || h.build_id_size != loaded.items[0].build_id_size ||
      memcmp(h.build_id, loaded.items[0].build_id, h.build_id_size) != 0)
    *why = "the image belongs to another build of this program (build-id differs)";
  bool compressed = h.compression != uint32_t(img::Compression::none);
  uint64_t mapped = compressed ? h.arena_offset + img::page_up(h.arena_size) : size;
  void* want = anywhere ? nullptr : reinterpret_cast<void*>(h.preferred_base - h.arena_offset);
  void* mem = MAP_FAILED;
  if (!*why) {
    mem = map_section(want, fd, offset, h, mapped, compressed);
    if (mem == MAP_FAILED && want) mem = map_section(nullptr, fd, offset, h, mapped, compressed);
    if (mem == MAP_FAILED) *why = "cannot map the image";
  }
  auto* section = mem == MAP_FAILED ? nullptr : static_cast<unsigned char*>(mem);
  Stats stats;
  if (!*why) *why = img::validate_tables(h, section);
  if (!*why && applies_relocations(h, section, loaded)) *why = img::validate_relocs(h, section);
  // The mapping still holds the file's bytes: the arena's checksum, when asked for.
  if (!*why && !compressed && env_flag("FASTBOOT_VERIFY") &&
      img::checksum(section + h.arena_offset, h.arena_size) != h.arena_checksum)
    *why = "arena checksum mismatch (FASTBOOT_VERIFY=1)";
  uint64_t delta = section ? reinterpret_cast<uint64_t>(section + h.arena_offset) - h.preferred_base : 0;
  if (!*why && delta && (h.flags & img::kFixedBase))
    *why = "it holds tables keyed by address, valid only at its preferred base, which is taken in this process";
  if (!*why && (compressed || mostly_written(h, section, delta != 0)))
    *why = fill_arena(h, section, fd, offset, delta, compressed, false, &stats);
  if (!*why) *why = relocate(h, section, loaded, &stats);
  if (!*why && !add_image_range(reinterpret_cast<uintptr_t>(section), reinterpret_cast<uintptr_t>(section) + mapped))
    *why = "too many images in one process";
  munmap(list, sizeof(ModuleList));
  if (*why) {
    if (section) munmap(section, mapped);
    return nullptr;
  }
  snprintf(how, how_size, "%.1f MiB arena at %p (%s), %llu module relocations, %llu arena relocations, %llu globals restored",
           double(h.arena_size) / (1 << 20), static_cast<void*>(section + h.arena_offset),
           delta ? "relocated" : "preferred base", static_cast<unsigned long long>(h.reloc_count),
           static_cast<unsigned long long>(stats.arena_relocs), static_cast<unsigned long long>(stats.globals));
  return reinterpret_cast<const img::Header*>(section);
}

bool image_loaded() {
  pthread_once(&once, load);
  return image.loaded;
}

const void* root_in_image(const img::Header& h, const detail::root_base& r) {
  auto* section = reinterpret_cast<const unsigned char*>(&h);
  auto* roots = reinterpret_cast<const img::RootEntry*>(section + h.roots_offset);
  const char* strings = reinterpret_cast<const char*>(section + h.strings_offset);
  for (uint32_t i = 0; i < h.root_count; ++i) {
    const img::RootEntry& e = roots[i];
    if (strcmp(strings + e.name_offset, r.name) != 0) continue;
    if (e.size != r.size || e.align != r.align || e.type_hash != r.type_hash) return nullptr;
    return section + h.arena_offset + e.object_offset;
  }
  return nullptr;
}

const void* image_root(const detail::root_base& r) {
  return image_loaded() ? root_in_image(*image.header, r) : nullptr;
}

}  // namespace fastboot::rt
