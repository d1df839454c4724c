// A library with a logger registry in a function-local static, as spdlog keeps its own: the
// registry is built on first use, with a default logger, a mutex and a hash map, and says at
// exit how many loggers it held. Built stripped: no symbol names the static, its destructor
// does.
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "statics-lib.h"

namespace {
class Registry {
 public:
  Registry() : default_logger_(std::make_shared<Logger>(Logger{"default", 0})) {}
  ~Registry() { std::printf("at exit: the registry holds %zu loggers\n", loggers_.size()); }
  std::shared_ptr<Logger> add(const std::string& name, int level) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = loggers_[name];
    if (!slot) slot = std::make_shared<Logger>(Logger{name, level});
    return slot;
  }
  std::shared_ptr<Logger> get(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = loggers_.find(name);
    return it == loggers_.end() ? nullptr : it->second;
  }
  std::size_t size() const { return loggers_.size(); }
  const Logger& default_logger() const { return *default_logger_; }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Logger>> loggers_;
  std::shared_ptr<Logger> default_logger_;
};

Registry& instance() {
  static Registry registry;
  return registry;
}
}  // namespace

std::shared_ptr<Logger> register_logger(const std::string& name, int level) { return instance().add(name, level); }
std::shared_ptr<Logger> get_logger(const std::string& name) { return instance().get(name); }
std::size_t logger_count() { return instance().size(); }
const std::string& default_logger_name() { return instance().default_logger().name; }
