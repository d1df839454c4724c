// Function-local statics the initializers constructed: a library's registry, a cache behind a
// Meyers singleton. The unbaked program constructs them while its roots are built and keeps
// what the initializers put in them (spdlog::get finds the logger an initializer registered);
// the baked program gets each one back whole at startup: its words as the initializers left
// them (pointers into the heap, into modules, and plain values), its guard set, and the exit
// handler that destroys it registered, in the order the bake registered them. A static that
// cannot come back whole (a word that differs between the runs, an extent no symbol or
// destructor names) is constructed again where the program runs, as before, with a note.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "context.h"
#include "dump.h"
#include "globals.h"
#include "symbols.h"

namespace fastboot::baker {

// __cxa_atexit(fn, obj, dso), each a pointer into a module (obj may be null), to register again
// at startup.
struct ExitHandler {
  static constexpr std::uint32_t kNull = ~0u;  // obj_module of a null obj
  std::uint32_t fn_module, obj_module, dso_module;
  std::uint64_t fn, obj, dso;  // relative to their modules' load bias
  std::string object;          // the static it destroys ("" for a handler of no static)
  std::uint32_t object_module = 0;
};

struct Statics {
  std::vector<GlobalRestore> words;  // kinds value, module_pointer, arena and guard
  std::vector<ExitHandler> exits;
  std::vector<ModuleSpan> objects;   // the restored statics' bytes
  std::vector<std::string> object_names;  // and their names
};

// The statics both runs constructed that can be restored, with their exit handlers, and the exit
// handlers of no static the initializers registered (null object). Notes name what is not.
Statics analyze_statics(Context& ctx, const Dump& a, const Dump& b, DataSymbols& names,
                        const std::vector<ChangedWord>& changed);  // changed_globals(ctx, a, b)

// Drops the exit handlers (and object spans) of statics no longer among `globals` (taken out by
// drop_unbakeable_globals).
void keep_restored_statics(Statics& s, const std::vector<GlobalRestore>& globals);

}  // namespace fastboot::baker
