// std::function with captures, function pointers, member pointers and shared_ptr.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "e2e.h"

static int twice(int x) { return 2 * x; }

struct Counter {
  int base;
  int add(int x) const { return base + x; }
};

struct Handlers {
  std::map<std::string, std::function<int(int)>> by_name;
  std::vector<int (*)(int)> plain;
  int (Counter::*method)(int) const;
  std::shared_ptr<Counter> counter;
  std::shared_ptr<const std::string> shared_text;
  std::weak_ptr<Counter> weak;
};

static fastboot::root<Handlers> handlers{"handlers", [] {
  ++initializer_runs;
  Handlers h;
  std::string suffix(64, '!');
  h.by_name["square"] = [](int x) { return x * x; };
  h.by_name["offset"] = [k = 1000](int x) { return x + k; };
  h.by_name["length"] = [suffix](int x) { return x + int(suffix.size()); };
  h.by_name["twice"] = twice;
  h.plain = {twice, [](int x) { return -x; }};
  h.method = &Counter::add;
  h.counter = std::make_shared<Counter>(Counter{7});
  h.shared_text = std::make_shared<const std::string>("shared text that is too long for SSO");
  h.weak = h.counter;
  return h;
}};

int main() {
  for (const auto& [name, fn] : handlers->by_name) std::printf("%s(12) = %d\n", name.c_str(), fn(12));
  std::printf("plain: %d %d\n", handlers->plain[0](5), handlers->plain[1](5));
  std::printf("method: %d\n", (handlers->counter.get()->*handlers->method)(3));
  std::printf("shared: %s, use_count %ld, weak alive %d\n", handlers->shared_text->c_str(),
              handlers->counter.use_count(), !handlers->weak.expired());
  print_status();
}
