// Function-local statics the initializers construct: a library's logger registry (a stripped
// shared library, like spdlog's), a leaky singleton and a list in the program, and an exit
// handler registered with atexit. Baked, the program finds each as the initializers left it:
// get_logger returns the very logger the root holds, and at exit the same handlers run in the
// same order. With "early", the program builds the registry itself before the first root's use:
// the image is not used, and the answers are the unbaked program's.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "e2e.h"
#include "statics-lib.h"

struct Settings {
  int verbosity;
  const char* mode;
};

static Settings& settings() {
  static Settings* s = new Settings{3, "fast"};  // a leaky singleton: no destructor to register
  return *s;
}

static std::vector<std::string>& seen() {
  static std::vector<std::string> names;  // destroyed at exit
  return names;
}

struct App {
  std::shared_ptr<Logger> logger;
  std::vector<std::shared_ptr<Logger>> workers;
};

static fastboot::root<App> app{"app", [] {
  ++initializer_runs;
  App a;
  a.logger = register_logger("main", 2);
  for (int i = 0; i < 3; ++i) a.workers.push_back(register_logger("worker-" + std::to_string(i), i));
  settings().verbosity = 5;
  for (const char* n : {"alpha", "beta", "gamma"}) seen().push_back(n);
  std::atexit([] { std::printf("at exit: %zu names seen\n", seen().size()); });
  return a;
}};

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "early") == 0) register_logger("early", 1);
  const App& a = *app;
  std::shared_ptr<Logger> found = get_logger("main");
  std::printf("get_logger(\"main\") is the root's logger: %s\n", found && found == a.logger ? "yes" : "no");
  std::printf("loggers: %zu, default: %s, worker-2 level %d\n", logger_count(), default_logger_name().c_str(),
              get_logger("worker-2") ? get_logger("worker-2")->level : -1);
  std::printf("settings: verbosity %d, mode %s\n", settings().verbosity, settings().mode);
  std::printf("seen: %zu names, last %s\n", seen().size(), seen().empty() ? "-" : seen().back().c_str());
  print_status();
  std::fflush(stdout);
  return 0;
}
