// The registry of roots and the slow path of a root's first access.
#include <locale>
#include <new>

#include "runtime.h"

namespace fastboot {
namespace {
detail::root_base* head;
detail::root_base* tail;
}  // namespace

namespace rt {
detail::root_base* first_root() { return head; }

void prepare_cxx_runtime() { (void)std::locale::classic(); }
}  // namespace rt

namespace detail {

void register_root(root_base& r) noexcept {
  if (tail) tail->next = &r;
  else head = &r;
  tail = &r;
}

const void* resolve(root_base& r) {
  std::lock_guard<std::mutex> guard(r.lock);
  if (const void* v = r.value.load(std::memory_order_acquire)) return v;
  const void* v;
  if (rt::baking()) {
    v = rt::bake_root(r);
  } else if (!(v = rt::image_root(r))) {
    // Not baked, or the image cannot be used: run the initializer as an unbaked program would.
    void* where = ::operator new(r.size, std::align_val_t(r.align));
    try {
      r.construct(r.init, where);
    } catch (...) {
      ::operator delete(where, std::align_val_t(r.align));
      throw;
    }
    v = where;
  }
  r.value.store(v, std::memory_order_release);
  return v;
}

}  // namespace detail

bool baked() noexcept { return !rt::baking() && rt::image_loaded(); }

}  // namespace fastboot
