// A baking process's dump (see runtime/include/fastboot/bake-protocol.h), read into memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "context.h"
#include "fastboot/bake-protocol.h"

namespace fastboot::baker {

struct Segment {
  std::uint64_t start, end;  // [start, end) as mapped in that run
  std::uint64_t flags;
};

struct Module {
  std::string name;
  std::uint64_t bias = 0;
  bool is_executable = false;
  std::vector<std::uint8_t> build_id;
  std::vector<Segment> segments;
};

struct Root {
  std::string name;
  std::uint64_t object_offset, size, align, type_hash;
};

struct Dump {
  std::string path;
  std::uint64_t arena_base = 0;
  std::vector<protocol::DumpAlloc> allocs;  // sorted by offset
  std::vector<Root> roots;
  std::vector<Module> modules;  // the executable first
  std::vector<protocol::DumpGlobal> globals;  // words of writable data the initializers changed
  struct Mapping {
    std::uint64_t start, end;
    std::string name;  // "[stack]", "[heap]", a path, or empty for anonymous memory
  };
  std::vector<Mapping> maps;  // the baking process's memory map at the end of the bake
  std::vector<std::uint8_t> arena;
};

// Reads and checks a dump; records an error and returns nothing if it is malformed.
std::optional<Dump> read_dump(Context& ctx, const std::string& path);

}  // namespace fastboot::baker
