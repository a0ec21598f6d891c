// Finds fields a message carries that this reader's schema does not know,
// at any depth, through protobuf reflection.
#pragma once

#include <functional>
#include <string>

#include <google/protobuf/message.h>

namespace nestrr::eventlog::detail {

// Calls found(full message name, field number) for every unknown field.
void for_each_unknown_field(const google::protobuf::Message& message,
                            const std::function<void(const std::string&, int)>& found);

}  // namespace nestrr::eventlog::detail
