// Recursive walk over set message fields, reporting UnknownFieldSet entries.
#include "unknown_fields.h"

#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/unknown_field_set.h>

namespace nestrr::eventlog::detail {

using google::protobuf::FieldDescriptor;

void for_each_unknown_field(const google::protobuf::Message& message,
                            const std::function<void(const std::string&, int)>& found) {
  const auto* reflection = message.GetReflection();
  const auto& unknown = reflection->GetUnknownFields(message);
  for (int i = 0; i < unknown.field_count(); ++i) {
    found(message.GetDescriptor()->full_name(), unknown.field(i).number());
  }
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      const int n = reflection->FieldSize(message, field);
      for (int j = 0; j < n; ++j) {
        for_each_unknown_field(reflection->GetRepeatedMessage(message, field, j), found);
      }
    } else {
      for_each_unknown_field(reflection->GetMessage(message, field), found);
    }
  }
}

}  // namespace nestrr::eventlog::detail
