// A protobuf DescriptorPool built from a schema at run time, and a DynamicMessageFactory, baked
// ADDRESS_STABLE: the pool's tables find fields by (parent descriptor's address, number) and
// the factory finds prototypes by descriptor address. Queried after start: descriptors by name
// and by number, and messages parsed from text and from the wire with DynamicMessage.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/text_format.h>

#include <memory>
#include <string>

#include "e2e.h"

namespace pb = google::protobuf;

namespace {

struct Schema {
  std::unique_ptr<pb::DescriptorPool> pool;
  std::unique_ptr<pb::DynamicMessageFactory> factory;
  const pb::Descriptor* person = nullptr;
};

// A schema of many message types: demo.Person refers to demo.Address and to an enum, and 150
// generated records with a dozen fields each make the pool's tables large.
pb::FileDescriptorProto schema_file() {
  std::string text = R"(
    name: "demo.proto" package: "demo" syntax: "proto3"
    enum_type { name: "Kind" value { name: "UNKNOWN" number: 0 } value { name: "ADMIN" number: 1 }
                value { name: "GUEST" number: 2 } }
    message_type { name: "Address"
      field { name: "street" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "street" }
      field { name: "zip" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 json_name: "zip" } }
    message_type { name: "Person"
      field { name: "name" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING json_name: "name" }
      field { name: "id" number: 2 label: LABEL_OPTIONAL type: TYPE_INT64 json_name: "id" }
      field { name: "kind" number: 3 label: LABEL_OPTIONAL type: TYPE_ENUM type_name: ".demo.Kind" json_name: "kind" }
      field { name: "addresses" number: 4 label: LABEL_REPEATED type: TYPE_MESSAGE type_name: ".demo.Address"
              json_name: "addresses" }
      field { name: "tags" number: 5 label: LABEL_REPEATED type: TYPE_STRING json_name: "tags" } }
  )";
  for (int m = 0; m < 150; ++m) {
    text += "message_type { name: \"Record" + std::to_string(m) + "\"\n";
    for (int f = 1; f <= 12; ++f)
      text += "  field { name: \"field_" + std::to_string(f) + "\" number: " + std::to_string(f * 3) +
              " label: LABEL_OPTIONAL type: " + (f % 3 ? "TYPE_INT64" : "TYPE_STRING") + " }\n";
    text += "}\n";
  }
  pb::FileDescriptorProto file;
  if (!pb::TextFormat::ParseFromString(text, &file)) throw std::runtime_error("bad schema text");
  return file;
}

fastboot::root<Schema> schema{"schema", [] {
  ++initializer_runs;
  Schema s;
  s.pool = std::make_unique<pb::DescriptorPool>();
  if (!s.pool->BuildFile(schema_file())) throw std::runtime_error("schema does not build");
  s.person = s.pool->FindMessageTypeByName("demo.Person");
  s.factory = std::make_unique<pb::DynamicMessageFactory>(s.pool.get());
  s.factory->GetPrototype(s.person);  // builds the prototypes of Person and Address
  return s;
}};

}  // namespace

int main() {
  take_base_if_asked();
  const Schema& s = *schema;
  const pb::DescriptorPool& pool = *s.pool;
  std::printf("messages in demo.proto: %d, Person has %d fields\n", pool.FindFileByName("demo.proto")->message_type_count(),
              s.person->field_count());
  // Found by (descriptor, number) and by (descriptor, name): tables keyed by address.
  const pb::Descriptor* record = pool.FindMessageTypeByName("demo.Record77");
  const pb::FieldDescriptor* f = record->FindFieldByNumber(27);
  std::printf("Record77 field 27: %s, %s; by name: %d\n", f->name().c_str(), f->type_name(),
              record->FindFieldByName("field_12")->number());
  std::printf("enum value 2 of Kind: %s\n", pool.FindEnumTypeByName("demo.Kind")->FindValueByNumber(2)->name().c_str());

  // DynamicMessage: a prototype found by descriptor address, a message parsed from text, written
  // to the wire and parsed back.
  const pb::Message* prototype = s.factory->GetPrototype(s.person);
  std::unique_ptr<pb::Message> person(prototype->New());
  if (!pb::TextFormat::ParseFromString(
          R"(name: "Ada" id: 1815 kind: ADMIN addresses { street: "St James's Square" zip: 12 } tags: "math")",
          person.get()))
    std::printf("text parse failed\n");
  std::string wire = person->SerializeAsString();
  std::unique_ptr<pb::Message> again(prototype->New());
  again->ParseFromString(wire);
  std::string text;
  pb::TextFormat::PrintToString(*again, &text);
  std::printf("%zu bytes on the wire, read back:\n%s", wire.size(), text.c_str());
  const pb::Reflection* r = again->GetReflection();
  std::printf("id %lld, kind %s, same prototype: %s\n",
              static_cast<long long>(r->GetInt64(*again, s.person->FindFieldByName("id"))),
              r->GetEnum(*again, s.person->FindFieldByName("kind"))->name().c_str(),
              s.factory->GetPrototype(s.person) == prototype ? "yes" : "no");
  print_status();
}
