// JsonWriter (see json_writer.h). Strings are safe inside an HTML <script>
// element: "<" is written as \u003c, so no "</script>" can appear.
#include "json_writer.h"

#include <cmath>
#include <cstdio>

namespace nestrr::report::detail {

void JsonWriter::comma() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.back()) out_ << ',';
  first_.back() = false;
}

JsonWriter& JsonWriter::begin_object() {
  comma();
  out_ << '{';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  first_.pop_back();
  out_ << '}';
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  comma();
  out_ << '[';
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  first_.pop_back();
  out_ << ']';
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  value(k);
  out_ << ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  comma();
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '<': out += "\\u003c"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  out_ << out;
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t v) {
  comma();
  out_ << v;
  return *this;
}

JsonWriter& JsonWriter::value(int64_t v) {
  comma();
  out_ << v;
  return *this;
}

JsonWriter& JsonWriter::value(double v) {
  comma();
  if (!std::isfinite(v)) {
    out_ << "null";
    return *this;
  }
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%.3f", v);
  // Drop trailing zeros and a trailing point: 12.500 -> 12.5, 3.000 -> 3.
  while (n > 0 && buf[n - 1] == '0') n--;
  if (n > 0 && buf[n - 1] == '.') n--;
  out_.write(buf, n);
  return *this;
}

JsonWriter& JsonWriter::value(bool v) {
  comma();
  out_ << (v ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::null() {
  comma();
  out_ << "null";
  return *this;
}

}  // namespace nestrr::report::detail
