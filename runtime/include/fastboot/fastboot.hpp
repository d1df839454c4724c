// fastboot: C++ roots whose values are built at build time and mapped at startup.
//
//   static fastboot::root<Dict> dict{"dict", [] { return load_dict(); }};
//   ... dict->lookup("word") ...
//
// A root lives three lives:
//  - In an unbaked program, the first access runs the initializer exactly once (thread-safe)
//    and keeps the value on the heap.
//  - During a bake (`fastboot_bake` in CMake), the program is started in a baking process that
//    never runs `main`: after static initialization it runs every root's initializer with all
//    allocations on the baking thread going to an arena at a fixed address; the baker turns
//    that arena into an image in the executable's `.fastboot` section.
//  - In a baked program, the first access maps the image and returns the value from it; the
//    initializer never runs. Without a usable image (missing, stale, FASTBOOT_DISABLE=1) the
//    program behaves as if unbaked.
// A root is never destroyed at exit. Declare roots at namespace scope with unique names, and
// do not touch a root from a static initializer of another translation unit.
//
// A frozen root is the same for data that only exists where the program runs (a user's
// dictionary, a project's index):
//
//   static fastboot::frozen<Index> index{"index", [] { return build_index(); }};
//
// The first run without a usable image runs the initializer and serves the value from the heap;
// a background process of the same program then makes an image of it the way a bake does and
// writes it to the user's cache ($FASTBOOT_CACHE_DIR, else $XDG_CACHE_HOME/fastboot, else
// ~/.cache/fastboot). Later runs map that image instead of running the initializer, until a
// file or environment variable the initializer read changes. FASTBOOT_FREEZE=sync makes the
// first run wait for the image, FASTBOOT_FREEZE=off never reads or writes one. A fastboot_bake
// does not bake frozen roots. An image is made only of the value the first run built, so an
// initializer that reads the program's arguments (through a global main set) or its standard
// input is never frozen: use a frozen map for those.
//
// A frozen map is a frozen root per key, for data the program chooses at run time (the file named
// on its command line):
//
//   static fastboot::frozen_map<Index> index{"index", [](std::string_view path) { return build_index(path); }};
//   ... index.get(argv[1]) ...
//
// Each key's value is built on its first run with that key and frozen into an image of its own,
// which later runs with the key map. The cache keeps the newest images of each map: 16 keys and
// 1 GiB by default (FASTBOOT_FROZEN_KEYS, FASTBOOT_FROZEN_KEY_MIB).
//
// This header names no type of the C++ standard library in what the runtime shares with user
// code, so one runtime serves programs built against libstdc++ and against libc++.
#pragma once

// One error, not a cascade: the header itself needs C++17, so an older standard gets the #error
// and declarations that let the including code parse without errors of its own.
#if __cplusplus < 201703L
#error "fastboot.hpp needs C++17 or later: compile this file with -std=c++17 (or set CMAKE_CXX_STANDARD 17)"
namespace fastboot {
bool baked();
template <class T>
class root {
 public:
  template <class F>
  root(const char*, F) {}
  const T* get() const;
  const T& operator*() const;
  const T* operator->() const;
};
template <class T>
class frozen : public root<T> {
 public:
  template <class F>
  frozen(const char* name, F f) : root<T>(name, f) {}
};
template <class T>
class frozen_map {
 public:
  template <class F>
  frozen_map(const char*, F) {}
  template <class K>
  const T& get(const K&) const;
};
}  // namespace fastboot
#else

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "dead-bytes.hpp"

namespace fastboot {

// True when this process's roots come from a baked image.
bool baked() noexcept;

namespace detail {

// A hash of T's spelling, so a root is never served from an image baked for another type.
template <class T>
constexpr std::uint64_t type_hash() {
  std::string_view s = __PRETTY_FUNCTION__;
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h;
}

struct root_base {
  const char* name;
  std::size_t size;
  std::size_t align;
  std::uint64_t type_hash;
  void* init;                                 // the initializer, type-erased
  void (*construct)(void* init, void* where);  // runs init, constructs the value at where
  void (*clear_dead)(void* value);             // zeroes bytes no code reads (null: none known)
  // A frozen map's: runs init with a key. Its keys' roots (made by the runtime, one per key used)
  // have key set, a copy of the key; the map's own has it null.
  void (*construct_keyed)(void* init, const char* key, std::size_t key_size, void* where) = nullptr;
  const char* key = nullptr;
  std::size_t key_size = 0;
  root_base* keys = nullptr;  // a frozen map's keys' roots
  std::atomic<const void*> value{nullptr};
  // The first access's lock, owned by the runtime (a pthread mutex; all zeros is its initial
  // state), kept opaque so that no standard library's std::mutex is part of the interface:
  // glibc's is 40 bytes on x86-64 and 48 on aarch64.
#if defined(__aarch64__)
  alignas(8) unsigned char lock[48] = {};
#else
  alignas(8) unsigned char lock[40] = {};
#endif
  root_base* next = nullptr;
};

void register_root(root_base& r) noexcept;
const void* resolve(root_base& r);
// Frozen roots: registered apart from roots, which a bake builds.
void register_frozen(root_base& r) noexcept;
const void* resolve_frozen(root_base& r);
// A frozen map's value for a key.
const void* resolve_keyed(root_base& map, const char* key, std::size_t key_size);

// The description of a value of type T built by `init`, shared by every kind of root: the
// caller sets how it is constructed (construct, or construct_keyed) and registers it.
template <class T, class Fn>
void describe(root_base& b, const char* name, Fn* init) {
  b.name = name;
  b.size = sizeof(T);
  b.align = alignof(T);
  b.type_hash = type_hash<T>();
  b.init = init;
  if constexpr (dead::has_v<T>) b.clear_dead = &dead::clear_root<T>;
  else b.clear_dead = nullptr;
}

// What a root and a frozen root share: the value's description and the first access.
template <class T, bool Frozen>
class basic_root {
  static_assert(std::is_move_constructible_v<T>, "a root's type must be move-constructible");

 public:
  template <class F, class = std::enable_if_t<std::is_invocable_r_v<T, F&>>>
  basic_root(const char* name, F init) {
    using Fn = std::decay_t<F>;
    describe<T>(base_, name, new Fn(std::move(init)));
    base_.construct = [](void* fn, void* where) { ::new (where) T((*static_cast<Fn*>(fn))()); };
    if constexpr (Frozen) detail::register_frozen(base_);
    else detail::register_root(base_);
  }
  basic_root(const basic_root&) = delete;
  basic_root& operator=(const basic_root&) = delete;

  const T* get() const {
    if (const void* v = base_.value.load(std::memory_order_acquire)) return static_cast<const T*>(v);
    if constexpr (Frozen) return static_cast<const T*>(detail::resolve_frozen(base_));
    else return static_cast<const T*>(detail::resolve(base_));
  }
  const T& operator*() const { return *get(); }
  const T* operator->() const { return get(); }

 private:
  mutable detail::root_base base_;
};

}  // namespace detail

// A value built at build time by fastboot_bake and mapped at startup.
template <class T>
class root : public detail::basic_root<T, false> {
 public:
  using detail::basic_root<T, false>::basic_root;
};

// A value built on the first run where the program runs, and mapped from the user's cache after.
template <class T>
class frozen : public detail::basic_root<T, true> {
 public:
  using detail::basic_root<T, true>::basic_root;
};

// A frozen root per key: get(key) builds the key's value with init(key) on the first run with
// that key, and maps its image on later ones.
template <class T>
class frozen_map {
  static_assert(std::is_move_constructible_v<T>, "a root's type must be move-constructible");

 public:
  template <class F, class = std::enable_if_t<std::is_invocable_r_v<T, F&, std::string_view>>>
  frozen_map(const char* name, F init) {
    using Fn = std::decay_t<F>;
    detail::describe<T>(base_, name, new Fn(std::move(init)));
    base_.construct = nullptr;
    base_.construct_keyed = [](void* fn, const char* key, std::size_t size, void* where) {
      ::new (where) T((*static_cast<Fn*>(fn))(std::string_view(key, size)));
    };
    detail::register_frozen(base_);
  }
  frozen_map(const frozen_map&) = delete;
  frozen_map& operator=(const frozen_map&) = delete;

  const T& get(std::string_view key) const {
    return *static_cast<const T*>(detail::resolve_keyed(base_, key.data(), key.size()));
  }
  const T& operator[](std::string_view key) const { return get(key); }

 private:
  mutable detail::root_base base_;
};

}  // namespace fastboot

#endif  // C++17
