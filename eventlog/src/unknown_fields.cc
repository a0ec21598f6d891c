// Recursive walk over set message fields, reporting UnknownFieldSet entries.
#include "unknown_fields.h"

#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/unknown_field_set.h>

namespace nestrr::eventlog::detail {

using google::protobuf::FieldDescriptor;

namespace {

void walk_field(const google::protobuf::Message& message, const google::protobuf::Reflection* reflection,
                const FieldDescriptor* field,
                const std::function<void(const std::string&, int)>& found) {
  if (field->is_repeated()) {
    const int n = reflection->FieldSize(message, field);
    for (int j = 0; j < n; ++j) {
      for_each_unknown_field(reflection->GetRepeatedMessage(message, field, j), found);
    }
  } else if (reflection->HasField(message, field)) {
    for_each_unknown_field(reflection->GetMessage(message, field), found);
  }
}

}  // namespace

// Visits only message-typed fields, and for a oneof only its set member:
// a Record has one event of twenty-odd kinds, and this runs per record.
void for_each_unknown_field(const google::protobuf::Message& message,
                            const std::function<void(const std::string&, int)>& found) {
  const auto* reflection = message.GetReflection();
  const auto* descriptor = message.GetDescriptor();
  const auto& unknown = reflection->GetUnknownFields(message);
  for (int i = 0; i < unknown.field_count(); ++i) {
    found(descriptor->full_name(), unknown.field(i).number());
  }
  for (int i = 0; i < descriptor->real_oneof_decl_count(); ++i) {
    const FieldDescriptor* set = reflection->GetOneofFieldDescriptor(message, descriptor->oneof_decl(i));
    if (set && set->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) walk_field(message, reflection, set, found);
  }
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || field->real_containing_oneof()) continue;
    walk_field(message, reflection, field, found);
  }
}

}  // namespace nestrr::eventlog::detail
