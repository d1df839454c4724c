// A compressed image's arena filled on first touch: the first reads of baked bytes come from the
// kernel (write(2) of a baked string), from a forked child, and from the program itself, and
// all see the same data as the initializer built.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "e2e.h"

struct Corpus {
  std::string text;                 // 3 MiB: spans many chunks
  std::vector<std::uint64_t> values;  // 16 MiB
  std::vector<std::string> lines;
};

static fastboot::root<Corpus> corpus{"corpus", [] {
  ++initializer_runs;
  Corpus c;
  for (std::uint64_t i = 0; c.text.size() < (3u << 20); ++i) c.text += "line " + std::to_string(i * 7919 % 100003) + ";";
  for (std::uint64_t i = 0; i < (2u << 20); ++i) c.values.push_back(i * 2654435761u % 1000003);
  for (int i = 0; i < 20000; ++i) c.lines.push_back(std::string(40 + i % 50, char('a' + i % 26)));
  return c;
}};

static std::uint64_t sum(const Corpus& c) {
  std::uint64_t s = 0;
  for (std::uint64_t v : c.values) s += v;
  for (const std::string& l : c.lines) s = s * 31 + l.size() + std::uint64_t(l[0]);
  return s;
}

int main() {
  const Corpus& c = *corpus;
  // The kernel reads the end of the baked text first: a pipe's write(2) from its bytes.
  int fds[2];
  if (pipe(fds) != 0) return 2;
  const char* tail = c.text.data() + c.text.size() - 4096;
  if (write(fds[1], tail, 4096) != 4096) return 3;
  std::string echoed(4096, '\0');
  if (read(fds[0], echoed.data(), 4096) != 4096) return 4;
  std::printf("kernel read the tail: %s\n", echoed == c.text.substr(c.text.size() - 4096) ? "same" : "DIFFERENT");
  // A child forked now reads everything, as the parent does after it.
  std::fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    std::printf("child sum: %llu\n", static_cast<unsigned long long>(sum(c)));
    std::fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  std::printf("parent sum: %llu\n", static_cast<unsigned long long>(sum(c)));
  std::printf("text: %zu bytes, starts %s\n", c.text.size(), c.text.substr(0, 20).c_str());
  print_status();
}
