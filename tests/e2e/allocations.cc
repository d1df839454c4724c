// Every allocation form an initializer (or a library it calls) may use.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "e2e.h"

struct alignas(64) Wide {
  double values[8];
};

struct Allocations {
  char* from_malloc;
  int* from_calloc;
  char* from_realloc;
  void* from_posix_memalign;
  void* from_aligned_alloc;
  char* from_strdup;
  long* from_new_array;
  Wide* from_aligned_new;
  Wide* from_aligned_new_array;
  int* from_nothrow;
  std::vector<Wide> wide_vector;
};

static fastboot::root<Allocations> allocations{"allocations", [] {
  ++initializer_runs;
  Allocations a;
  a.from_malloc = static_cast<char*>(std::malloc(32));
  std::strcpy(a.from_malloc, "malloc'd text");
  a.from_calloc = static_cast<int*>(std::calloc(100, sizeof(int)));
  a.from_calloc[99] = 99;
  a.from_realloc = static_cast<char*>(std::malloc(4));
  for (int i = 1; i <= 10; ++i) {  // grow, so the old blocks are freed along the way
    a.from_realloc = static_cast<char*>(std::realloc(a.from_realloc, 16 * i));
    std::memset(a.from_realloc + 16 * (i - 1), 'a' + i - 1, 16);
  }
  a.from_realloc[159] = 0;
  if (posix_memalign(&a.from_posix_memalign, 256, 100) != 0) std::abort();
  std::strcpy(static_cast<char*>(a.from_posix_memalign), "posix_memalign");
  a.from_aligned_alloc = std::aligned_alloc(4096, 4096);
  std::strcpy(static_cast<char*>(a.from_aligned_alloc), "aligned_alloc");
  a.from_strdup = strdup("strdup'd text, via malloc inside libc");
  a.from_new_array = new long[50];
  for (int i = 0; i < 50; ++i) a.from_new_array[i] = i * 1000L;
  a.from_aligned_new = new Wide{{1, 2, 3, 4, 5, 6, 7, 8}};
  a.from_aligned_new_array = new Wide[3];
  a.from_aligned_new_array[2].values[7] = 42;
  a.from_nothrow = new (std::nothrow) int(5);
  std::string temporary(1000, 't');  // allocated and freed during the initializer
  a.wide_vector.resize(10);
  a.wide_vector[9].values[0] = temporary.size();
  void* dropped = std::malloc(64);
  std::free(dropped);
  return a;
}};

static bool aligned(const void* p, std::uintptr_t n) { return reinterpret_cast<std::uintptr_t>(p) % n == 0; }

int main() {
  const Allocations& a = *allocations;
  std::printf("malloc: %s\ncalloc: %d %d\nrealloc: %s\n", a.from_malloc, a.from_calloc[0], a.from_calloc[99], a.from_realloc);
  std::printf("posix_memalign: %s aligned %d\n", static_cast<char*>(a.from_posix_memalign), aligned(a.from_posix_memalign, 256));
  std::printf("aligned_alloc: %s aligned %d\n", static_cast<char*>(a.from_aligned_alloc), aligned(a.from_aligned_alloc, 4096));
  std::printf("strdup: %s\nnew[]: %ld\n", a.from_strdup, a.from_new_array[49]);
  std::printf("aligned new: %.0f aligned %d; array %.0f aligned %d\n", a.from_aligned_new->values[7], aligned(a.from_aligned_new, 64),
              a.from_aligned_new_array[2].values[7], aligned(a.from_aligned_new_array, 64));
  std::printf("nothrow: %d; vector of aligned: %.0f aligned %d\n", *a.from_nothrow, a.wide_vector[9].values[0],
              aligned(a.wide_vector.data(), 64));
  // Memory of the image may be freed like any heap memory; new allocations still work.
  std::free(a.from_strdup);
  delete a.from_nothrow;
  char* fresh = static_cast<char*>(std::realloc(a.from_malloc, 4096));
  std::printf("realloc of baked memory keeps its bytes: %s\n", fresh);
  std::free(fresh);
  print_status();
}
