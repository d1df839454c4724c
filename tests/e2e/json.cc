// A JSON DOM (nlohmann::json), parsed at bake time.
#include <nlohmann/json.hpp>

#include <string>

#include "e2e.h"

static fastboot::root<nlohmann::json> config{"config", [] {
  ++initializer_runs;
  std::string text = R"({"name": "fastboot", "version": [0, 1, 0], "servers": [)";
  for (int i = 0; i < 300; ++i) {
    if (i) text += ",";
    text += R"({"host": "server-)" + std::to_string(i) + R"(.example", "port": )" + std::to_string(8000 + i) +
            R"(, "weight": )" + std::to_string(i * 0.5) + R"(, "tags": ["a", "b", "c)" + std::to_string(i % 5) + R"("]})";
  }
  text += R"(], "limits": {"connections": 1024, "timeout_ms": 2500, "retry": true}, "motd": null})";
  return nlohmann::json::parse(text);
}};

int main() {
  const auto& c = *config;
  std::printf("%s %d.%d.%d, %zu servers\n", c["name"].get<std::string>().c_str(), c["version"][0].get<int>(),
              c["version"][1].get<int>(), c["version"][2].get<int>(), c["servers"].size());
  const auto& s = c["servers"][123];
  std::printf("server 123: %s:%d weight %.1f tag %s\n", s["host"].get<std::string>().c_str(), s["port"].get<int>(),
              s["weight"].get<double>(), s["tags"][2].get<std::string>().c_str());
  std::printf("limits: %s\n", c["limits"].dump().c_str());
  std::printf("motd is null: %d\n", c["motd"].is_null());
  print_status();
}
