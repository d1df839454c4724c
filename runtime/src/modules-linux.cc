// The loaded modules of this process (executable and shared libraries), from the dynamic
// loader's list.
#include <elf.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

namespace fastboot::rt {

namespace {
struct Walk {
  bool (*fn)(const ModuleInfo&, void*);
  void* arg;
  bool first = true;
  bool stopped = false;
};
}  // namespace

void for_each_module(bool (*fn)(const ModuleInfo&, void*), void* arg) {
  Walk walk{fn, arg};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* p) -> int {
        auto* w = static_cast<Walk*>(p);
        ModuleInfo m{info->dlpi_name ? info->dlpi_name : "", info->dlpi_addr, info->dlpi_phdr,
                     info->dlpi_phnum, w->first};
        w->first = false;
        if (!w->fn(m, w->arg)) {
          w->stopped = true;
          return 1;
        }
        return 0;
      },
      &walk);
}

unsigned module_build_id(const ModuleInfo& m, std::uint8_t* out) {
  auto* ph = static_cast<const ElfW(Phdr)*>(m.phdrs);
  for (unsigned i = 0; i < m.phnum; ++i) {
    if (ph[i].p_type != PT_NOTE) continue;
    auto* p = reinterpret_cast<const unsigned char*>(m.bias + ph[i].p_vaddr);
    auto* end = p + ph[i].p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      auto* n = reinterpret_cast<const ElfW(Nhdr)*>(p);
      const unsigned char* name = p + sizeof(ElfW(Nhdr));
      const unsigned char* desc = name + ((n->n_namesz + 3) & ~3u);
      const unsigned char* next = desc + ((n->n_descsz + 3) & ~3u);
      if (next > end) break;
      if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
        unsigned size = n->n_descsz > 32 ? 32 : n->n_descsz;
        memcpy(out, desc, size);
        return size;
      }
      p = next;
    }
  }
  return 0;
}

void say(const char* a, const char* b, const char* c, const char* d) {
  for (const char* s : {a, b, c, d}) {
    size_t n = strlen(s);
    while (n > 0) {
      ssize_t w = write(2, s, n);
      if (w <= 0) return;
      s += w;
      n -= size_t(w);
    }
  }
}

bool executable_path(char* out, size_t size) {
  ssize_t n = size ? readlink("/proc/self/exe", out, size - 1) : -1;
  if (n <= 0) {
    if (size) out[0] = 0;
    return false;
  }
  out[n] = 0;
  return true;
}

bool env_flag(const char* name) {
  const char* v = getenv(name);
  return v && *v && strcmp(v, "0") != 0;
}

double now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

bool read_at(int fd, void* out, size_t n, uint64_t off) {
  auto* p = static_cast<char*>(out);
  while (n > 0) {
    ssize_t got = pread(fd, p, n, off_t(off));
    if (got <= 0) return false;
    p += got;
    n -= size_t(got);
    off += uint64_t(got);
  }
  return true;
}

}  // namespace fastboot::rt
