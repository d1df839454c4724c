// Escaping references: globals (writable data of any module) that the initializers changed.
// A global set to point into the arena (g_table = new Table) is restored in the baked program;
// other changes are reported by symbol. A baked value that points at library state the bake
// itself initialized would see that state uninitialized at startup: that is an error.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "context.h"
#include "diff.h"
#include "dump.h"
#include "symbols.h"

namespace fastboot::baker {

// Bytes [start, end) of a module's data, relative to its load bias.
struct ModuleSpan {
  std::uint32_t module;
  std::uint64_t start, end;
};

struct GlobalRestore {
  // arena: a pointer into the heap the bake built. The other kinds restore a function-local
  // static the initializers constructed (statics.h): plain, a word as it is; module_pointer, a
  // pointer into a module; guard, the static's guard, written last and only where it is still 0.
  enum Kind : std::uint8_t { arena, plain, module_pointer, guard };
  std::uint32_t module;        // index into the dump's modules
  std::uint64_t offset;        // relative to the module's load bias
  std::uint64_t arena_offset;  // arena: the arena address it held after the bake
  std::string object;          // the object it belongs to (data symbol, or module+offset), restored
                               // whole or not at all
  Kind kind = arena;
  std::uint32_t target_module = 0;  // module_pointer: the module pointed into
  std::uint64_t value = 0;          // plain, guard: the word; module_pointer: the target
                                    // relative to target_module's load bias
};

// A word of a module's writable data the initializers changed, by how it moved between the runs:
// equal in both (data), by the arena's shift, by the shift of the module it points into, or
// otherwise (differs, and pointers into the initializers' stacks, which no later process has).
struct ChangedWord {
  enum Kind { data, arena, module_pointer, differs } kind;
  std::uint32_t module;
  std::uint64_t offset;
  std::uint64_t value;              // in run A
  std::uint32_t target_module = 0;  // module_pointer
};
std::vector<ChangedWord> changed_globals(const Context& ctx, const Dump& a, const Dump& b);

// Groups the changed globals (changed_globals) by object, records notes, and returns what to
// restore. Words of `statics` (restored by analyze_statics) are taken as they are.
std::vector<GlobalRestore> analyze_globals(Context& ctx, const Dump& a, DataSymbols& symbols,
                                           const std::vector<ChangedWord>& changed,
                                           const std::vector<GlobalRestore>& statics = {});

// The function-local statics among `globals` (statics.h), as (module, object): the objects one
// of whose words is a guard.
std::set<std::pair<std::uint32_t, std::string>> restored_statics(const std::vector<GlobalRestore>& globals);

// A note per module naming the objects that will be restored.
void note_restored_globals(Context& ctx, const Dump& a, const std::vector<GlobalRestore>& globals);

// Takes out of `globals` every object whose heap holds a word that cannot be baked where no root
// reaches it, when the object is state a library computes lazily: every word of it was zero
// before the initializers ran (a default locale computed from the environment and cached behind
// a null pointer). The baked program starts with it empty, so the library builds the state again
// where it runs, as it would unbaked; a note names the object and what differed. Any other
// object stays, and its words are errors: a function-local static the initializers constructed,
// or an object that held a value before them (a registry they added to), would come back without
// what the initializers put in it. Words a root reaches stay errors.
void drop_unbakeable_globals(Context& ctx, const Dump& a, const Classification& c, std::vector<GlobalRestore>& globals);

// The arena offsets restored globals point at, and what each is ("the function-local static X
// (libfoo.so), constructed by the initializers"), for reachable_allocations and the paths its
// diagnostics print.
struct GlobalSources {
  std::vector<std::uint64_t> offsets;
  std::vector<std::string> names;
};
GlobalSources global_sources(const Dump& a, const std::vector<GlobalRestore>& globals);

// A reachable baked pointer into writable data of a module that the bake itself changed (a
// function-local static the initializers constructed, a library's registry): the baked
// program would see that data as it was before the bake.
struct BakeStatePointer {
  std::uint64_t arena_offset;  // the word
  std::size_t alloc;           // the allocation holding it
  std::uint32_t module;
  std::uint64_t target;        // relative to the module's load bias
  std::string symbol;          // the data symbol holding the target; "" when none is known
};
std::vector<BakeStatePointer> pointers_to_bake_state(const Dump& a, const Classification& c,
                                                     const std::vector<bool>& reachable,  // Reachability::reached
                                                     DataSymbols& symbols,
                                                     const std::vector<ModuleSpan>& restored = {});
// What such data is ("s_instance in libfoo.so", or its address and what it may be).
std::string describe_bake_state(const Dump& a, const BakeStatePointer& p);
// What to do about it, the end of every error about such a pointer.
extern const char* const kBakeStateAdvice;
// One error per pointer, naming the word by root and arena offset (the freezer's errors; the
// baker names the object, its allocation site and its path, see diagnose.h).
void report_pointers_to_bake_state(Context& ctx, const Dump& a, const std::vector<BakeStatePointer>& found);

// How notes name a module ("the program", or the library's file name), a path's file name, and
// a list of names ("a, b, c and 4 more", each name once).
std::string label(const Module& m);
std::string base_name(const std::string& path);
std::string summarize(std::vector<std::string> names);

// The offsets of the words of each module's writable data the bake changed, sorted, by module.
std::map<std::uint64_t, std::vector<std::uint64_t>> changed_words(const Dump& a);

// The C and C++ runtime libraries and the sanitizer runtimes: their internal state is theirs to
// rebuild, never restored.
bool is_system_runtime(const Module& m);
// Data of a sanitizer runtime linked into the program itself (UBSan's type cache, say).
bool is_sanitizer_state(const std::string& symbol);

}  // namespace fastboot::baker
