// A minimal streaming JSON writer for the report's data: objects, arrays,
// escaped strings, numbers; commas handled by the writer.
#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>
#include <vector>

namespace nestrr::report::detail {

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(uint64_t v);
  JsonWriter& value(int64_t v);
  JsonWriter& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonWriter& value(uint32_t v) { return value(static_cast<uint64_t>(v)); }
  JsonWriter& value(double v);  // shortest form with at most 3 decimals
  JsonWriter& value(bool v);
  JsonWriter& null();
  template <class T>
  JsonWriter& array(const std::vector<T>& values) {
    begin_array();
    for (const auto& v : values) value(v);
    return end_array();
  }

 private:
  void comma();
  std::ostream& out_;
  std::vector<bool> first_{true};
  bool after_key_ = false;
};

}  // namespace nestrr::report::detail
