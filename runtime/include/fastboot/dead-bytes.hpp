// Bytes of a root's value that no code can read, zeroed in the baking process before its heap
// is dumped, so that what timing left there (the order in which a parallel sort moved short
// strings, say) neither fails the bake nor makes two bakes differ:
//  - a string's characters past its terminator, up to its capacity (the inline buffer of a
//    short string, or the heap buffer of a long one);
//  - a vector's storage past its size;
//  - a disengaged optional's payload;
//  - a variant's union storage past its active alternative.
// The walk follows the value's static type through the standard containers, pairs, tuples,
// arrays, optionals, variants and owning smart pointers, and asks each container through its
// own interface (data(), size(), capacity()), so it is the same for libstdc++ and libc++ and
// needs no debug information. It never changes a value: it writes only bytes past the end of
// what a container holds. Types it does not know (a class of the program's own) are left as
// they are (with -g, the baker's padding pass zeroes the bytes of a string's union that differ).
#pragma once

// No <cstring>: its C declarations (index(), say) would clash with names in the including
// program, so the walk uses the compiler's memset.
#include <array>
#include <cstddef>
#include <deque>
#include <forward_list>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace fastboot::detail::dead {

template <class T>
void clear(T& value);

// Whether a type can hold bytes the walk clears, so that the walk skips a vector<int>'s elements.
template <class T, class = void>
struct has {
  static constexpr bool value = false;
};
template <class T>
inline constexpr bool has_v = has<std::remove_cv_t<T>>::value;

template <class C, class Tr, class A>
struct has<std::basic_string<C, Tr, A>> : std::true_type {};
template <class T, class A>
struct has<std::vector<T, A>> : std::true_type {};
template <class T>
struct has<std::optional<T>> : std::true_type {};
template <class... T>
struct has<std::variant<T...>> : std::true_type {};
template <class A, class B>
struct has<std::pair<A, B>> : std::bool_constant<has_v<A> || has_v<B>> {};
template <class... T>
struct has<std::tuple<T...>> : std::bool_constant<(has_v<T> || ...)> {};
template <class T, std::size_t N>
struct has<std::array<T, N>> : std::bool_constant<has_v<T>> {};
template <class T, std::size_t N>
struct has<T[N]> : std::bool_constant<has_v<T>> {};
template <class T, class D>
struct has<std::unique_ptr<T, D>, std::enable_if_t<!std::is_array_v<T>>> : std::bool_constant<has_v<T>> {};
template <class T>
struct has<std::shared_ptr<T>, std::enable_if_t<!std::is_array_v<T>>> : std::bool_constant<has_v<T>> {};
// Node- and chunk-based containers: only through their elements.
template <class C>
struct has<C, std::void_t<typename C::value_type, typename C::iterator,
                          std::enable_if_t<std::is_same_v<C, std::deque<typename C::value_type, typename C::allocator_type>> ||
                                           std::is_same_v<C, std::list<typename C::value_type, typename C::allocator_type>> ||
                                           std::is_same_v<C, std::forward_list<typename C::value_type, typename C::allocator_type>>>>>
    : std::bool_constant<has_v<typename C::value_type>> {};
template <class K, class V, class L, class A>
struct has<std::map<K, V, L, A>> : std::bool_constant<has_v<K> || has_v<V>> {};
template <class K, class V, class L, class A>
struct has<std::multimap<K, V, L, A>> : std::bool_constant<has_v<K> || has_v<V>> {};
template <class K, class L, class A>
struct has<std::set<K, L, A>> : std::bool_constant<has_v<K>> {};
template <class K, class L, class A>
struct has<std::multiset<K, L, A>> : std::bool_constant<has_v<K>> {};
template <class K, class V, class H, class E, class A>
struct has<std::unordered_map<K, V, H, E, A>> : std::bool_constant<has_v<K> || has_v<V>> {};
template <class K, class V, class H, class E, class A>
struct has<std::unordered_multimap<K, V, H, E, A>> : std::bool_constant<has_v<K> || has_v<V>> {};
template <class K, class H, class E, class A>
struct has<std::unordered_set<K, H, E, A>> : std::bool_constant<has_v<K>> {};
template <class K, class H, class E, class A>
struct has<std::unordered_multiset<K, H, E, A>> : std::bool_constant<has_v<K>> {};

inline void zero(const void* from, const void* to) {
  if (from < to)
    __builtin_memset(const_cast<void*>(from), 0, static_cast<std::size_t>(static_cast<const char*>(to) - static_cast<const char*>(from)));
}

template <class T>
void clear_elements(T& range) {
  if constexpr (has_v<typename T::value_type>)
    for (auto& e : range) clear(const_cast<std::remove_const_t<std::remove_reference_t<decltype(e)>>&>(e));
}

template <class T>
struct walker {
  static void run(T& v) {
    // A node-based container or one of the types above; anything else is left alone.
    if constexpr (has_v<T>) clear_elements(v);
  }
};

template <class C, class Tr, class A>
struct walker<std::basic_string<C, Tr, A>> {
  static void run(std::basic_string<C, Tr, A>& s) {
    // data()[size()] is the terminator; capacity() characters and a terminator fit the buffer.
    const C* d = s.data();
    zero(d + s.size() + 1, d + s.capacity() + 1);
  }
};

template <class T, class A>
struct walker<std::vector<T, A>> {
  static void run(std::vector<T, A>& v) {
    if constexpr (!std::is_same_v<T, bool>) {
      clear_elements(v);
      zero(v.data() + v.size(), v.data() + v.capacity());
    }
  }
};

template <class T>
struct walker<std::optional<T>> {
  static void run(std::optional<T>& o) {
    if (o) return clear(*o);
    // Nothing lives in a disengaged optional: zero it whole, then construct the empty optional
    // again over the zeros (the barrier keeps the compiler from dropping the memset as a store
    // to storage whose object has not begun).
    __builtin_memset(static_cast<void*>(&o), 0, sizeof(o));
    __asm__ volatile("" : : "r"(&o) : "memory");
    ::new (static_cast<void*>(&o)) std::optional<T>();
  }
};

template <std::size_t... N>
constexpr std::size_t largest_of() {
  std::size_t m = 0;
  ((m = N > m ? N : m), ...);
  return m;
}

template <class... T>
struct walker<std::variant<T...>> {
  static void run(std::variant<T...>& v) {
    if (v.valueless_by_exception()) return;
    std::visit(
        [&v](auto& alt) {
          clear(alt);
          // Both standard libraries put the union of alternatives first and the index after it;
          // the bytes of the union past the active alternative belong to none.
          const char* start = reinterpret_cast<const char*>(&v);
          const char* a = reinterpret_cast<const char*>(&alt);
          constexpr std::size_t largest = largest_of<sizeof(T)...>();
          if (a == start) zero(a + sizeof(alt), start + largest);
        },
        v);
  }
};

template <class A, class B>
struct walker<std::pair<A, B>> {
  static void run(std::pair<A, B>& p) {
    clear(const_cast<std::remove_const_t<A>&>(p.first));
    clear(const_cast<std::remove_const_t<B>&>(p.second));
  }
};

template <class... T>
struct walker<std::tuple<T...>> {
  static void run(std::tuple<T...>& t) {
    std::apply([](auto&... e) { (clear(const_cast<std::remove_const_t<std::remove_reference_t<decltype(e)>>&>(e)), ...); }, t);
  }
};

template <class T, std::size_t N>
struct walker<T[N]> {
  static void run(T (&a)[N]) {
    for (auto& e : a) clear(e);
  }
};

template <class T, class D>
struct walker<std::unique_ptr<T, D>> {
  static void run(std::unique_ptr<T, D>& p) {
    if constexpr (!std::is_array_v<T> && has_v<T>)
      if (p) clear(const_cast<std::remove_const_t<T>&>(*p));
  }
};

template <class T>
struct walker<std::shared_ptr<T>> {
  static void run(std::shared_ptr<T>& p) {
    if constexpr (!std::is_array_v<T> && has_v<T>)
      if (p) clear(const_cast<std::remove_const_t<T>&>(*p));
  }
};

template <class T>
void clear(T& value) {
  if constexpr (has_v<T>) walker<std::remove_cv_t<T>>::run(const_cast<std::remove_cv_t<T>&>(value));
}

// What a root records: its value's dead bytes cleared, through a pointer the runtime can call.
template <class T>
void clear_root(void* value) {
  clear(*static_cast<T*>(value));
}

}  // namespace fastboot::detail::dead
