// Internal interfaces between the runtime's files. Nothing here is seen by user code.
#pragma once

#include <cstddef>
#include <cstdint>

#include "fastboot/fastboot.hpp"

namespace fastboot::rt {

// --- alloc-hooks.cc: the arena and the allocator hooks -----------------------------------

struct AllocRecord {
  std::uint64_t offset;
  std::uint64_t size;
  std::uint64_t site;
  std::uint32_t root;
  std::uint32_t flags;
};

// Reserves the arena at exactly `base`; false if the range is taken.
bool arena_begin(std::uintptr_t base, std::size_t reserve);
// Routes this thread's allocations to the arena (true) or the system allocator (false).
void arena_capture(bool on);
// Tags the arena allocations that follow with a root index; returns the previous tag.
std::uint32_t arena_set_root(std::uint32_t root);
void* arena_alloc(std::size_t size, std::size_t align, std::uint32_t flags, void* site);
// The arena's own bookkeeping, which changes during a bake and is not the program's state.
void arena_state_range(std::uintptr_t* lo, std::uintptr_t* hi);
std::uintptr_t arena_base();
std::size_t arena_used();
const AllocRecord* arena_records(std::size_t* count);

// Memory that free() and friends must leave alone: the mapped image.
void set_image_range(std::uintptr_t lo, std::uintptr_t hi);

// --- roots.cc -----------------------------------------------------------------------------

detail::root_base* first_root();
// Initializes the C++ runtime's lazy global state (the classic locale) that baked values may
// point into: before the bake's snapshot, and before a baked program serves its roots.
void prepare_cxx_runtime();

// --- bake-linux.cc ------------------------------------------------------------------------

// True inside a baking process.
bool baking();
// Builds r's value in the arena (the baking process's resolve()).
void* bake_root(detail::root_base& r);

// True on the baking thread while initializers run (the only calls the audit records).
bool auditing();
// Traces "audit <kind>\t<what>" for the baker; audit_at resolves a path relative to a dirfd.
void audit(const char* kind, const char* what);
void audit_at(const char* kind, int dir, const char* path);

// --- audit-linux.cc -----------------------------------------------------------------------

// Finds the wrapped functions before the bake starts, so the lookups allocate nothing in it.
void prepare_audit();

// --- loader-linux.cc ----------------------------------------------------------------------

// The value of root r from the image, or null when there is no usable image or no such root.
// The first call maps the image.
const void* image_root(const detail::root_base& r);
bool image_loaded();

// --- modules-linux.cc -----------------------------------------------------------------------

struct ModuleInfo {
  const char* name;
  std::uintptr_t bias;
  const void* phdrs;  // ElfW(Phdr)*
  unsigned phnum;
  bool is_executable;
};
// Calls fn for every loaded module, the executable first. fn returns false to stop.
void for_each_module(bool (*fn)(const ModuleInfo&, void*), void* arg);
// The GNU build-id of a module, copied into out (at most 32 bytes); returns its size, 0 if none.
unsigned module_build_id(const ModuleInfo& m, std::uint8_t* out);

// Writes a message to stderr without allocating.
void say(const char* a, const char* b = "", const char* c = "", const char* d = "");

}  // namespace fastboot::rt
