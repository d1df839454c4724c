// Compiled states laid out one after another, each pointing at the next, with small fields
// beside the pointer: the layout of Boost.Regex's state machines. A word pointing 16 bytes past
// itself, a small number after it and a zero byte where that number says looks like a
// libstdc++ short string; nothing may be zeroed as if it were one (the next state's pointer
// would be lost).
#include <cstdint>
#include <memory>

#include "e2e.h"

namespace {

struct State {
  std::uint64_t type;   // a small kind, as an enum would be
  State* next;          // the state right after this one
  std::uint64_t small;  // a small operand
};

constexpr int kStates = 200;

struct Machine {
  std::unique_ptr<State[]> states;
  State* start = nullptr;
};

}  // namespace

static fastboot::root<Machine> machine{"machine", [] {
  ++initializer_runs;
  Machine m;
  m.states.reset(new State[kStates]);
  for (int i = 0; i < kStates; ++i)
    m.states[i] = State{std::uint64_t(i % 7), i + 1 < kStates ? &m.states[i + 1] : nullptr, std::uint64_t(1 + i % 9)};
  m.start = &m.states[0];
  return m;
}};

int main() {
  long states = 0, types = 0, operands = 0;
  for (const State* s = machine->start; s; s = s->next) ++states, types += long(s->type), operands += long(s->small);
  std::printf("%ld states, types %ld, operands %ld\n", states, types, operands);
  print_status();
}
