#include <fmt/core.h>

#include "commands.h"

namespace fastboot::baker::commands {

const std::set<std::string> kBakeValues = {"--working-directory", "--depfile", "--max-errors", "--emulator"};
const std::set<std::string> kBakeFlags = {"--compress",   "--compress=lz4", "--compress=zstd", "--randomize-base", "--verbose",
                                          "--progress", "--no-progress", "--address-stable"};

std::optional<Args> parse(const std::string& command, const std::vector<std::string>& args,
                          const std::set<std::string>& with_value, const std::set<std::string>& flags) {
  Args out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      out.tail.assign(args.begin() + long(i) + 1, args.end());
      break;
    }
    if (with_value.count(a)) {
      if (i + 1 >= args.size()) {
        fmt::print(stderr, "fastboot-bake: {}: {} needs a value\n", command, a);
        return std::nullopt;
      }
      out.values[a] = args[++i];
      out.repeated[a].push_back(args[i]);
    } else if (flags.count(a)) {
      out.flags.insert(a);
    } else if (a.size() > 1 && a[0] == '-') {
      fmt::print(stderr, "fastboot-bake: {}: unknown option {} (fastboot-bake --help lists them)\n", command, a);
      return std::nullopt;
    } else {
      out.positional.push_back(a);
    }
  }
  return out;
}

std::optional<Options> bake_options(const Args& args) {
  Options opts;
  opts.working_directory = args.value("--working-directory");
  opts.depfile = args.value("--depfile");
  if (auto e = args.repeated.find("--emulator"); e != args.repeated.end()) {
    opts.emulator = e->second;
    opts.arena_reserve = std::uint64_t(16) << 30;  // see Options::arena_reserve
  }
  if (args.has("--compress") || args.has("--compress=lz4")) opts.compress = image::Compression::lz4;
  if (args.has("--compress=zstd")) opts.compress = image::Compression::zstd;
  opts.randomize_base = args.has("--randomize-base");
  opts.address_stable = args.has("--address-stable");
  if (opts.address_stable && opts.randomize_base) {
    fmt::print(stderr, "fastboot-bake: --address-stable and --randomize-base exclude each other: an image holding "
                       "tables keyed by address is usable only at the base it was baked at\n");
    return std::nullopt;
  }
  if (opts.address_stable) opts.base_b = opts.base_a;  // see Options::address_stable
  opts.verbose = args.has("--verbose");
  if (args.has("--progress")) opts.progress = Options::Progress::always;
  if (args.has("--no-progress")) opts.progress = Options::Progress::never;
  if (args.values.count("--max-errors")) {
    try {
      opts.max_errors = std::stoul(args.value("--max-errors"));
    } catch (const std::exception&) {
      fmt::print(stderr, "fastboot-bake: --max-errors needs a number\n");
      return std::nullopt;
    }
  }
  return opts;
}

}  // namespace fastboot::baker::commands
