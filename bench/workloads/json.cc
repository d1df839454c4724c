// A parsed JSON document (nlohmann::json) of a few tens of megabytes. The serialized
// alternative is the same document in CBOR, nlohmann's binary format.
#include <nlohmann/json.hpp>

#include <iterator>

#include "harness.h"

struct Json {
  using Data = nlohmann::json;
  static Data build() {
    std::ifstream in(JSON_FILE);
    return nlohmann::json::parse(in);
  }
  static void save(const Data& d, std::ostream& out) {
    std::vector<std::uint8_t> cbor = nlohmann::json::to_cbor(d);
    out.write(reinterpret_cast<const char*>(cbor.data()), std::streamsize(cbor.size()));
  }
  static Data load(std::istream& in) {
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return nlohmann::json::from_cbor(bytes);
  }
  static std::uint64_t first(const Data& d) { return d["servers"][4242]["port"].get<std::uint64_t>(); }
  static std::uint64_t query(const Data& d, std::uint64_t i) {
    const auto& s = d["servers"][i % d["servers"].size()];
    return s["port"].get<std::uint64_t>() + s["tags"].size();
  }
  static std::uint64_t touch_all(const Data& d) {
    std::uint64_t sum = 0;
    for (const auto& s : d["servers"]) sum += s["port"].get<std::uint64_t>();
    return sum;
  }
};

static FASTBOOT_BENCH_ROOT<nlohmann::json> document{"document", [] { return Json::build(); }};

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "generate") == 0) {  // writes the benchmark's document
    std::ofstream out(argv[2]);
    out << R"({"name": "benchmark document", "servers": [)";
    for (int i = 0; i < 100000; ++i) {
      out << (i ? "," : "") << R"({"host": "server-)" << i << R"(.example.org", "port": )" << 8000 + i % 50000
          << R"(, "weight": )" << (i % 1000) / 10.0 << R"(, "enabled": )" << (i % 3 ? "true" : "false")
          << R"(, "tags": ["alpha", "beta", "zone-)" << i % 17 << R"("], "limits": {"rps": )" << i % 977
          << R"(, "burst": )" << i % 31 << "}}";
    }
    out << "]}\n";
    return out ? 0 : 1;
  }
  return workload::run<Json>(argc, argv, document);
}
