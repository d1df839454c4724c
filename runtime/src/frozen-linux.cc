// Frozen roots: values whose data exists only where the program runs. The first access without a
// usable image runs the initializer; a background process of the same program (the freezer,
// fastboot-freezer.o) then bakes the root the way fastboot_bake does and leaves the image in
// the user's cache, with the state of every file and environment variable the initializer read.
// Later runs map it while those inputs are unchanged.
//
// The cache is input like any other: a file is used only from a directory and a file of this
// user's that nobody else can write, opened without following links, with checksummed header,
// inputs and tables naming this build, this root and its type. Anything else is ignored, logged
// and replaced. Only programs that declare a frozen root link this file.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fastboot/bake-protocol.h"
#include "fastboot/image-format.h"
#include "runtime.h"

#include <algorithm>
#include <atomic>
#include <new>

extern char** environ;

namespace fastboot::rt {
namespace {

namespace img = fastboot::image;
namespace proto = fastboot::protocol;

constexpr const char* kEnvWorker = "FASTBOOT_FREEZE_ROOT";
// The cache file the run that started the freezer found unusable ("none": no file): the freezer
// replaces it even where its own checks would pass it, and leaves alone a file written since.
constexpr const char* kEnvSeen = "FASTBOOT_FREEZE_SEEN";
// Set for a background freezer: it forks at once, and its parent exits, so that the program that
// started it has no child left working.
constexpr const char* kEnvDetach = "FASTBOOT_FREEZE_DETACH";
// The file in the cache directory that describes the value the first run built (first-run-linux.cc):
// the freezer makes an image only of that value, and removes the file.
constexpr const char* kEnvFirst = "FASTBOOT_FREEZE_FIRST";
constexpr const char* kFirstPrefix = ".first-";
// The hash of the state main had set at the first run's first access (main-state-linux.cc),
// recorded with the image: a later run maps it only when main set the same.
constexpr const char* kEnvState = "FASTBOOT_FREEZE_STATE";
// A frozen map's key, for the freezer of that key's root.
constexpr const char* kEnvKey = "FASTBOOT_FREEZE_KEY";
constexpr size_t kMaxKey = 4096;
constexpr uint64_t kMaxFirstRun = uint64_t(4) << 30;
constexpr uint64_t kMaxInputs = 16 << 20;  // bytes of inputs text a cache file may hold

// Frozen images' preferred bases: one slot per root name, away from the bake's bases and from
// random ones, so that the images of a program's frozen roots and its baked image all map
// where they were laid out.
constexpr uint64_t kSlotLow = kThreadSanitizer ? 0x7ec400000000 : 0x650000000000;
constexpr uint64_t kSlotSize = kThreadSanitizer ? uint64_t(4) << 30 : uint64_t(64) << 30;
constexpr uint64_t kSlots = kThreadSanitizer ? 8 : 64;
constexpr uint64_t kTablesRoom = 16 << 20;  // below the arena: the image's header and tables

void log_line(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void log_line(const char* fmt, ...) {
  if (!env_flag("FASTBOOT_LOG")) return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  say(buf, "\n");
}

// A growable text, on malloc (frozen roots are resolved in ordinary processes, never in a bake's
// capture), kept NUL-terminated.
struct Text : Array<char> {
  void add(const char* s, size_t n) {
    if (!reserve(size + n + 1)) return;
    append(s, n);
    data[size] = 0;
  }
  void add(const char* s) { add(s, strlen(s)); }
  void line(const char* kind, const char* state, const char* name) {
    add(kind);
    add("\t");
    add(state);
    add("\t");
    add(name);
    add("\n");
  }
};

// How the log names a root: 'index', or 'index' for key '/usr/share/dict/words'.
const char* label(const detail::root_base& r) {
  static thread_local char out[512];
  if (r.key) snprintf(out, sizeof(out), "'%s' for key '%.400s'", r.name, r.key);
  else snprintf(out, sizeof(out), "'%s'", r.name);
  return out;
}

// A key the cache files can record (in a line of their inputs, and passed in the environment).
bool recordable_key(const detail::root_base& r) {
  return !r.key || (r.key_size <= kMaxKey && strlen(r.key) == r.key_size && !strpbrk(r.key, "\t\n"));
}

// Messages that name a path or a variable; one process reports one at a time.
FASTBOOT_STATE char message[1024];
const char* say_that(const char* fmt, const char* what) {
  snprintf(message, sizeof(message), fmt, what);
  return message;
}

// Why an image made under other state of main's is not used.
const char* main_state_changed() {
  uint64_t hash, words;
  char first[128];
  if (!program_state(&hash, &words, first, sizeof(first))) return "the program's writable data is not watched";
  snprintf(message, sizeof(message),
           "main set other state before the first access than when the image was made (%llu words of the "
           "program's data differ from their initial values%s%s)",
           static_cast<unsigned long long>(words), words ? ", the first at " : "", words ? first : "");
  return message;
}

// Files whose size and time say nothing of their content (the process's own state, devices).
bool volatile_file(const char* path) {
  for (const char* quiet : {"/dev/null", "/dev/zero", "/dev/urandom", "/dev/random"})
    if (strcmp(path, quiet) == 0) return false;
  return strncmp(path, "/proc/", 6) == 0 || strncmp(path, "/sys/", 5) == 0 || strncmp(path, "/dev/", 5) == 0;
}

// The state of one input now, as the cache file records it; false and why if a later run
// could not tell whether it changed.
bool input_state(const char* kind, const char* name, char* out, size_t size, const char** why) {
  if (strchr(name, '\t') || strchr(name, '\n')) {
    *why = say_that("the initializer read %s, whose name holds a tab or a newline", kind);
    return false;
  }
  if (strcmp(kind, "file") == 0) {
    if (name[0] != '/' || volatile_file(name)) {
      *why = say_that("the initializer read %s, whose changes a later run cannot see", name);
      return false;
    }
    file_state(name, out, size);
    return true;
  }
  if (strcmp(kind, "environment") == 0) {
    const char* value = getenv(name);
    if (!value) snprintf(out, size, "unset");
    else snprintf(out, size, "set %016llx", static_cast<unsigned long long>(img::checksum(value, strlen(value))));
    return true;
  }
  if (strcmp(kind, "globals") == 0) {
    uint64_t hash, words;
    char first[128];
    if (!program_state(&hash, &words, first, sizeof(first))) {
      *why = "the program's writable data is not watched (over 64 MiB)";
      return false;
    }
    snprintf(out, size, "%016llx", static_cast<unsigned long long>(hash));
    return true;
  }
  if (strcmp(kind, "cwd") == 0) {
    char dir[4096];
    if (!getcwd(dir, sizeof(dir))) {
      *why = "the working directory is unknown";
      return false;
    }
    snprintf(out, size, "%016llx", static_cast<unsigned long long>(img::checksum(dir, strlen(dir))));
    return true;
  }
  *why = say_that("the initializer read an input of an unknown kind, %s", kind);
  return false;
}

// Opens (creating what is missing, mode 0700) and checks the cache directory: $FASTBOOT_CACHE_DIR,
// else $XDG_CACHE_HOME/fastboot, else $HOME/.cache/fastboot. Returns its fd, or -1 and why.
int cache_dir(const char** why) {
  // Not for a set-user-ID program: its environment is someone else's.
  const char* chosen = secure_getenv("FASTBOOT_CACHE_DIR");
  int dir = -1;
  const char* shown = "$FASTBOOT_CACHE_DIR";
  if (chosen && *chosen) {
    if (chosen[0] != '/') {
      *why = "FASTBOOT_CACHE_DIR is not an absolute path";
      return -1;
    }
    mkdir(chosen, 0700);
    dir = open(chosen, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } else {
    const char* xdg = secure_getenv("XDG_CACHE_HOME");
    const char* home = secure_getenv("HOME");
    int base = -1;
    if (xdg && xdg[0] == '/') {
      shown = "$XDG_CACHE_HOME/fastboot";
      mkdir(xdg, 0700);
      base = open(xdg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } else if (home && home[0] == '/') {
      shown = "~/.cache/fastboot";
      int h = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (h >= 0) {
        mkdirat(h, ".cache", 0700);
        base = openat(h, ".cache", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        close(h);
      }
    } else {
      *why = "no cache directory: neither FASTBOOT_CACHE_DIR, XDG_CACHE_HOME nor HOME is set";
      return -1;
    }
    if (base >= 0) {
      mkdirat(base, "fastboot", 0700);
      dir = openat(base, "fastboot", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      close(base);
    }
  }
  if (dir < 0) {
    *why = say_that("the cache directory %s cannot be opened or created", shown);
    return -1;
  }
  if (!private_dir(dir)) {
    *why = say_that("the cache directory %s is not a directory of this user's that only it can write", shown);
    close(dir);
    return -1;
  }
  return dir;
}

struct Program {
  uint8_t build_id[32];
  unsigned build_id_size = 0;
};

bool take_executable(const ModuleInfo& m, void* arg) {
  auto* p = static_cast<Program*>(arg);
  p->build_id_size = module_build_id(m, p->build_id);
  return false;  // the executable comes first
}

Program this_program() {
  Program p;
  for_each_module(take_executable, &p);
  return p;
}

// <program>-<build-id>-<root>.<hash>[-<key hash>].frozen: one file per build and root (and key, for
// a frozen map's); the root's name made safe for a file name, and a hash of the whole name so
// that two names never share a file.
void frozen_name(const detail::root_base& r, const Program& p, char* out, size_t size) {
  build_file_name(out, size, p.build_id, p.build_id_size);
  size_t used = strlen(out);
  if (used + 2 < size) out[used++] = '-';
  for (const char* c = r.name; *c && used + 40 < size && c - r.name < 64; ++c) {
    bool plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_';
    out[used++] = plain ? *c : '_';
  }
  snprintf(out + used, size - used, ".%08llx", static_cast<unsigned long long>(img::checksum(r.name, strlen(r.name)) & 0xffffffff));
  used = strlen(out);
  // A frozen map's key: one file per key, its hash in the name (the key itself is in the file).
  if (r.key)
    snprintf(out + used, size - used, "-%016llx", static_cast<unsigned long long>(img::checksum(r.key, r.key_size)));
  used = strlen(out);
  snprintf(out + used, size - used, ".frozen");
}

uint64_t frozen_base(const detail::root_base& r) {
  return kSlotLow + img::checksum(r.name, strlen(r.name)) % kSlots * kSlotSize + kTablesRoom;
}

// A cache file, read and checked against this program, this root and the inputs as they are now.
struct CacheFile {
  enum Kind { missing, unusable, refused, image } kind = missing;
  const char* why = "no image yet";
  int fd = -1;
  char identity[96] = "none";  // the file as found (device, inode, change time), for the freezer
  img::FrozenHeader h{};
  Text inputs;
  ~CacheFile() {
    if (fd >= 0) close(fd);
  }
};

// Checks every input line against now; sets why to the first that changed.
bool inputs_unchanged(char* text, const detail::root_base& r, CacheFile* f, bool check_state) {
  bool first = true, keyed = false;
  for (char* line = text; *line;) {
    char* end = strchr(line, '\n');
    if (!end) return f->why = "the image is damaged", false;
    *end = 0;
    char* tab1 = strchr(line, '\t');
    char* tab2 = tab1 ? strchr(tab1 + 1, '\t') : nullptr;
    if (!tab2) return f->why = "the image is damaged", false;
    *tab1 = *tab2 = 0;
    const char *kind = line, *state = tab1 + 1, *name = tab2 + 1;
    if (first) {
      if (strcmp(kind, "root") != 0 || strcmp(name, r.name) != 0) return f->why = "the image is another root's", false;
      first = false;
    } else if (strcmp(kind, "key") == 0) {
      if (!r.key || strcmp(name, r.key) != 0) return f->why = "the image is another key's", false;
      keyed = true;
    } else if (strcmp(kind, "refused") == 0) {
      f->kind = CacheFile::refused;
      f->why = name;
    } else if (strcmp(kind, "globals") != 0 || check_state) {
      char now[128];
      const char* cannot = nullptr;
      if (!input_state(kind, name, now, sizeof(now), &cannot) || strcmp(now, state) != 0) {
        if (strcmp(kind, "file") == 0) f->why = say_that("%s changed", name);
        else if (strcmp(kind, "environment") == 0) f->why = say_that("environment variable %s changed", name);
        else if (strcmp(kind, "globals") == 0) f->why = main_state_changed();
        else f->why = "the working directory changed";
        return false;
      }
    }
    line = end + 1;
  }
  if (!first && keyed != (r.key != nullptr)) return f->why = "the image is another key's", false;
  return !first;
}

// check_state: whether main's state must be what it was at the first access (false: the file as
// the freezer left it, after the initializer ran).
void open_cache_file(int dir, const char* name, const detail::root_base& r, const Program& p, CacheFile* f,
                     bool check_state = true) {
  f->fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (f->fd < 0) {
    if (errno == ENOENT) return;
    f->kind = CacheFile::unusable;
    f->why = errno == ELOOP ? "the image is a symbolic link" : "the image cannot be opened";
    return;
  }
  f->kind = CacheFile::unusable;
  struct stat st;
  img::FrozenHeader& h = f->h;
  if (fstat(f->fd, &st) == 0)
    snprintf(f->identity, sizeof(f->identity), "%llu:%llu:%lld.%09ld", static_cast<unsigned long long>(st.st_dev),
             static_cast<unsigned long long>(st.st_ino), static_cast<long long>(st.st_ctim.tv_sec), st.st_ctim.tv_nsec);
  if (!private_file(f->fd) || fstat(f->fd, &st) != 0) {
    f->why = "the image is not a file of this user's that only it can write";
    return;
  }
  uint64_t size = uint64_t(st.st_size);
  if (size < sizeof(h) || !read_at(f->fd, &h, sizeof(h), 0)) {
    f->why = "the image is truncated";
    return;
  }
  if (memcmp(h.magic, img::kFrozenMagic, sizeof(h.magic)) != 0 || h.version != img::kFrozenVersion ||
      h.header_size != sizeof(h) || h.header_checksum != img::checksum(&h, offsetof(img::FrozenHeader, header_checksum))) {
    f->why = "the image is damaged";
    return;
  }
  if (h.build_id_size != p.build_id_size || h.build_id_size > sizeof(h.build_id) ||
      memcmp(h.build_id, p.build_id, h.build_id_size) != 0) {
    f->why = "the image belongs to another build of this program";
    return;
  }
  if (h.type_hash != r.type_hash || h.value_size != r.size || h.value_align != r.align) {
    f->why = "the image holds a value of another type";
    return;
  }
  if (h.inputs_size > kMaxInputs || h.inputs_offset > size || h.inputs_size > size - h.inputs_offset ||
      (!h.refused && (h.image_offset % img::kPageSize || h.image_size == 0 || h.image_offset > size ||
                      h.image_size > size - h.image_offset))) {
    f->why = "the image is truncated";
    return;
  }
  if (!f->inputs.reserve(h.inputs_size + 1)) {
    f->why = "out of memory";
    return;
  }
  char* text = f->inputs.data;
  if (!read_at(f->fd, text, h.inputs_size, h.inputs_offset) || img::checksum(text, h.inputs_size) != h.inputs_checksum ||
      memchr(text, 0, h.inputs_size)) {
    f->why = "the image is damaged";
    return;
  }
  text[h.inputs_size] = 0;
  if (!inputs_unchanged(text, r, f, check_state)) return;
  if (h.refused) {
    if (f->kind != CacheFile::refused) f->why = "the image is damaged";
    return;
  }
  f->kind = CacheFile::image;
}

// Where this root's image lives: the checked cache directory, this build, and the file's name.
struct RootCache {
  int dir = -1;
  Program program;
  char name[256] = "";
  RootCache() = default;
  RootCache(const RootCache&) = delete;
  ~RootCache() {
    if (dir >= 0) close(dir);
  }
};

// Opens r's cache; false and why when there is none (no usable directory, no build-id).
bool open_root_cache(const detail::root_base& r, RootCache* c, const char** why) {
  if ((c->dir = cache_dir(why)) < 0) return false;
  c->program = this_program();
  if (c->program.build_id_size == 0) {
    *why = "the program has no GNU build-id (link it with -Wl,--build-id)";
    return false;
  }
  frozen_name(r, c->program, c->name, sizeof(c->name));
  return true;
}

// Closes every descriptor from 3 up: a background process must not hold the first run's pipes.
void close_inherited() {
  if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0) return;
  for (int fd = 3; fd < 4096; ++fd) close(fd);
}

// Freezers this process started and has not waited for yet (each exits as soon as it has
// forked the process that does the work).
constexpr unsigned kMaxStarted = 16;
FASTBOOT_STATE std::atomic<pid_t> started[kMaxStarted];

void reap_started() {
  for (auto& slot : started)
    if (pid_t pid = slot.load(std::memory_order_relaxed); pid > 0 && waitpid(pid, nullptr, WNOHANG) != 0)
      slot.store(0, std::memory_order_relaxed);
}

// Starts the freezer: this program again (FASTBOOT_FREEZE_ROOT=<root>), which either detaches
// and works on in the background after this process has ended (FASTBOOT_FREEZE_DETACH), or,
// with `wait`, works while this one waits. posix_spawn shares this process's memory until the
// exec, so a large heap is not copied, as fork() would copy its page tables. False when it could
// not be started.
bool start_freezer(const detail::root_base& r, bool wait, const char* seen, const char* first, const char* state) {
  size_t count = 0;
  for (char** e = environ; e && *e; ++e) ++count;
  auto** envp = static_cast<char**>(malloc((count + 7) * sizeof(char*)));
  char* ours[6] = {};
  const char* names[6] = {kEnvWorker, kEnvSeen, kEnvFirst, kEnvState, kEnvKey, kEnvDetach};
  const char* values[6] = {r.name, seen, first, state, r.key ? r.key : "", "1"};
  bool ok = envp != nullptr;
  for (unsigned i = 0; i < 6 && ok; ++i) {
    if ((i == 4 && !r.key) || (i == 5 && wait)) continue;
    size_t n = strlen(names[i]) + strlen(values[i]) + 2;
    ours[i] = static_cast<char*>(malloc(n));
    if ((ok = ours[i] != nullptr)) snprintf(ours[i], n, "%s=%s", names[i], values[i]);
  }
  pid_t pid = -1;
  if (ok) {
    auto named = [](const char* e, const char* name) { return strncmp(e, name, strlen(name)) == 0 && e[strlen(name)] == '='; };
    size_t used = 0;
    for (char** e = environ; e && *e; ++e)
      if (!named(*e, kEnvWorker) && !named(*e, kEnvSeen) && !named(*e, kEnvDetach) && !named(*e, kEnvFirst) &&
          !named(*e, kEnvState) && !named(*e, kEnvKey))
        envp[used++] = *e;
    for (char* o : ours)
      if (o) envp[used++] = o;
    envp[used] = nullptr;
    char program[] = "/proc/self/exe";
    char* argv[] = {program, nullptr};
    posix_spawn_file_actions_t files;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&files);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&files, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&files, 1, "/dev/null", O_WRONLY, 0);
    if (!wait) {
      posix_spawn_file_actions_addopen(&files, 2, "/dev/null", O_WRONLY, 0);
      // Out of the terminal's process group: a ^C to the program leaves the freezer be.
      posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    }
    if (posix_spawn(&pid, program, &files, &attr, argv, envp) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attr);
  }
  for (char* o : ours) free(o);
  free(envp);
  if (pid < 0) return false;
  if (wait) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    // 127: posix_spawn's child could not execute the program (an emulator turns posix_spawn into a
    // fork, so the exec's failure comes back this way instead of from posix_spawn).
    return !(WIFEXITED(status) && WEXITSTATUS(status) == 127);
  }
  // Reaped later, by a later freezer's start or at exit, when it has long ended.
  reap_started();
  FASTBOOT_STATE static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, [] { atexit(reap_started); });
  for (auto& slot : started) {
    pid_t none = 0;
    if (slot.compare_exchange_strong(none, pid)) break;
  }
  return true;
}

// --- the freezer's process --------------------------------------------------------------------

struct Freeze {
  const detail::root_base* root;
  Text inputs;           // the lines after "root": the inputs the runs read, as they were
  bool changed = false;  // an input changed while the runs read it
  bool passing = false;  // the freeze failed for a reason the next run may not meet
  bool depends_on_run = false;  // the refusal holds whatever main sets
  const char* state = nullptr;  // the first run's program state, as input_state("globals") writes it
  // The image, during the image call only: its two parts (FreezeJob::image), written there.
  const unsigned char* head = nullptr;
  const unsigned char* arena = nullptr;
  uint64_t head_size = 0, arena_size = 0, image_size = 0;
  bool image = false;
  bool written = false;
  const char* write_failed = nullptr;
  // Where it goes.
  int dir = -1;
  const char* name = nullptr;
  const Program* program = nullptr;
  Text refused;
};

bool inputs_seen(void* arg, size_t count, const char* const* kinds, const char* const* names,
                 const char* const* at_open, const char** why) {
  auto* f = static_cast<Freeze*>(arg);
  Text now;
  for (size_t i = 0; i < count; ++i) {
    char state[128];
    if (!input_state(kinds[i], names[i], state, sizeof(state), why)) return false;
    if (at_open[i] && strcmp(at_open[i], state) != 0) {
      *why = "an input changed while the freezer read it";
      f->changed = true;
      return false;
    }
    now.line(kinds[i], state, names[i]);
  }
  if (!now.ok) return *why = "out of memory", false;
  f->inputs.add(now.data ? now.data : "", now.size);
  return true;
}

bool write_result(int dir, const char* name, const Freeze& f, const Program& p, const char** why);

// Written at once, from where the freezer laid it out (a copy would double the memory a large
// image needs).
void image_made(void* arg, const unsigned char* head, uint64_t head_size, const unsigned char* arena, uint64_t arena_size,
                uint64_t size) {
  auto* f = static_cast<Freeze*>(arg);
  f->image = true;
  f->head = head, f->head_size = head_size, f->arena = arena, f->arena_size = arena_size, f->image_size = size;
  f->written = write_result(f->dir, f->name, *f, *f->program, &f->write_failed);
  f->head = f->arena = nullptr;
}

void image_refused(void* arg, const char* why, bool lasting, bool depends_on_run) {
  auto* f = static_cast<Freeze*>(arg);
  f->passing |= !lasting;
  f->depends_on_run |= depends_on_run;
  for (const char* c = why; *c; ++c) f->refused.add(*c == '\n' || *c == '\t' ? " " : c, 1);
}

// Removes directory `name` in dir and the files in it (a freezer's scratch directory).
void remove_scratch(int dir, const char* name) {
  int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR* d = fd >= 0 ? fdopendir(fd) : nullptr;
  if (d) {
    while (dirent* e = readdir(d))
      if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
  } else if (fd >= 0) {
    close(fd);
  }
  unlinkat(dir, name, AT_REMOVEDIR);
}

// A killed freezer leaves its scratch directory (the bake runs' dumps, as large as the heap
// twice), and a freezer that never ran its first run's description: remove those more than an
// hour old.
void remove_old_scratch(int dir) {
  int scan = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = scan >= 0 ? fdopendir(scan) : nullptr;
  if (!d) {
    if (scan >= 0) close(scan);
    return;
  }
  time_t now = time(nullptr);
  while (dirent* e = readdir(d)) {
    struct stat st;
    if (fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_uid != geteuid() || now - st.st_mtime <= 3600)
      continue;
    if (strncmp(e->d_name, ".freeze-", 8) == 0 && S_ISDIR(st.st_mode)) remove_scratch(dir, e->d_name);
    // A first run's description no freezer took (one that could not start, or was killed).
    if (strncmp(e->d_name, kFirstPrefix, strlen(kFirstPrefix)) == 0 && S_ISREG(st.st_mode)) unlinkat(dir, e->d_name, 0);
  }
  closedir(d);
}

// Writes what the freeze found: the image, or why there is none (not when an input changed
// under it or the failure may pass, a full disk or a killed run: the next run tries again).
bool write_result(int dir, const char* name, const Freeze& f, const Program& p, const char** why) {
  Text text;
  text.line("root", "", f.root->name);
  if (f.root->key) text.line("key", "", f.root->key);
  text.add(f.inputs.data ? f.inputs.data : "", f.inputs.size);
  bool refused = !f.image;
  // What main had set, unless the refusal holds whatever it sets.
  if (!(refused && f.depends_on_run)) text.line("globals", f.state, "");
  if (refused) text.line("refused", "", f.refused.size ? f.refused.data : "the freezer made no image");
  if (!text.ok) return *why = "out of memory", false;
  img::FrozenHeader h{};
  memcpy(h.magic, img::kFrozenMagic, sizeof(h.magic));
  h.version = img::kFrozenVersion;
  h.header_size = sizeof(h);
  memcpy(h.build_id, p.build_id, p.build_id_size);
  h.build_id_size = p.build_id_size;
  h.refused = refused;
  h.type_hash = f.root->type_hash;
  h.value_size = f.root->size;
  h.value_align = f.root->align;
  h.inputs_offset = sizeof(h);
  h.inputs_size = text.size;
  h.image_offset = refused ? 0 : img::page_up(sizeof(h) + text.size);
  h.image_size = refused ? 0 : f.image_size;
  h.inputs_checksum = img::checksum(text.data, text.size);
  h.header_checksum = img::checksum(&h, offsetof(img::FrozenHeader, header_checksum));
  FilePiece pieces[] = {{&h, sizeof(h), 0},
                        {text.data, text.size, h.inputs_offset},
                        {f.head, f.head_size, h.image_offset},
                        {f.arena, f.arena_size, h.image_offset + f.head_size},
                        {nullptr, 0, h.image_offset + h.image_size}};  // the zeros to the image's end
  return write_private_file(dir, name, pieces, refused ? 2 : 5, why);
}

// A frozen map keeps the newest images of its keys: at most FASTBOOT_FROZEN_KEYS of them (16)
// and FASTBOOT_FROZEN_KEY_MIB MiB (1024) in all; older ones are removed, oldest first. `name` is
// the image just written, which is always kept.
uint64_t limit_from(const char* variable, uint64_t fallback) {
  const char* text = getenv(variable);
  char* end = nullptr;
  unsigned long long v = text ? strtoull(text, &end, 10) : 0;
  return text && *text && end && !*end && v > 0 ? v : fallback;
}

void limit_keys(int dir, const char* name) {
  const char* dash = strrchr(name, '-');
  if (!dash) return;
  size_t prefix = size_t(dash - name) + 1, length = strlen(name);
  uint64_t max_keys = limit_from("FASTBOOT_FROZEN_KEYS", 16), max_bytes = limit_from("FASTBOOT_FROZEN_KEY_MIB", 1024) << 20;
  struct Entry {
    char name[256];
    int64_t time;
    uint64_t size;
  };
  constexpr unsigned kMax = 1024;
  auto* entries = static_cast<Entry*>(malloc(kMax * sizeof(Entry)));
  int scan = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* d = scan >= 0 ? fdopendir(scan) : nullptr;
  if (!d || !entries) {
    if (d) closedir(d);
    else if (scan >= 0) close(scan);
    free(entries);
    return;
  }
  unsigned count = 0;
  while (dirent* e = readdir(d)) {
    struct stat st;
    if (count == kMax || strlen(e->d_name) != length || strncmp(e->d_name, name, prefix) != 0 ||
        strcmp(e->d_name + length - 7, ".frozen") != 0 || fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode) || st.st_uid != geteuid())
      continue;
    Entry& n = entries[count++];
    snprintf(n.name, sizeof(n.name), "%s", e->d_name);
    n.time = strcmp(e->d_name, name) == 0 ? INT64_MAX : int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    n.size = uint64_t(st.st_size);
  }
  closedir(d);
  std::sort(entries, entries + count, [](const Entry& a, const Entry& b) { return a.time > b.time; });
  uint64_t bytes = 0;
  for (unsigned i = 0; i < count; ++i) {
    bytes += entries[i].size;
    if (i == 0 || (i < max_keys && bytes <= max_bytes)) continue;
    char lock[280];
    snprintf(lock, sizeof(lock), "%s.lock", entries[i].name);
    unlinkat(dir, entries[i].name, 0);
    unlinkat(dir, lock, 0);
  }
  free(entries);
}

// Ends the freezer's process without a result; with FASTBOOT_LOG=1, says why (seen only with
// FASTBOOT_FREEZE=sync: a background freezer's stderr is /dev/null).
[[noreturn]] void give_up(const detail::root_base* r, const char* why) {
  log_line("fastboot: frozen root %s: the freezer wrote nothing: %s", r ? label(*r) : "?", why);
  _exit(1);
}

[[noreturn]] void freeze_main() {
  close_inherited();
  if (getenv(kEnvDetach)) {
    unsetenv(kEnvDetach);
    pid_t pid = fork();
    if (pid > 0) _exit(0);  // the program that started it reaps this one
  }
  const char* wanted = getenv(kEnvWorker);
  detail::root_base* r = first_frozen();
  while (r && strcmp(r->name, wanted) != 0) r = r->next;
  if (!r) give_up(r, "no frozen root has that name");
  if (r->construct_keyed) {  // a frozen map: the root of one key
    const char* key = getenv(kEnvKey);
    if (!key || !(r = key_root(*r, key, strlen(key)))) give_up(r, "no key for a frozen map");
  }
  const char* why = nullptr;
  RootCache cache;
  if (!open_root_cache(*r, &cache, &why)) give_up(r, why);
  const int dir = cache.dir;
  const Program& p = cache.program;
  const char* name = cache.name;
  // The description of what the first run built, taken out of the directory at once.
  const char* first_name = getenv(kEnvFirst);
  if (!first_name || strncmp(first_name, kFirstPrefix, strlen(kFirstPrefix)) != 0 || strchr(first_name, '/'))
    give_up(r, "no description of the value the program's run built");
  int first_fd = openat(dir, first_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  unlinkat(dir, first_name, 0);
  struct stat first_st;
  if (first_fd < 0 || !private_file(first_fd) || fstat(first_fd, &first_st) != 0 || first_st.st_size <= 0 ||
      uint64_t(first_st.st_size) > kMaxFirstRun)
    give_up(r, "the description of the value the program's run built is missing or not this user's");
  void* first = mmap(nullptr, size_t(first_st.st_size), PROT_READ, MAP_PRIVATE, first_fd, 0);
  close(first_fd);
  if (first == MAP_FAILED) give_up(r, "cannot read the description of the value the program's run built");
  char lock_name[280];
  snprintf(lock_name, sizeof(lock_name), "%s.lock", name);
  // One freezer per image at a time; the ones that waited find the image made.
  int lock = openat(dir, lock_name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (lock < 0 || !private_file(lock) || flock(lock, LOCK_EX) != 0) give_up(r, "cannot lock the image");
  {
    CacheFile existing;
    open_cache_file(dir, name, *r, p, &existing);
    const char* seen = getenv(kEnvSeen);
    if ((existing.kind == CacheFile::image || existing.kind == CacheFile::refused) &&
        !(seen && strcmp(seen, existing.identity) == 0))
      _exit(0);
  }
  // The runs' dumps go next to the image (on disk, where /tmp may be memory), in a directory
  // of this freezer's.
  remove_old_scratch(dir);
  char link[64], cache_path[4096], scratch_name[64], scratch[4200];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", dir);
  ssize_t n = readlink(link, cache_path, sizeof(cache_path) - 1);
  if (n <= 0) give_up(r, "the cache directory's path is unknown");
  cache_path[n] = 0;
  snprintf(scratch_name, sizeof(scratch_name), ".freeze-%d", int(getpid()));
  if (mkdirat(dir, scratch_name, 0700) != 0) {  // a killed freezer's, with this process's number
    remove_scratch(dir, scratch_name);
    if (mkdirat(dir, scratch_name, 0700) != 0) give_up(r, "cannot make a directory in the cache");
  }
  snprintf(scratch, sizeof(scratch), "%s/%s", cache_path, scratch_name);
  unsetenv(kEnvWorker);
  unsetenv(kEnvSeen);
  unsetenv(kEnvFirst);
  const char* state = getenv(kEnvState);
  if (!state || strlen(state) != 16 || strspn(state, "0123456789abcdef") != 16)
    give_up(r, "no record of the state main had set at the first access");
  char state_copy[17];
  memcpy(state_copy, state, sizeof(state_copy));
  unsetenv(kEnvState);
  unsetenv(kEnvKey);

  Freeze f;
  f.root = r;
  f.state = state_copy;
  proto::FreezeJob job{};
  job.program = "/proc/self/exe";
  job.root = r->name;
  job.key = r->key;
  job.scratch = scratch;
  job.base_a = 0x7e8100000000;  // the baker's bases (baker/context.h), free in a fresh process
  job.base_b = 0x7ea5a5a5a000;
  job.stack_base = 0x7ed000000000;
  job.image_base = frozen_base(*r);
  job.first_run = static_cast<const unsigned char*>(first);
  job.first_run_size = uint64_t(first_st.st_size);
  f.dir = dir;
  f.name = name;
  f.program = &p;
  job.arg = &f;
  job.inputs_seen = inputs_seen;
  job.image = image_made;
  job.refused = image_refused;
  fastboot_freeze_image(&job);
  remove_scratch(dir, scratch_name);
  if (f.changed) give_up(r, "an input changed while the freezer read it");
  if (f.image && !f.written) give_up(r, f.write_failed ? f.write_failed : "cannot write the image");
  if (!f.image && f.passing) give_up(r, f.refused.data ? f.refused.data : "a bake run failed");
  if (!f.image && !write_result(dir, name, f, p, &why)) give_up(r, why);
  if (r->key) limit_keys(dir, name);
  remove_other_builds(dir, name, ".frozen");
  remove_other_builds(dir, lock_name, ".frozen.lock");
  _exit(0);
}

// What the first access found, for the log and for whether to freeze.
const void* frozen_value(detail::root_base& r, bool* freeze, char* note, size_t note_size, char* seen, size_t seen_size) {
  *freeze = false;
  snprintf(seen, seen_size, "none");
  const char* mode = getenv("FASTBOOT_FREEZE");
  if (mode && strcmp(mode, "off") == 0) return snprintf(note, note_size, "FASTBOOT_FREEZE=off"), nullptr;
  if (env_flag("FASTBOOT_DISABLE")) return snprintf(note, note_size, "disabled by FASTBOOT_DISABLE"), nullptr;
  if (!recordable_key(r))
    return snprintf(note, note_size, "no image: the key is longer than %zu bytes or holds a tab, a newline or a NUL", kMaxKey),
           nullptr;
  double t0 = now_us();
  const char* why = nullptr;
  RootCache cache;
  if (!open_root_cache(r, &cache, &why)) return snprintf(note, note_size, "no image: %s", why), nullptr;
  CacheFile f;
  open_cache_file(cache.dir, cache.name, r, cache.program, &f);
  snprintf(seen, seen_size, "%s", f.identity);
  const void* value = nullptr;
  if (f.kind == CacheFile::image) {
    char how[256];
    const img::Header* h = map_image_file(f.fd, f.h.image_offset, f.h.image_size, env_flag("FASTBOOT_RANDOMIZE"), &why,
                                          how, sizeof(how));
    if (h && !(value = root_in_image(*h, r))) why = "the image does not hold this root";
    if (value) log_line("fastboot: frozen root %s: image used: %s, %.0f us", label(r), how, now_us() - t0);
    else f.why = why;
  }
  if (!value && f.kind == CacheFile::refused) snprintf(note, note_size, "not frozen: %s", f.why);
  else if (!value) {
    if (f.kind == CacheFile::missing) snprintf(note, note_size, "no image yet");
    else snprintf(note, note_size, "image not used (%s)", f.why);
    // Only where the freezer could write its result.
    *freeze = faccessat(cache.dir, ".", W_OK, AT_EACCESS) == 0;
    if (!*freeze) {
      size_t used = strlen(note);
      snprintf(note + used, note_size - used, ", and the cache directory is not writable");
    }
  }
  return value;
}

// Runs the initializer as an unbaked program does, tracking what it allocates, and describes the
// value it built for the freezer in a file of the cache directory, whose name goes to `first`
// (left empty, with why, when there is none: then nothing is frozen from this run).
void* first_run(detail::root_base& r, char* first, size_t first_size, const char** why) {
  if (!track_begin()) {
    *why = "another frozen root's first run is being recorded";
    return run_initializer(r);
  }
  void* v;
  size_t count = 0;
  const Tracked* tracked;
  try {
    v = run_initializer(r, true);
  } catch (...) {
    track_end(&count);
    track_release();
    throw;
  }
  tracked = track_end(&count);
  // What the moves left past the ends of strings and vectors, as the bake clears it.
  if (r.clear_dead) r.clear_dead(v);
  RootCache cache;
  if (open_root_cache(r, &cache, why)) {
    char name[64];
    snprintf(name, sizeof(name), "%s%d-%08llx-%016llx", kFirstPrefix, int(getpid()),
             static_cast<unsigned long long>(img::checksum(r.name, strlen(r.name)) & 0xffffffff),
             static_cast<unsigned long long>(r.key ? img::checksum(r.key, r.key_size) : 0));
    if (write_first_run(cache.dir, name, r, v, tracked, count, why)) snprintf(first, first_size, "%s", name);
  }
  track_release();
  return v;
}

void register_worker() { freeze_worker = freeze_main; }

}  // namespace
}  // namespace fastboot::rt

namespace fastboot::detail {

void register_frozen(root_base& r) noexcept {
  rt::add_frozen(r);
  rt::register_worker();
}

const void* resolve_keyed(root_base& map, const char* key, size_t key_size) {
  root_base* k = rt::key_root(map, key, key_size);
  if (!k) throw std::bad_alloc();
  if (const void* v = k->value.load(std::memory_order_acquire)) return v;
  return resolve_frozen(*k);
}

const void* resolve_frozen(root_base& r) {
  rt::FirstAccess guard(r);
  if (const void* v = r.value.load(std::memory_order_acquire)) return v;
  const void* v;
  if (rt::baking()) {
    v = rt::bake_root(r);  // the freezer's bake runs, or a root's initializer that reads this one
  } else {
    rt::StateAccess access;
    bool freeze;
    char note[1200], seen[96];
    if (!(v = rt::frozen_value(r, &freeze, note, sizeof(note), seen, sizeof(seen)))) {
      // The state main has set, taken before the initializer changes any.
      char first[64] = "", state[17] = "";
      const char* why = "the program's writable data is too large to watch (over 64 MiB)";
      uint64_t hash, words;
      char where[128];
      if (freeze && rt::program_state(&hash, &words, where, sizeof(where))) {
        snprintf(state, sizeof(state), "%016llx", static_cast<unsigned long long>(hash));
        v = rt::first_run(r, first, sizeof(first), &why);
      } else {
        v = rt::run_initializer(r);
      }
      const char* mode = getenv("FASTBOOT_FREEZE");
      bool sync = mode && strcmp(mode, "sync") == 0;
      if (!freeze) {
        rt::log_line("fastboot: frozen root %s: %s; running the initializer", rt::label(r), note);
      } else if (!first[0]) {
        rt::log_line("fastboot: frozen root %s: %s; ran the initializer, not freezing it: %s", rt::label(r), note, why);
      } else if (!sync) {
        bool started = rt::start_freezer(r, false, seen, first, state);
        rt::log_line("fastboot: frozen root %s: %s; ran the initializer, %s", rt::label(r), note,
                     started ? "freezing it in the background" : "could not start the freezer");
      } else {
        bool started = rt::start_freezer(r, true, seen, first, state);
        // Say what the freezer left.
        rt::RootCache cache;
        rt::CacheFile f;
        if (rt::open_root_cache(r, &cache, &why)) rt::open_cache_file(cache.dir, cache.name, r, cache.program, &f, false);
        if (f.kind == rt::CacheFile::image)
          rt::log_line("fastboot: frozen root %s: %s; ran the initializer and froze it: image written", rt::label(r), note);
        else if (f.kind == rt::CacheFile::refused)
          rt::log_line("fastboot: frozen root %s: %s; ran the initializer; not frozen: %s", rt::label(r), note, f.why);
        else if (!started)
          rt::log_line("fastboot: frozen root %s: %s; ran the initializer; could not start the freezer: this program "
                       "could not execute itself again (/proc/self/exe), as under an emulator the kernel does not "
                       "know (qemu-user run directly, without binfmt_misc)", rt::label(r), note);
        else
          rt::log_line("fastboot: frozen root %s: %s; ran the initializer; the freezer wrote no image", rt::label(r), note);
      }
    }
  }
  r.value.store(v, std::memory_order_release);
  return v;
}

}  // namespace fastboot::detail
