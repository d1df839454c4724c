// The logger registry of statics-lib.cc.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

struct Logger {
  std::string name;
  int level;
};

__attribute__((visibility("default"))) std::shared_ptr<Logger> register_logger(const std::string& name, int level);
__attribute__((visibility("default"))) std::shared_ptr<Logger> get_logger(const std::string& name);
__attribute__((visibility("default"))) std::size_t logger_count();
__attribute__((visibility("default"))) const std::string& default_logger_name();
