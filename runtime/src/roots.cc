// The registry of roots and the slow path of a root's first access.
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <new>

#include "runtime.h"

extern "C" char __start_fastboot_state[] __attribute__((weak));
extern "C" char __stop_fastboot_state[] __attribute__((weak));

namespace fastboot {
namespace {
FASTBOOT_STATE detail::root_base* head;
FASTBOOT_STATE detail::root_base* tail;
FASTBOOT_STATE detail::root_base* frozen_head;
FASTBOOT_STATE detail::root_base* frozen_tail;
}  // namespace

namespace rt {
detail::root_base* first_root() { return head; }
detail::root_base* first_frozen() { return frozen_head; }

void runtime_state_range(uintptr_t* lo, uintptr_t* hi) {
  *lo = reinterpret_cast<uintptr_t>(__start_fastboot_state);
  *hi = reinterpret_cast<uintptr_t>(__stop_fastboot_state);
}

bool runtime_data(uintptr_t addr) {
  uintptr_t lo, hi;
  runtime_state_range(&lo, &hi);
  if (lo && addr + 8 > lo && addr < hi) return true;
  for (detail::root_base* list : {first_root(), first_frozen()})
    for (detail::root_base* r = list; r; r = r->next) {
      auto a = reinterpret_cast<uintptr_t>(r);
      if (addr + 8 > a && addr < a + sizeof(*r)) return true;
    }
  return false;
}
void add_frozen(detail::root_base& r) {
  if (frozen_tail) frozen_tail->next = &r;
  else frozen_head = &r;
  frozen_tail = &r;
}
FASTBOOT_STATE void (*freeze_worker)();

// std::locale::classic() of libstdc++ and of libc++, whichever the program has: weak
// references, so the runtime links against neither.
extern "C" const void* fastboot_classic_locale_gnu() __asm__("_ZNSt6locale7classicEv") __attribute__((weak));
extern "C" const void* fastboot_classic_locale_llvm() __asm__("_ZNSt3__16locale7classicEv") __attribute__((weak));

__attribute__((noinline)) void clear_stack_frames(size_t bytes) {
  auto* below = static_cast<char*>(__builtin_alloca(bytes));
  memset(below, 0, bytes);
  asm volatile("" : : "r"(below) : "memory");  // the stores are kept
}

void clear_stack_below() { clear_stack_frames(256 * 1024); }

void* run_initializer(detail::root_base& r, bool clean_stack) {
  void* where = ::operator new(r.size, std::align_val_t(r.align));
  try {
    if (clean_stack) clear_stack_below();
    construct_value(r, where);
  } catch (...) {
    ::operator delete(where, std::align_val_t(r.align));
    throw;
  }
  return where;
}

detail::root_base* key_root(detail::root_base& map, const char* key, size_t size) {
  FirstAccess guard(map);
  for (detail::root_base* k = map.keys; k; k = k->next)
    if (k->key_size == size && memcmp(k->key, key, size) == 0) return k;
  auto* copy = static_cast<char*>(malloc(size + 1));
  void* mem = malloc(sizeof(detail::root_base));
  if (!copy || !mem) {
    free(copy);
    free(mem);
    return nullptr;
  }
  memcpy(copy, key, size);
  copy[size] = 0;
  auto* k = new (mem) detail::root_base;
  k->name = map.name;
  k->size = map.size;
  k->align = map.align;
  k->type_hash = map.type_hash;
  k->init = map.init;
  k->construct = nullptr;
  k->construct_keyed = map.construct_keyed;
  k->clear_dead = map.clear_dead;
  k->key = copy;
  k->key_size = size;
  k->next = map.keys;  // the map's keys, newest first; never freed, like every root's value
  map.keys = k;
  return k;
}

void prepare_cxx_runtime() {
  if (fastboot_classic_locale_gnu) (void)fastboot_classic_locale_gnu();
  if (fastboot_classic_locale_llvm) (void)fastboot_classic_locale_llvm();
}
}  // namespace rt

namespace detail {

void register_root(root_base& r) noexcept {
  if (tail) tail->next = &r;
  else head = &r;
  tail = &r;
}


const void* resolve(root_base& r) {
  rt::FirstAccess guard(r);
  if (const void* v = r.value.load(std::memory_order_acquire)) return v;
  const void* v;
  rt::StateAccess access;
  if (rt::baking()) {
    v = rt::bake_root(r);
  } else if (!(v = rt::image_root(r))) {
    // Not baked, or the image cannot be used: run the initializer as an unbaked program would.
    v = rt::run_initializer(r);
  }
  r.value.store(v, std::memory_order_release);
  return v;
}

}  // namespace detail

bool baked() noexcept { return !rt::baking() && rt::image_loaded(); }

}  // namespace fastboot
