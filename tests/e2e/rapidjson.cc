// A parsed RapidJSON document: on x86-64 its values keep flags in the upper 16 bits of their
// pointers (RAPIDJSON_48BITPOINTER_OPTIMIZATION, the default), in memory pools its allocator
// takes from malloc; a member added with string literals (StringRef) keeps tagged pointers into
// the program. The document walked in main is the same unbaked, baked and relocated.
#include <rapidjson/document.h>

#include <string>

#include "e2e.h"

namespace {

std::string text() {
  std::string s = "{\"name\": \"fastboot\", \"items\": [";
  for (int i = 0; i < 2000; ++i) {
    if (i) s += ",";
    s += "{\"id\": " + std::to_string(i) + ", \"label\": \"item-" + std::to_string(i * 7919 % 2003) +
         (i % 3 ? "\"" : "-with-a-label-long-enough-to-live-outside-the-value\"") + ", \"tags\": [\"a\", \"bc\", " +
         std::to_string(i % 5) + "], \"ratio\": " + std::to_string(i / 8.0) + "}";
  }
  return s + "], \"empty\": {}, \"nothing\": null}";
}

// A walk of the values, never their addresses.
void walk(const rapidjson::Value& v, long& values, long& chars, double& numbers) {
  ++values;
  if (v.IsString()) chars += long(v.GetStringLength());
  else if (v.IsNumber()) numbers += v.GetDouble();
  else if (v.IsArray())
    for (const auto& e : v.GetArray()) walk(e, values, chars, numbers);
  else if (v.IsObject())
    for (const auto& m : v.GetObject()) chars += long(m.name.GetStringLength()), walk(m.value, values, chars, numbers);
}

}  // namespace

static fastboot::root<rapidjson::Document> doc{"doc", [] {
  ++initializer_runs;
  rapidjson::Document d;
  d.Parse(text().c_str());
  d.AddMember("built", rapidjson::StringRef("by the initializer, from literals"), d.GetAllocator());
  return d;
}};

int main() {
  const rapidjson::Document& d = *doc;
  long values = 0, chars = 0;
  double numbers = 0;
  walk(d, values, chars, numbers);
  std::printf("parsed: %s; %ld values, %ld characters, numbers sum to %.3f\n", d.HasParseError() ? "no" : "yes",
              values, chars, numbers);
  std::printf("name %s; item 1234 is %s; %u items; built %s\n", d["name"].GetString(),
              d["items"][1234]["label"].GetString(), d["items"].Size(), d["built"].GetString());
  print_status();
}
