#include "context.h"

#include <fmt/core.h>
#include <unistd.h>

namespace fastboot::baker {

Diagnostic error(Context& ctx) { return Diagnostic(ctx.errors, "fastboot-bake: error: "); }
Diagnostic note(Context& ctx) { return Diagnostic(ctx.notes, "fastboot-bake: note: "); }

Context::Context(Options o) : opts(std::move(o)), terminal_(isatty(2) == 1) {}

bool Context::showing() {
  if (shown_) return true;
  if (opts.progress == Options::Progress::never) return false;
  if (opts.progress == Options::Progress::automatic && Clock::now() - start_ < std::chrono::seconds(1)) return false;
  shown_ = true;
  return true;
}

void Context::work(std::uint64_t total) {
  total_ = total;
  done_ = 0;
}

void Context::advance(std::uint64_t done) {
  done_ += done;
  if (!terminal_) return;
  // At most ten redraws a second, by whichever thread gets there first.
  std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
  std::int64_t last = last_draw_ns_.load();
  if (now - last < 100'000'000 || !last_draw_ns_.compare_exchange_strong(last, now)) return;
  draw(false);
}

// Only the bake's own thread may start showing progress (shown_ is not atomic); advance() may
// run on the passes' worker threads, so it only redraws a line already shown.
void Context::draw(bool may_start) {
  if (!terminal_ || (!may_start && !shown_) || !showing()) return;
  double seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  std::uint64_t total = total_, done = done_;
  std::string percent = total ? fmt::format(" {:3.0f}%", 100.0 * double(std::min(done, total)) / double(total)) : "";
  fmt::print(stderr, "\r\033[Kfastboot-bake: [{:.1f} s] {}{}", seconds, passes_.empty() ? "" : passes_.back(), percent);
  std::fflush(stderr);
  line_on_screen_ = true;
}

void Context::clear_progress_line() {
  if (!line_on_screen_) return;
  fmt::print(stderr, "\r\033[K");
  line_on_screen_ = false;
}

void Context::pass_started(const std::string& name) {
  passes_.push_back(name.substr(std::min(name.find_first_not_of(' '), name.size())));
  work(0);
  draw(true);
}

void Context::pass_finished() {
  if (!passes_.empty()) passes_.pop_back();
  if (terminal_) {
    if (!passes_.empty()) draw(false);
    return;
  }
  if (!showing()) return;
  // No terminal (a CI log): one line per finished pass, the earlier ones caught up at once.
  for (; lines_printed_ < timings.size(); ++lines_printed_)
    fmt::print(stderr, "fastboot-bake: {}: {:.0f} ms\n", timings[lines_printed_].first, timings[lines_printed_].second);
}

void Context::finish_progress() {
  clear_progress_line();
  if (!terminal_ || !shown_ || opts.verbose) return;
  for (const auto& [name, ms] : timings) fmt::print(stderr, "fastboot-bake: {:>10.1f} ms  {}\n", ms, name);
}

void checkpoint(Context& ctx) {
  if (ctx.opts.quiet) {
    ctx.notes.clear();
    if (!ctx.errors.empty()) throw BakeFailed{};
    return;
  }
  ctx.clear_progress_line();
  for (const std::string& n : ctx.notes) fmt::print(stderr, "{}\n", n);
  ctx.notes.clear();
  if (ctx.errors.empty()) return;
  for (const std::string& e : ctx.errors) fmt::print(stderr, "{}\n", e);
  fmt::print(stderr, "fastboot-bake: bake of {} failed with {} error{}\n", ctx.opts.program,
             ctx.errors.size(), ctx.errors.size() == 1 ? "" : "s");
  throw BakeFailed{};
}

}  // namespace fastboot::baker
