// The two baking processes. They run in parallel; each gets its own arena base, its own dump
// and trace files, and its output captured in a log that is shown once.
#include "run.h"

#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <thread>
#include <vector>

namespace fastboot::baker {

namespace {

struct Process {
  std::string dump, trace, log;
  pid_t pid = -1;
  int status = 0;
  // The read end of the pipe that is the run's standard input, which holds one byte: a run that
  // leaves it unread read no input.
  int input = -1;
  // The run's memory file (protocol::kEnvMemory): its arena and allocation records.
  int memory = -1;
  ~Process() {
    if (input >= 0) close(input);
    if (memory >= 0) close(memory);
  }
  Process() = default;
  Process(Process&& o) noexcept : dump(std::move(o.dump)), trace(std::move(o.trace)), log(std::move(o.log)), pid(o.pid),
                                  status(o.status), input(std::exchange(o.input, -1)), memory(std::exchange(o.memory, -1)) {}
  Process& operator=(Process&& o) noexcept {
    std::swap(dump, o.dump), std::swap(trace, o.trace), std::swap(log, o.log);
    pid = o.pid, status = o.status;
    std::swap(input, o.input);
    std::swap(memory, o.memory);
    return *this;
  }
};

// Whether the run read its standard input (the byte the baker left in its pipe is gone).
bool read_input(const Process& p) {
  int left = 0;
  return p.input >= 0 && ioctl(p.input, FIONREAD, &left) == 0 && left == 0;
}

std::string read_file(const std::string& path) {
  std::string out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[65536];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) out.append(buf, std::size_t(n));
  close(fd);
  return out;
}

// Calls fn for each line of text (without its newline).
template <class Fn>
void for_each_line(const std::string& text, Fn fn) {
  for (std::size_t begin = 0; begin < text.size();) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    fn(text.substr(begin, end - begin));
    begin = end + 1;
  }
}

// The locale and time-zone variables of the second bake run: other values than this
// environment's, so a value derived from them (a library's default locale, a local time)
// differs between the runs and is caught, instead of carrying the build machine's settings to
// every user. A locale this machine has is preferred, so libc's setlocale() takes it; else a
// name libraries that read the variables themselves (ICU) still take.
struct SecondRunEnvironment {
  std::vector<std::pair<std::string, std::string>> variables;
  std::string described;  // "LC_ALL=..., LANG=..., TZ=...[; <locale> is no locale this machine has]"
};
SecondRunEnvironment second_run_environment() {
  auto get = [](const char* name) {
    const char* v = getenv(name);
    return std::string(v ? v : "");
  };
  std::string current = get("LC_ALL");
  if (current.empty()) current = get("LANG");
  std::string locale;
  bool installed = false;
  for (const char* candidate : {"tr_TR.UTF-8", "de_DE.UTF-8", "fr_FR.UTF-8", "en_US.UTF-8", "C.UTF-8"})
    if (candidate != current)
      if (locale_t l = newlocale(LC_ALL_MASK, candidate, locale_t(0))) {
        freelocale(l);
        locale = candidate;
        installed = true;
        break;
      }
  // Only C and C.UTF-8 here (a fresh system): a real locale's name all the same, which libc's
  // setlocale() refuses (the program keeps the "C" locale) and std::locale("") throws for.
  if (locale.empty() || locale == "C.UTF-8") {
    locale = current == "tr_TR.UTF-8" ? "de_DE.UTF-8" : "tr_TR.UTF-8";
    installed = false;
  }
  std::string tz = get("TZ") == "FBT-12:45" ? "FBT+05:30" : "FBT-12:45";
  return {{{"LC_ALL", locale}, {"LANG", locale}, {"LANGUAGE", locale.substr(0, 2)}, {"TZ", tz}},
          fmt::format("LC_ALL={0}, LANG={0}, TZ={1}{2}", locale, tz,
                      installed ? "" : "; " + locale + " is no locale this machine has")};
}

// Run A starts with address-space randomization off, so every address it sees (modules, stack,
// heap) is the same in every bake and the leftovers its padding copies are too: the image is
// reproducible. Run B keeps randomization on, so a value that depends on where something was
// mapped differs between the runs and is caught.
Process spawn(Context& ctx, const std::string& dir, char tag, std::uint64_t base, bool fixed_layout,
              const std::vector<std::pair<std::string, std::string>>& environment = {}) {
  Process p;
  p.dump = fmt::format("{}/run-{}.dump", dir, tag);
  p.trace = fmt::format("{}/run-{}.trace", dir, tag);
  p.log = fmt::format("{}/run-{}.log", dir, tag);
  std::string base_text = fmt::format("{:x}", base);
  std::string stack_text = fmt::format("{:x}", ctx.opts.stack_base);
  std::string reserve_text = fmt::format("{:x}", ctx.opts.arena_reserve);
  const std::string& program = ctx.opts.program;
  // What the child executes: under an emulator, the program is its last argument (argv[0] of the
  // program stays its path). Built here: the child of a fork allocates as little as it can.
  std::vector<char*> argv;
  for (const std::string& word : ctx.opts.emulator) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(const_cast<char*>(program.c_str()));
  argv.push_back(nullptr);
  // The memory file: anonymous memory the baker can map once the run has ended, private to
  // this bake (no name in any directory).
  p.memory = memfd_create(fmt::format("fastboot-bake-{}", tag).c_str(), MFD_CLOEXEC);
  if (p.memory < 0) {
    error(ctx) << "cannot create the bake run's memory file: " << strerror(errno);
    ctx.passing_failure = true;
    return p;
  }
  // Standard input: a pipe holding one newline, then its end. The program reads what a program
  // run from a script with no input would, and reading it shows.
  int input[2] = {-1, -1};
  if (pipe2(input, O_CLOEXEC) == 0) {
    ssize_t written = write(input[1], "\n", 1);
    close(input[1]);
    if (written != 1) close(input[0]), input[0] = -1;
  }
  p.pid = fork();
  if (p.pid == 0) {
    int fd = open(p.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    if (input[0] >= 0) {
      dup2(input[0], 0);  // without O_CLOEXEC
    } else if (int null = open("/dev/null", O_RDONLY); null >= 0) {
      dup2(null, 0);
    }
    rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (!ctx.opts.working_directory.empty() && chdir(ctx.opts.working_directory.c_str()) != 0) {
      fmt::print(stderr, "cannot enter {}: {}\n", ctx.opts.working_directory, strerror(errno));
      _exit(127);
    }
    // Above the standard descriptors whatever number it had, and open across exec.
    int memory = fcntl(p.memory, F_DUPFD, 10);
    char memory_text[16];
    if (memory < 0) _exit(127);
    snprintf(memory_text, sizeof(memory_text), "%d", memory);
    setenv(protocol::kEnvMemory, memory_text, 1);
    setenv(protocol::kEnvOutput, p.dump.c_str(), 1);
    setenv(protocol::kEnvTrace, p.trace.c_str(), 1);
    setenv(protocol::kEnvBase, base_text.c_str(), 1);
    setenv(protocol::kEnvStack, stack_text.c_str(), 1);
    setenv(protocol::kEnvSkew, fixed_layout ? "0" : "10", 1);
    if (ctx.opts.arena_reserve) setenv(protocol::kEnvReserve, reserve_text.c_str(), 1);
    else unsetenv(protocol::kEnvReserve);
    if (ctx.opts.arena_gaps) setenv(protocol::kEnvGaps, "1", 1);
    else unsetenv(protocol::kEnvGaps);
    int persona = personality(0xffffffff);
    if (persona != -1) personality(fixed_layout ? (persona | ADDR_NO_RANDOMIZE) : (persona & ~ADDR_NO_RANDOMIZE));
    if (!ctx.opts.root.empty()) setenv(protocol::kEnvRoot, ctx.opts.root.c_str(), 1);
    else unsetenv(protocol::kEnvRoot);
    if (ctx.opts.key) setenv(protocol::kEnvKey, ctx.opts.key->c_str(), 1);
    else unsetenv(protocol::kEnvKey);
    if (!ctx.opts.root.empty()) setenv(protocol::kEnvClearBelow, "1", 1);  // the freezer's runs
    else unsetenv(protocol::kEnvClearBelow);
    // Every symbol bound before main: a call bound lazily during an initializer runs the dynamic
    // linker on its stack, which leaves the linker's own addresses there (a different one in each
    // run, where the layout moves) for uninitialized bytes of the value to copy.
    setenv("LD_BIND_NOW", "1", 1);
    unsetenv("FASTBOOT_DISABLE");
    unsetenv("FASTBOOT_RANDOMIZE");
    for (const auto& [name, value] : environment) setenv(name.c_str(), value.c_str(), 1);
    if (ctx.opts.emulator.empty()) execv(argv[0], argv.data());
    else execvp(argv[0], argv.data());  // found on the PATH, as CMake runs it
    fmt::print(stderr, "cannot execute {}: {}\n", argv[0], strerror(errno));
    _exit(127);
  }
  p.input = input[0];
  if (p.pid < 0) {
    error(ctx) << "cannot fork: " << strerror(errno);
    ctx.passing_failure = true;
  }
  return p;
}

// Explains why a baking process did not produce a dump, naming the root it was building.
void explain_failure(Context& ctx, const Process& p) {
  std::string open_root, thrown, setup_error;
  const std::string trace = read_file(p.trace);
  for_each_line(trace, [&](const std::string& line) {
    if (line.rfind("begin ", 0) == 0) open_root = line.substr(6);
    else if (line.rfind("end ", 0) == 0) open_root.clear();
    else if (line.rfind("throw ", 0) == 0) thrown = line.substr(6);
    else if (line.rfind("error ", 0) == 0) setup_error = line.substr(6);
  });
  std::string output = read_file(p.log);
  if (!output.empty() && !ctx.opts.quiet) {
    fmt::print(stderr, "fastboot-bake: output of the baking process:\n{}", output);
    if (output.back() != '\n') fmt::print(stderr, "\n");
  }
  const std::string& prog = ctx.opts.program;
  if (!thrown.empty()) {
    auto tab = thrown.find('\t');
    error(ctx) << prog << ": root '" << thrown.substr(0, tab) << "': the initializer threw an exception: "
               << (tab == std::string::npos ? "" : thrown.substr(tab + 1))
               << "; a bake needs every initializer to return a value";
  } else if (!setup_error.empty()) {
    error(ctx) << prog << ": " << setup_error;
    // Address space, memory, a full disk: not the program's doing, unless its roots share a name.
    ctx.passing_failure |= setup_error.find(" are named ") == std::string::npos;
  } else if (WIFSIGNALED(p.status)) {
    ctx.passing_failure |= WTERMSIG(p.status) == SIGKILL;  // the OOM killer, or someone else
    int sig = WTERMSIG(p.status);
    if (!open_root.empty())
      error(ctx) << prog << ": root '" << open_root << "': the initializer crashed with signal "
                 << sig << " (" << strsignal(sig) << ") during the bake; run the program with "
                 << "FASTBOOT_DISABLE=1 to debug the initializer unbaked";
    else
      error(ctx) << prog << ": the baking process died with signal " << sig << " ("
                 << strsignal(sig) << ") outside any initializer";
  } else if (!open_root.empty()) {
    error(ctx) << prog << ": root '" << open_root << "': the initializer ended the process (exit status "
               << WEXITSTATUS(p.status) << ") during the bake; an initializer must return its value, "
               << "not call exit()";
  } else if (trace.empty() && WEXITSTATUS(p.status) == protocol::kExitSetup) {
    // The runtime's own setup failure, whose reason could not be written: a full disk.
    ctx.passing_failure = true;
    error(ctx) << prog << ": the baking process could not set up (exit status " << WEXITSTATUS(p.status)
               << ") and could not write why into " << p.trace << " (is the disk full?)";
  } else if (trace.empty()) {
    error(ctx) << prog << ": the program did not start a bake (exit status " << WEXITSTATUS(p.status)
               << "); is it linked with fastboot::runtime, which wraps main?";
  } else {
    error(ctx) << prog << ": the baking process exited with status " << WEXITSTATUS(p.status)
               << " without writing its dump";
  }
}

// The audit (what the initializers read) and the descriptors an initializer left open, from a
// finished run's trace.
void read_audit(Context& ctx, const Process& p) {
  for_each_line(read_file(p.trace), [&](const std::string& line) {
    if (line.rfind("audit ", 0) == 0) {
      auto tab = line.find('\t');
      if (tab != std::string::npos) ctx.audit[line.substr(6, tab - 6)].insert(line.substr(tab + 1));
      return;
    }
    if (line.rfind("opened ", 0) == 0) {
      auto tab = line.find('\t');
      if (tab != std::string::npos) ctx.opened[line.substr(tab + 1)].insert(line.substr(7, tab - 7));
      return;
    }
    if (line.rfind("fd ", 0) != 0) return;
    auto tab1 = line.find('\t'), tab2 = line.find('\t', tab1 + 1);
    if (tab1 == std::string::npos || tab2 == std::string::npos) return;
    error(ctx) << ctx.opts.program << ": root '" << line.substr(3, tab1 - 3) << "': the initializer left file descriptor "
               << line.substr(tab1 + 1, tab2 - tab1 - 1) << " open (" << line.substr(tab2 + 1)
               << "); it would not be open in the baked program. Close it before returning, or "
               << "open it at startup instead of in the root";
  });
}

}  // namespace

std::optional<std::pair<Dump, Dump>> run_bakes(Context& ctx, const std::string& dir, bool same_inputs) {
  Process a, b;
  {
    Timer t(ctx, "  baking processes");
    a = spawn(ctx, dir, 'a', ctx.opts.base_a, true);
    SecondRunEnvironment environment;
    if (ctx.opts.vary_environment) environment = second_run_environment();
    ctx.varied_environment = environment.described;
    b = spawn(ctx, dir, 'b', ctx.opts.base_b, false, environment.variables);
    for (Process* p : {&a, &b})
      if (p->pid > 0) waitpid(p->pid, &p->status, 0);
  }
  if (!ctx.errors.empty()) return std::nullopt;

  auto ok = [](const Process& p) {
    return WIFEXITED(p.status) && WEXITSTATUS(p.status) == protocol::kExitOk && access(p.dump.c_str(), R_OK) == 0;
  };
  bool a_ok = ok(a), b_ok = ok(b);
  if (!a_ok || !b_ok) {
    // Side by side, both may fail for one cause (a full disk); the one that traced more says more.
    bool explain_b = a_ok || (!b_ok && read_file(a.trace).empty() && !read_file(b.trace).empty());
    explain_failure(ctx, explain_b ? b : a);
    if (a_ok && !ctx.varied_environment.empty())
      error(ctx) << ctx.opts.program << ": only the second bake run failed, and it ran with other locale and "
                 << "time-zone variables than this environment's (" << ctx.varied_environment << "): the program "
                 << "or its initializers depend on the locale or time zone of the machine they run on, which a "
                 << "baked value cannot (std::locale(\"\") throws for a locale the machine lacks; installing a "
                 << "second locale, such as de_DE.UTF-8 with Debian's locales package, lets the bake use one "
                 << "setlocale() accepts)";
    return std::nullopt;
  }
  // The initializers' own output, once.
  std::string output = read_file(a.log);
  if (!output.empty() && !ctx.opts.quiet) fmt::print(stderr, "{}", output);

  // Standard input: a baked program would run without the input it reads.
  if (read_input(a) || read_input(b)) {
    ctx.depends_on_run = true;
    error(ctx) << ctx.opts.program << ": " << (ctx.opts.root.empty() ? "an initializer" : "the initializer")
               << " read standard input, which a bake does not have: the value it built holds no input, where the "
               << "program would have built it from the input it is given at run time. Read standard input outside "
               << "the " << (ctx.opts.root.empty() ? "roots' initializers" : "initializer")
               << ", and pass what a root needs from it as a file or a key (fastboot::frozen_map)";
  }

  // Descriptors left open by an initializer: a baked object holding one would hold a number
  // that is not open in the baked program. And the audit: what the initializers read.
  read_audit(ctx, a);
  if (same_inputs) {
    Context second(ctx.opts);
    read_audit(second, b);
    if (second.audit["file"] != ctx.audit["file"] || second.audit["environment"] != ctx.audit["environment"])
      error(ctx) << ctx.opts.program << ": the two bake runs read different files or environment variables";
    for (auto& [file, states] : second.opened) ctx.opened[file].merge(states);
  }
  if (!ctx.errors.empty()) return std::nullopt;

  Timer t(ctx, "  map the runs' memory");
  // The two dumps are independent: read them in parallel. Errors go to separate contexts, so
  // the two threads never share one.
  Context ctx_b(ctx.opts);
  std::optional<Dump> db;
  std::thread reader([&] { db = read_dump(ctx_b, b.dump, b.memory); });
  auto da = read_dump(ctx, a.dump, a.memory);
  reader.join();
  for (std::string& e : ctx_b.errors) ctx.errors.push_back(std::move(e));
  if (!da || !db) {
    ctx.passing_failure = true;  // a dump cut short (a full disk)
    return std::nullopt;
  }
  return std::make_pair(std::move(*da), std::move(*db));
}

}  // namespace fastboot::baker
