// The commands of fastboot-bake, one per file; main.cc only dispatches. Each takes the
// arguments after its name and returns the process's exit status.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "context.h"

namespace fastboot::baker::commands {

int link(const std::vector<std::string>& args);
int bake(const std::vector<std::string>& args);
int inspect(const std::vector<std::string>& args);
int report(const std::vector<std::string>& args);
int diff(const std::vector<std::string>& args);
int verify(const std::vector<std::string>& args);

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // options that take a value (the last one given)
  std::map<std::string, std::vector<std::string>> repeated;  // every value of each, in order
  std::set<std::string> flags;                // options that do not
  std::vector<std::string> tail;              // after "--"

  bool has(const std::string& flag) const { return flags.count(flag) != 0; }
  std::string value(const std::string& option, std::string fallback = "") const {
    auto it = values.find(option);
    return it == values.end() ? fallback : it->second;
  }
};

// Parses options for `command`; prints what is wrong and returns nothing for an unknown option
// or a missing value.
std::optional<Args> parse(const std::string& command, const std::vector<std::string>& args,
                          const std::set<std::string>& with_value, const std::set<std::string>& flags);

// The options of the commands that bake (link, bake).
std::optional<Options> bake_options(const Args& args);
extern const std::set<std::string> kBakeValues, kBakeFlags;

}  // namespace fastboot::baker::commands
