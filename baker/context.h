// The state every pass of the baker works on. There are no globals in the baker: each pass
// takes a Context&. Diagnostics collect here; checkpoint() stops after a pass that had errors,
// so the user sees every problem of that pass at once.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fastboot/image-format.h"

namespace fastboot::baker {

struct Options {
  std::string program;            // the executable to bake
  std::string working_directory;  // where the baking processes run; empty = inherit
  // A program for another machine runs under this command (program and arguments), with the
  // program's path after them; empty: it runs itself.
  std::vector<std::string> emulator;
  // The arena's address space in each baking process (protocol::kEnvReserve); 0: the runtime's
  // own, 128 GiB. Under an emulator 16 GiB: qemu-user keeps state for every page of a mapping
  // (about 6 MiB and 8 ms per GiB), which took 800 MiB and 1.2 s per run at 128 GiB.
  std::uint64_t arena_reserve = 0;
  // Arena bases of the two bake runs; the first is the image's preferred base. Both, with the
  // image's tables below the first, lie where programs built with AddressSanitizer or
  // ThreadSanitizer may map memory too (high in the user address space, below where the kernel
  // starts placing mappings). The shift between them is not a multiple of 2^32: half of an
  // arena address beside a 4-byte value (register leftovers in padding) must not pass for a
  // whole arena pointer.
  std::uint64_t base_a = 0x7e8100000000;
  std::uint64_t base_b = 0x7ea5a5a5a000;
  // The initializers' stack, at this address in both runs (protocol::kBakeStackSize bytes):
  // an address in it is in a frame that is gone when the initializer returns.
  std::uint64_t stack_base = 0x7ed000000000;
  bool verbose = false;
  // Bake only this root (a frozen root, which the freezer bakes on its own); empty: every root.
  std::string root;
  // With root a frozen map's name: the key whose root to build (FASTBOOT_BAKE_KEY).
  std::optional<std::string> key;
  // The image's preferred base; 0: base_a. The freezer gives each frozen root a base of its own.
  std::uint64_t image_base = 0;
  // Print nothing (the freezer, which runs in the background and keeps only the first error).
  bool quiet = false;
  // The bake runs leave a gap after every allocation (protocol::kEnvGaps): set for a second try
  // when an address that ends one allocation and starts the next led to an unbakeable block.
  bool arena_gaps = false;
  // Store the arena as LZ4 or zstd chunks, decompressed at startup (none: mapped as it is).
  image::Compression compress = image::Compression::none;
  // Map the image at a random base per boot and user (image::kRandomizeBase) instead of the
  // bake's fixed one.
  bool randomize_base = false;
  // Both bake runs put the arena at base_a (base_b == base_a), with the modules still at other
  // addresses in each: a table hashed or ordered by its objects' addresses is laid out the same
  // in both and bakes. Arena pointers are then told from data by range alone, allocations keep
  // their offsets (no compaction moves them), and the image is usable only at its preferred
  // base (image::kFixedBase): anywhere else the program runs its initializers.
  bool address_stable = false;
  // The freezer bakes a frozen root (never address-stable: its image may be mapped anywhere).
  bool freezing = false;
  // The second bake run sets the locale and time-zone variables to values unlike the build
  // machine's (second_run_environment() in run.cc), so a value derived from them differs
  // between the runs the way an address does. Off in the freezer: a frozen value is built where
  // it runs, and the variables it read are part of its cache key.
  bool vary_environment = true;
  std::string depfile;            // where `link` writes the files the initializers read
  std::size_t max_errors = 20;    // non-relocatable words spelled out before summarizing
  // Progress: a bake that runs longer than a second shows the pass it is in (a live line with
  // the percent of the heap done on a terminal, one line per finished pass otherwise) and the
  // per-pass times at the end. `always` shows it from the start, `never` not at all.
  enum class Progress { automatic, always, never } progress = Progress::automatic;
};

class Context;

// `error(ctx) << "text " << 42;` records one message when the statement ends.
class Diagnostic {
 public:
  Diagnostic(std::vector<std::string>& sink, std::string prefix)
      : sink_(sink), text_(std::move(prefix)) {}
  Diagnostic(const Diagnostic&) = delete;
  ~Diagnostic() { sink_.push_back(std::move(text_)); }
  template <class T>
  Diagnostic& operator<<(const T& v) {
    text_ += fmt::format("{}", v);
    return *this;
  }

 private:
  std::vector<std::string>& sink_;
  std::string text_;
};

// Thrown by checkpoint() once errors have been printed; main() turns it into exit code 1.
struct BakeFailed {};

class Context {
 public:
  explicit Context(Options o);
  Options opts;
  std::vector<std::string> errors;
  std::vector<std::string> notes;
  std::vector<std::pair<std::string, double>> timings;  // pass name, milliseconds
  // What the initializers read from outside, by kind ("file", "environment", "time",
  // "randomness"), as the bake audit traced it.
  std::map<std::string, std::set<std::string>> audit;
  // A frozen root's runs only: each file they opened, with every state it had just before an open
  // (one state when nothing changed it while they read it).
  std::map<std::string, std::set<std::string>> opened;
  // What the second bake run set instead of the build machine's environment ("LC_ALL=tr_TR.UTF-8,
  // TZ=FBT-12:45"); empty when it ran in the same environment as the first.
  std::string varied_environment;
  // An error that says nothing about the program or its values and may not happen again: a
  // baking process that could not set up, write its dump, or was killed.
  bool passing_failure = false;
  // The value depends on what only the program's own run had (its input, its arguments, what main
  // set): a frozen root's refusal then holds whatever main sets.
  bool depends_on_run = false;

  // Progress of the running pass: `ctx.work(n)` when it knows how much there is, then
  // `ctx.advance(k)` (from any thread) as k more are done.
  void work(std::uint64_t total);
  void advance(std::uint64_t done);
  void pass_started(const std::string& name);
  void pass_finished();  // after its entry in timings
  // Removes the live progress line before other output.
  void clear_progress_line();
  // After the last pass: on a terminal, the per-pass times, if progress was shown.
  void finish_progress();

 private:
  bool showing();
  void draw(bool may_start);
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_ = Clock::now();
  bool terminal_ = false;
  bool shown_ = false;             // progress has been shown (the bake ran long enough)
  std::size_t lines_printed_ = 0;  // passes printed as lines (no terminal)
  std::vector<std::string> passes_;  // the running pass, inside the passes it is part of
  std::atomic<std::uint64_t> total_{0}, done_{0};
  std::atomic<std::int64_t> last_draw_ns_{0};
  bool line_on_screen_ = false;
};

Diagnostic error(Context& ctx);
Diagnostic note(Context& ctx);
// Prints the notes; prints the errors and throws BakeFailed if there were any.
void checkpoint(Context& ctx);

// Times a pass for --verbose: `Timer t(ctx, "diff");`
class Timer {
 public:
  Timer(Context& ctx, std::string name)
      : ctx_(ctx), name_(std::move(name)), start_(std::chrono::steady_clock::now()) {
    ctx_.pass_started(name_);
  }
  ~Timer() {
    std::chrono::duration<double, std::milli> d = std::chrono::steady_clock::now() - start_;
    ctx_.timings.emplace_back(name_, d.count());
    ctx_.pass_finished();
  }

 private:
  Context& ctx_;
  std::string name_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace fastboot::baker
