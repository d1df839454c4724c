// A frozen root, as a user writes one: built on the first run, mapped from the cache after.
#include <fastboot/fastboot.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

namespace {

int runs = 0;

struct Rule {
  virtual ~Rule() = default;
  virtual bool matches(const std::string& s) const = 0;
};
struct RegexRule : Rule {
  std::regex re;
  explicit RegexRule(const std::string& p) : re(p) {}
  bool matches(const std::string& s) const override { return std::regex_match(s, re); }
};

struct Rules {
  std::vector<std::unique_ptr<Rule>> rules;
  std::map<std::string, std::function<std::string(const std::string&)>> actions;
};

fastboot::frozen<Rules> rules{"rules", [] {
  ++runs;
  Rules r;
  const char* extra = std::getenv("MATRIX_RULE");
  for (const char* p : {"[a-z]+", "[0-9]+-[0-9]+", "[A-Z]+!?"}) r.rules.push_back(std::make_unique<RegexRule>(p));
  if (extra) r.rules.push_back(std::make_unique<RegexRule>(extra));
  r.actions["shout"] = [](const std::string& s) { return s + "!"; };
  r.actions["twice"] = [](const std::string& s) { return s + s; };
  return r;
}};

}  // namespace

int main() {
  int matched = 0;
  for (const char* s : {"hello", "12-34", "WORLD", "mixed1", "x"})
    for (const auto& rule : rules->rules) matched += rule->matches(s);
  std::printf("rules %zu matched %d %s %s\n", rules->rules.size(), matched, rules->actions.at("shout")("hey").c_str(),
              rules->actions.at("twice")("ab").c_str());
  std::printf("initializer runs %d\n", runs);
  return 0;
}
