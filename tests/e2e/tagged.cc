// Pointers that carry flags: in their upper 16 bits, as RapidJSON keeps them on x86-64 (user
// addresses have 47 bits), and in their low bits, as LLVM's PointerIntPair does (a pointer to an
// 8-aligned object OR-ed with 0 to 7). Both kinds move with their objects and keep their flags,
// at the preferred base, at a random one, and through compaction (an abandoned block between);
// and tagged pointers into the program (a string literal) and into a library (libstdc++'s or
// libc++'s type_info for std::string, relocated through its exported symbol).
#include <cstdint>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "e2e.h"

namespace {

constexpr std::uintptr_t kTagShift = 48, kAddress = (std::uintptr_t(1) << kTagShift) - 1;

struct Node {
  long value;
  std::uintptr_t next;  // the next node, tagged with this node's index in the upper 16 bits
};

struct Tagged {
  std::uintptr_t high = 0;                // new long(42) | 0x0405 << 48
  std::vector<std::uintptr_t> low;        // &longs[i] | i % 8
  std::unique_ptr<long[]> longs;
  std::uintptr_t list = 0;                // a list of 1,000 nodes linked by tagged pointers
  std::uintptr_t literal = 0;             // "a literal" | 0x8001 << 48
  std::uintptr_t type = 0;                // &typeid(std::string) | 0x0002 << 48
  std::vector<std::uintptr_t> small;      // new int(i) | i % 8: flags past the 4 bytes of the int
};

template <class T>
T* address(std::uintptr_t word) {
  return reinterpret_cast<T*>(word & kAddress);
}

}  // namespace

static fastboot::root<Tagged> tagged{"tagged", [] {
  ++initializer_runs;
  Tagged t;
  t.high = reinterpret_cast<std::uintptr_t>(new long(42)) | (std::uintptr_t(0x0405) << kTagShift);
  delete[] new long[64]{};  // freed between them: compaction moves what follows
  t.longs.reset(new long[64]);
  for (long i = 0; i < 64; ++i) {
    t.longs[i] = i * 3;
    t.low.push_back(reinterpret_cast<std::uintptr_t>(&t.longs[i]) | std::uintptr_t(i % 8));
  }
  std::uintptr_t next = 0;
  for (std::uintptr_t i = 0; i < 1000; ++i) {
    if (i % 100 == 0) new long[8]{};  // abandoned: not in the image
    next = reinterpret_cast<std::uintptr_t>(new Node{long(i), next}) | ((i % 0x7fff + 1) << kTagShift);
  }
  t.list = next;
  t.literal = reinterpret_cast<std::uintptr_t>("a literal") | (std::uintptr_t(0x8001) << kTagShift);
  t.type = reinterpret_cast<std::uintptr_t>(&typeid(std::string)) | (std::uintptr_t(0x0002) << kTagShift);
  for (int i = 0; i < 64; ++i) {
    t.small.push_back(reinterpret_cast<std::uintptr_t>(new int(i * 5)) | std::uintptr_t(i % 8));
    if (i % 9 == 0) delete new int(0);  // abandoned between them: compaction moves what follows
  }
  return t;
}};

int main() {
  const Tagged& t = *tagged;
  std::printf("high: tag %#lx, value %ld\n", static_cast<unsigned long>(t.high >> kTagShift), *address<long>(t.high));
  long sum = 0, flags = 0;
  for (std::uintptr_t w : t.low) sum += *address<long>(w & ~std::uintptr_t(7)), flags += long(w & 7);
  std::printf("low: %zu pointers, sum %ld, flags %ld\n", t.low.size(), sum, flags);
  long nodes = 0, values = 0, tags = 0;
  for (std::uintptr_t w = t.list; w; w = address<Node>(w)->next) {
    ++nodes;
    values += address<Node>(w)->value;
    tags += long(w >> kTagShift);
  }
  std::printf("list: %ld nodes, values %ld, tags %ld\n", nodes, values, tags);
  std::printf("literal: tag %#lx, \"%s\"; type: tag %#lx, the type of a string %s\n",
              static_cast<unsigned long>(t.literal >> kTagShift), address<const char>(t.literal),
              static_cast<unsigned long>(t.type >> kTagShift),
              *address<const std::type_info>(t.type) == typeid(std::string) ? "yes" : "no");
  long small = 0, small_flags = 0;
  for (std::uintptr_t w : t.small) small += *address<int>(w & ~std::uintptr_t(7)), small_flags += long(w & 7);
  std::printf("small: %zu pointers, sum %ld, flags %ld\n", t.small.size(), small, small_flags);
  print_status();
}
