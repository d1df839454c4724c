// The image must describe the exact code and data of the final executable. The link produces
// the program the bake runs; the image is then written into that same file as the contents of
// its non-allocated `.fastboot` section (attach.h), which changes no loadable byte, and
// verify_baked() proves that. Only an ELF file the attaching cannot handle is linked a second
// time with the image object.
#include "link.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "attach.h"
#include "bake.h"
#include "elf-file.h"
#include "elf-writer.h"
#include "verify.h"

namespace fastboot::baker {

namespace fs = std::filesystem;

int run_command(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const std::string& s : command) argv.push_back(const_cast<char*>(s.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    execvp(argv[0], argv.data());
    fmt::print(stderr, "fastboot-bake: cannot execute {}: {}\n", command[0], strerror(errno));
    _exit(127);
  }
  if (pid < 0) return 127;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

namespace {

// A -static program cannot define malloc (or pthread_create) next to libc.a's: it gets the
// runtime built for --wrap=malloc (libfastboot-runtime-static.a, beside the usual one) and the
// --wrap flags.
std::vector<std::string> for_static_link(const std::vector<std::string>& command) {
  if (std::find(command.begin(), command.end(), "-static") == command.end()) return command;
  std::vector<std::string> out;
  const std::string dynamic = "libfastboot-runtime.a";
  for (const std::string& arg : command) {
    bool runtime = arg.size() >= dynamic.size() && arg.compare(arg.size() - dynamic.size(), dynamic.size(), dynamic) == 0;
    out.push_back(runtime ? arg.substr(0, arg.size() - dynamic.size()) + "libfastboot-runtime-static.a" : arg);
  }
  std::string wrap = "-Wl";
  for (const char* f : {"malloc", "free", "calloc", "realloc", "reallocarray", "memalign", "aligned_alloc",
                        "posix_memalign", "valloc", "pvalloc", "malloc_usable_size", "pthread_create"})
    wrap += std::string(",--wrap=") + f;
  out.push_back(wrap);
  return out;
}

// "<output>: <file> <file> ..." for the files the initializers read, so that a change to any
// of them rebakes. Rewritten only when the list changes (CMake re-reads it at configure time).
void write_depfile(Context& ctx, const std::string& output) {
  std::string text = output + ":";
  for (const std::string& f : ctx.audit["file"]) {
    if (f.rfind("/proc/", 0) == 0 || f.rfind("/sys/", 0) == 0 || f.rfind("/dev/", 0) == 0) continue;
    if (!fs::is_regular_file(f)) continue;
    std::string escaped;
    for (char c : f) escaped += (c == ' ' ? "\\ " : std::string(1, c));
    text += " " + escaped;
  }
  text += "\n";
  std::ifstream in(ctx.opts.depfile);
  std::stringstream old;
  old << in.rdbuf();
  if (old.str() == text) return;
  std::ofstream(ctx.opts.depfile) << text;
}

}  // namespace

int link_and_bake(Context& ctx, const std::vector<std::string>& original) {
  const std::vector<std::string> command = for_static_link(original);
  std::string output;
  for (std::size_t i = 0; i < command.size(); ++i) {
    if (command[i] == "-o" && i + 1 < command.size()) output = command[i + 1];
    else if (command[i].rfind("-o", 0) == 0 && command[i].size() > 2) output = command[i].substr(2);
  }
  if (command.empty() || output.empty()) {
    fmt::print(stderr, "fastboot-bake: link: the link command has no -o <output>\n");
    return 2;
  }

  const std::string unbaked = output + ".fastboot-unbaked";
  const std::string object = output + ".fastboot.o";
  auto cleanup = [&](bool keep_output) {
    std::error_code ec;
    fs::remove(unbaked, ec);
    fs::remove(object, ec);
    if (!keep_output) fs::remove(output, ec);
  };
  // The first link already reads an image object, empty, under the name the real one will have:
  // both links then read the same files, with the same sections and symbols, so a linker whose
  // order of dynamic symbols depends on what it read (gold) lays out the loadable bytes of both
  // alike. The empty .fastboot section follows all loadable content, as the real one does.
  std::vector<std::string> first = command;
  first.push_back(object);
  // The image object is for the machine of the objects linked (a cross build's are not this one's).
  std::uint16_t machine = 0;
  for (std::size_t i = 1; i < command.size() && !machine; ++i)
    if (command[i].size() > 2 && command[i].compare(command[i].size() - 2, 2, ".o") == 0) machine = object_machine(command[i]);
  if (!machine) machine = native_machine();
  try {
    write_image_object(ctx, machine, {}, {0}, object);
    checkpoint(ctx);
  } catch (const BakeFailed&) {
    cleanup(true);
    return 1;
  }
  if (int status = run_command(first); status != 0) {
    cleanup(true);
    return status;
  }
  std::error_code ec;
  fs::rename(output, unbaked, ec);
  if (ec) {
    fmt::print(stderr, "fastboot-bake: cannot rename {}: {}\n", output, ec.message());
    cleanup(false);
    return 1;
  }
  ctx.opts.program = fs::absolute(unbaked).string();
  try {
    Baked baked = bake_image(ctx);
    const SectionImage& image = baked.image;
    const std::vector<std::uint8_t> report = encode_report_section(baked.report);
    if (std::string why = attach_image(ctx, unbaked, output, image, report); !why.empty()) {
      note(ctx) << "linking " << output << " again with the image: it could not be added to the first link's "
                << "output (" << why << ")";
      write_image_object(ctx, machine, image, report, object);
      checkpoint(ctx);
      std::vector<std::string> relink = command;
      relink.push_back(object);
      Timer t(ctx, "relink with image");
      if (int status = run_command(relink); status != 0) {
        error(ctx) << "relinking " << output << " with the image failed (exit status " << status << ")";
        checkpoint(ctx);
      }
    }
    // The build-id is a hash of the whole file, image included; give the baked executable the
    // build-id of the code it runs, which is also the one the image was checked against.
    auto unbaked_info = read_executable(ctx, unbaked);
    auto baked_info = read_executable(ctx, output);
    checkpoint(ctx);
    if (!unbaked_info->build_id.empty()) patch_build_id(ctx, output, *baked_info, unbaked_info->build_id);
    verify_baked(ctx, unbaked, output, image);
    checkpoint(ctx);
  } catch (const BakeFailed&) {
    cleanup(false);
    ctx.finish_progress();
    if (ctx.opts.verbose) print_timings(ctx);
    return 1;
  }
  cleanup(true);
  if (!ctx.opts.depfile.empty()) write_depfile(ctx, output);
  ctx.finish_progress();
  if (ctx.opts.verbose) print_timings(ctx);
  return 0;
}

}  // namespace fastboot::baker
