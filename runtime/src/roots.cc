// The registry of roots and the slow path of a root's first access.
#include <pthread.h>

#include <new>

#include "runtime.h"

namespace fastboot {
namespace {
detail::root_base* head;
detail::root_base* tail;
detail::root_base* frozen_head;
detail::root_base* frozen_tail;
}  // namespace

namespace rt {
detail::root_base* first_root() { return head; }
detail::root_base* first_frozen() { return frozen_head; }
void add_frozen(detail::root_base& r) {
  if (frozen_tail) frozen_tail->next = &r;
  else frozen_head = &r;
  frozen_tail = &r;
}
void (*freeze_worker)();

// std::locale::classic() of libstdc++ and of libc++, whichever the program has: weak
// references, so the runtime links against neither.
extern "C" const void* fastboot_classic_locale_gnu() __asm__("_ZNSt6locale7classicEv") __attribute__((weak));
extern "C" const void* fastboot_classic_locale_llvm() __asm__("_ZNSt3__16locale7classicEv") __attribute__((weak));

void* run_initializer(detail::root_base& r) {
  void* where = ::operator new(r.size, std::align_val_t(r.align));
  try {
    r.construct(r.init, where);
  } catch (...) {
    ::operator delete(where, std::align_val_t(r.align));
    throw;
  }
  return where;
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
