#include "statics.h"

#include "diff.h"

#include <algorithm>
#include <map>
#include <set>

namespace fastboot::baker {

namespace {

// The module of run `d` holding address, its index and the address relative to its load bias.
bool locate(const Dump& d, std::uint64_t address, std::uint32_t* module, std::uint64_t* offset) {
  const Module* m = module_holding(d, address);
  if (!m) return false;
  *module = std::uint32_t(m - d.modules.data());
  *offset = address - m->bias;
  return true;
}

// A recorded static or handler, its addresses made relative to their modules (the same in both
// runs when the runs did the same thing).
struct Event {
  std::uint32_t guard_module = 0;
  std::uint64_t guard = 0;  // relative; has_guard false: none
  bool has_guard = false;
  bool handler = false;
  ExitHandler exit{};
  bool exit_ok = false;  // fn, dso and obj (or null) all lie in modules
  bool operator<(const Event& o) const {
    return std::tie(has_guard, guard_module, guard, handler, exit.fn_module, exit.fn, exit.obj_module, exit.obj) <
           std::tie(o.has_guard, o.guard_module, o.guard, o.handler, o.exit.fn_module, o.exit.fn, o.exit.obj_module,
                    o.exit.obj);
  }
};

std::vector<Event> events_of(const Dump& d) {
  std::vector<Event> events;
  for (const protocol::DumpStatic& s : d.statics) {
    Event e;
    e.has_guard = s.guard && locate(d, s.guard, &e.guard_module, &e.guard);
    if (s.guard && !e.has_guard) continue;  // a guard outside every module: not a static's
    e.handler = s.fn != 0;
    if (e.handler) {
      e.exit_ok = locate(d, s.fn, &e.exit.fn_module, &e.exit.fn) && locate(d, s.dso, &e.exit.dso_module, &e.exit.dso);
      if (s.obj == 0) {
        e.exit.obj_module = ExitHandler::kNull;
      } else if (!locate(d, s.obj, &e.exit.obj_module, &e.exit.obj)) {
        e.exit_ok = false;
      }
    }
    events.push_back(e);
  }
  return events;
}

}  // namespace

Statics analyze_statics(Context& ctx, const Dump& a, const Dump& b, DataSymbols& names,
                        const std::vector<ChangedWord>& changed_globals) {
  Statics out;
  if (a.statics.empty()) return out;
  if (!a.statics_complete || !b.statics_complete) {
    note(ctx) << "the initializers constructed more function-local statics than the bake records; none is "
                 "restored: the baked program constructs them again";
    return out;
  }
  const std::vector<Event> ea = events_of(a), eb = events_of(b);
  const std::multiset<Event> in_b(eb.begin(), eb.end());
  auto in_both = [&](const Event& e) { return in_b.count(e) > 0; };

  // Changed words by module and offset, and their sorted offsets per module.
  std::map<std::pair<std::uint32_t, std::uint64_t>, ChangedWord> changed;
  for (const ChangedWord& w : changed_globals) changed[{w.module, w.offset}] = w;
  const auto offsets = changed_words(a);
  // Every guard, per module: a static's bytes never run into another's guard.
  std::map<std::uint32_t, std::set<std::uint64_t>> guards;
  for (const Event& e : ea)
    if (e.has_guard && !e.handler) guards[e.guard_module].insert(e.guard);

  const std::string env = varied_variables_read(ctx);
  std::vector<std::pair<std::size_t, ExitHandler>> exits;  // with their place in run A's records
  ElfDataSymbols elf;  // mangled names: a guard's symbol names its static's
  std::set<std::pair<std::uint32_t, std::uint64_t>> done;
  std::map<std::string, std::vector<std::string>> not_restored;  // module -> "static (why)"
  for (const Event& e : ea) {
    if (!e.has_guard || e.handler || !done.insert({e.guard_module, e.guard}).second) continue;
    const Module& m = a.modules[e.guard_module];
    if (is_system_runtime(m) || !writable_at(m, e.guard)) continue;  // theirs to build again
    const std::uint32_t mi = e.guard_module;

    // The static's handlers: registered while it was constructed.
    std::vector<const Event*> handlers;
    for (const Event& h : ea)
      if (h.handler && h.has_guard && h.guard_module == mi && h.guard == e.guard) handlers.push_back(&h);

    // Its bytes: the symbol its guard's symbol names, or the one at the object its destructor
    // gets; else from that object on, the words the bake changed up to a gap of 256 bytes, the
    // next guard or the end of the data.
    std::uint64_t start = 0, end = 0;
    std::string name;
    DataSymbol guard_sym = elf.data_symbol(m, e.guard);
    if (guard_sym.name.rfind("_ZGV", 0) == 0) {
      DataSymbol s = elf.named(m, "_Z" + guard_sym.name.substr(4));
      if (s.size) start = s.start, end = s.start + s.size;
    }
    const Event* own = nullptr;  // the handler whose object is the static
    for (const Event* h : handlers)
      if (h->exit.obj_module == mi && (!own || h->exit.obj < own->exit.obj)) own = h;
    if (!end && own) {
      DataSymbol s = elf.data_symbol(m, own->exit.obj);
      if (s.size) {
        start = s.start, end = s.start + s.size;
      } else {
        start = own->exit.obj;
        end = start + 8;
        static const std::vector<std::uint64_t> none;
        auto in_module = offsets.find(mi);
        const std::vector<std::uint64_t>& list = in_module == offsets.end() ? none : in_module->second;
        auto next_guard = guards[mi].upper_bound(start);
        std::uint64_t limit = next_guard == guards[mi].end() ? ~0ull : *next_guard;
        for (auto it = std::lower_bound(list.begin(), list.end(), start); it != list.end(); ++it) {
          if (*it >= limit || *it > end + 256) break;
          end = *it + 8;
        }
      }
    }
    DataSymbol shown = names.data_symbol(m, start);
    name = shown.size && shown.start == start ? shown.name : fmt::format("{}+{:#x}", base_name(m.name), start);
    if (!end) {
      not_restored[label(m)].push_back(fmt::format("the static guarded at {:#x} (no symbol or destructor says "
                                                   "which bytes are its)", e.guard));
      continue;
    }

    // Both runs constructed it, and registered the same handlers for it.
    std::string why;
    if (!in_both(e)) why = "the second bake run did not construct it";
    for (const Event* h : handlers)
      if (why.empty() && (!h->exit_ok || !in_both(*h)))
        why = "its destructor is registered differently in the two bake runs";

    // Every word it changed comes back: the same in both runs, or a pointer that moved with the
    // heap or a module. The guard changed too.
    std::vector<GlobalRestore> words;
    auto guard_word = changed.find({mi, e.guard & ~7ull});
    if (why.empty() && (guard_word == changed.end() || guard_word->second.kind != ChangedWord::data))
      why = "its guard differs between the bake runs";
    for (auto it = changed.lower_bound({mi, start & ~7ull}); why.empty() && it != changed.end() && it->first.first == mi &&
                                                           it->first.second < end;
         ++it) {
      const ChangedWord& w = it->second;
      if (w.offset == (e.guard & ~7ull)) continue;
      GlobalRestore g{mi, w.offset, 0, name};
      switch (w.kind) {
        case ChangedWord::data:
          g.kind = GlobalRestore::plain, g.value = w.value;
          break;
        case ChangedWord::arena:
          g.kind = GlobalRestore::arena, g.arena_offset = w.value - a.arena_base;
          break;
        case ChangedWord::module_pointer:
          g.kind = GlobalRestore::module_pointer, g.target_module = w.target_module;
          g.value = w.value - a.modules[w.target_module].bias;
          break;
        case ChangedWord::differs:
          why = fmt::format("its word at +{} differs between the bake runs ({:#x} in the first)", w.offset - start, w.value);
          break;
      }
      words.push_back(g);
    }
    if (!why.empty()) {
      // Constructed again in the baked program, it would lack what the initializers put in it.
      error(ctx) << label(m) << ": the function-local static " << name << ", which the initializers constructed, "
                 << "cannot be restored: " << why << "; the baked program would construct it again, without what "
                 << "the initializers put in it" << (env.empty() ? "" : " (the initializers read " + env + ", which the "
                                                     "second bake run sets to " + ctx.varied_environment + ")")
                 << ". Keep it out of the initializers (use it first in main), or make what it holds the same in "
                    "every run";
      continue;
    }
    GlobalRestore g{mi, e.guard & ~7ull, 0, name};
    g.kind = GlobalRestore::guard;
    g.value = guard_word->second.value;
    words.push_back(g);
    out.words.insert(out.words.end(), words.begin(), words.end());
    out.objects.push_back({mi, start, end});
    out.object_names.push_back(name);
    for (const Event* h : handlers) {
      ExitHandler x = h->exit;
      x.object = name;
      x.object_module = mi;
      exits.push_back({std::size_t(h - ea.data()), x});
    }
  }

  // Handlers registered outside any static's construction, with no object (atexit(f)): the
  // unbaked program runs them at exit, so the baked one registers them too.
  std::size_t dropped = 0;
  for (const Event& h : ea) {
    if (!h.handler || h.has_guard) continue;
    if (h.exit_ok && h.exit.obj_module == ExitHandler::kNull && in_both(h)) exits.push_back({std::size_t(&h - ea.data()), h.exit});
    else ++dropped;
  }
  // In the order run A registered them, which is the order they run in reverse at exit.
  std::sort(exits.begin(), exits.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  for (auto& [order, x] : exits) out.exits.push_back(std::move(x));

  std::map<std::string, std::vector<std::string>> restored;
  for (const GlobalRestore& g : out.words)
    if (g.kind == GlobalRestore::guard) restored[label(a.modules[g.module])].push_back(g.object);
  for (auto& [module, list] : restored)
    note(ctx) << module << ": the function-local static" << (list.size() == 1 ? " " : "s ") << summarize(list)
              << (list.size() == 1 ? " was" : " were") << " constructed by the initializers and will be restored "
              << "at startup, with " << (list.size() == 1 ? "its guard and destructor" : "their guards and destructors");
  for (auto& [module, list] : not_restored)
    note(ctx) << module << ": function-local static" << (list.size() == 1 ? " " : "s ")
              << "the initializers constructed cannot be restored: " << summarize(list)
              << "; the baked program constructs " << (list.size() == 1 ? "it" : "them") << " again";
  if (dropped)
    note(ctx) << "the initializers registered " << dropped << " exit handler" << (dropped == 1 ? "" : "s")
              << " for objects the baked program does not get back (on the heap, or globals of a library they "
              << "loaded); the baked program does not run " << (dropped == 1 ? "it" : "them") << " at exit";
  return out;
}

void keep_restored_statics(Statics& s, const std::vector<GlobalRestore>& globals) {
  const auto kept = restored_statics(globals);
  std::vector<ExitHandler> exits;
  for (const ExitHandler& x : s.exits)
    if (x.object.empty() || kept.count({x.object_module, x.object})) exits.push_back(x);
  s.exits = std::move(exits);
  std::vector<ModuleSpan> objects;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < s.objects.size(); ++i)
    if (kept.count({s.objects[i].module, s.object_names[i]})) {
      objects.push_back(s.objects[i]);
      names.push_back(s.object_names[i]);
    }
  s.objects = std::move(objects);
  s.object_names = std::move(names);
}

}  // namespace fastboot::baker
