// An initializer that forks. The arena is memory the bake shares with the baker, but a forked
// child must get a copy, as fork() gives of any heap: the child here writes into the objects it
// inherited and allocates memory it fills with junk, and the parent's value stays its own, its
// later allocations from calloc still zero.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "e2e.h"

struct Forked {
  std::vector<std::string> words;
  int child_status = -1;
  bool zeroed = true;
};

static fastboot::root<Forked> forked{"forked", [] {
  ++initializer_runs;
  Forked f;
  f.words = {"parent", "a word too long for the string's own storage", "stays"};
  f.words.reserve(8);
  pid_t pid = fork();
  if (pid == 0) {
    f.words[0].assign("child");
    f.words[1][0] = 'X';
    f.words.push_back("pushed by the child");
    for (int i = 0; i < 64; ++i) std::memset(std::malloc(4096), 0xab, 4096);
    _exit(7);
  }
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) f.child_status = WEXITSTATUS(status);
  for (int i = 0; i < 64; ++i) {
    auto* block = static_cast<unsigned char*>(std::calloc(4096, 1));
    for (int j = 0; j < 4096; ++j) f.zeroed &= block[j] == 0;
  }
  return f;
}};

int main() {
  for (const std::string& w : forked->words) std::printf("%s\n", w.c_str());
  std::printf("child exited with %d; calloc after the fork %s\n", forked->child_status,
              forked->zeroed ? "zeroed" : "NOT ZEROED");
  print_status();
}
