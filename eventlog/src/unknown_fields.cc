// Recursive walk over set message fields, reporting UnknownFieldSet entries.
#include "unknown_fields.h"

#include <unordered_map>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/unknown_field_set.h>

#include "nestrr.pb.h"

namespace nestrr::eventlog::detail {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::OneofDescriptor;

namespace {

// Where a message type can hold submessages: its oneofs with a message
// member, and its message-typed fields outside any oneof. Computed once
// per type, since this walk runs per record.
struct Plan {
  std::vector<const OneofDescriptor*> oneofs;
  std::vector<const FieldDescriptor*> fields;
};

const Plan& plan_of(const Descriptor* descriptor) {
  thread_local std::unordered_map<const Descriptor*, Plan> plans;
  auto [it, fresh] = plans.try_emplace(descriptor);
  if (!fresh) return it->second;
  Plan& plan = it->second;
  for (int i = 0; i < descriptor->real_oneof_decl_count(); ++i) {
    const OneofDescriptor* oneof = descriptor->oneof_decl(i);
    for (int j = 0; j < oneof->field_count(); ++j) {
      if (oneof->field(j)->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        plan.oneofs.push_back(oneof);
        break;
      }
    }
  }
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !field->real_containing_oneof())
      plan.fields.push_back(field);
  }
  return plan;
}

// The per-record path without a reflective lookup per level: a Record's
// event case is its field number, so the submessage's field, reflection
// and whether it can nest further are looked up once per case.
class RecordWalk {
 public:
  RecordWalk() {
    const Descriptor* record = nestrr::v1::Record::descriptor();
    reflection_ = nestrr::v1::Record::GetReflection();
    auto* factory = google::protobuf::MessageFactory::generated_factory();
    for (int i = 0; i < record->field_count(); ++i) {
      const FieldDescriptor* field = record->field(i);
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || !field->real_containing_oneof()) continue;
      if (field->number() >= static_cast<int>(cases_.size())) cases_.resize(field->number() + 1);
      const Plan& nested = plan_of(field->message_type());
      cases_[field->number()] = Case{field, factory->GetPrototype(field->message_type())->GetReflection(),
                                     nested.oneofs.empty() && nested.fields.empty()};
    }
  }

  void walk(const nestrr::v1::Record& record, const std::function<void(const std::string&, int)>& found) const {
    const auto& own = reflection_->GetUnknownFields(record);
    for (int i = 0; i < own.field_count(); ++i) found(record.GetDescriptor()->full_name(), own.field(i).number());
    const auto which = static_cast<size_t>(record.event_case());
    if (which == 0) return;
    if (which >= cases_.size() || !cases_[which].field) {
      for_each_unknown_field(record, found);  // a case this table lacks: the general walk
      return;
    }
    const Case& c = cases_[which];
    const auto& event = reflection_->GetMessage(record, c.field);
    if (!c.leaf) {
      for_each_unknown_field(event, found);
      return;
    }
    const auto& unknown = c.reflection->GetUnknownFields(event);
    for (int i = 0; i < unknown.field_count(); ++i)
      found(c.field->message_type()->full_name(), unknown.field(i).number());
  }

 private:
  struct Case {
    const FieldDescriptor* field = nullptr;
    const google::protobuf::Reflection* reflection = nullptr;
    bool leaf = false;  // no message-typed fields below it
  };
  const google::protobuf::Reflection* reflection_ = nullptr;
  std::vector<Case> cases_;
};

void walk_field(const google::protobuf::Message& message, const google::protobuf::Reflection* reflection,
                const FieldDescriptor* field,
                const std::function<void(const std::string&, int)>& found) {
  if (field->is_repeated() && field->message_type() == nestrr::v1::Record::descriptor()) {
    thread_local const RecordWalk records;
    for (const auto& record : reflection->GetRepeatedPtrField<nestrr::v1::Record>(message, field))
      records.walk(record, found);
    return;
  }
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
  const Plan& plan = plan_of(descriptor);
  for (const OneofDescriptor* oneof : plan.oneofs) {
    const FieldDescriptor* set = reflection->GetOneofFieldDescriptor(message, oneof);
    if (set && set->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) walk_field(message, reflection, set, found);
  }
  for (const FieldDescriptor* field : plan.fields) walk_field(message, reflection, field, found);
}

}  // namespace nestrr::eventlog::detail
