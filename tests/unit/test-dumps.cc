#include "test-dumps.h"

namespace fastboot::baker::testing {

std::uint64_t TwoRuns::alloc(std::uint64_t size, std::uint32_t root, std::uint32_t flags) {
  std::uint64_t off = (a.arena.size() + 15) / 16 * 16;
  for (Dump* d : {&a, &b}) {
    if (d->sites.empty()) d->sites = {0, d == &a ? kExeA + 0x1234 : kExeB + 0x1234};
    protocol::DumpAlloc x = record(off, size, root, flags);
    x.site = 1;
    d->allocs.push_back(x);
    d->arena.resize(off + size, 0);
  }
  return off;
}

void TwoRuns::set(std::uint64_t off, std::uint64_t va, std::uint64_t vb) {
  std::memcpy(a.arena.data() + off, &va, 8);
  std::memcpy(b.arena.data() + off, &vb, 8);
}

TwoRuns make_runs() {
  TwoRuns r;
  r.a.arena_base = kBaseA;
  r.b.arena_base = kBaseB;
  for (Dump* d : {&r.a, &r.b}) {
    std::uint64_t exe = d == &r.a ? kExeA : kExeB;
    std::uint64_t lib = d == &r.a ? kLibA : kLibB;
    d->roots.push_back({"table", 0, 16, 8, 42});
    d->modules.push_back({"/bin/app", exe, true, {1, 2, 3, 4}, {{exe, exe + 0x4000, 4}, {exe + 0x4000, exe + 0x8000, 5}}});
    d->modules.push_back({"/lib/libc.so.6", lib, false, {9, 9}, {{lib, lib + 0x10000, 5}}});
  }
  return r;
}

}  // namespace fastboot::baker::testing
