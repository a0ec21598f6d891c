// JsonWriter (see json_writer.h). Strings are safe inside an HTML <script>
// element: "<" is written as \u003c, so no "</script>" can appear; invalid
// UTF-8 shows as "\xNN" (eventlog's escaping).
#include "json_writer.h"

#include "nestrr/eventlog/json_text.h"

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
  eventlog::append_json_escaped(out, s, eventlog::JsonEscape::kHtmlSafe);
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
