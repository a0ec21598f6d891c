// JSON string literals from log text: every string a log carries (console
// text, assertion conditions, labels) may hold any bytes, so invalid UTF-8
// is kept visible as "\xNN" and the result is always valid JSON.
#pragma once

#include <string>
#include <string_view>

namespace nestrr::eventlog {

enum class JsonEscape {
  kPlain,     // JSON's own escapes only
  kHtmlSafe,  // also '<' as \u003c: safe inside an HTML <script> element
};

// Appends the body of a JSON string literal (without the quotes).
void append_json_escaped(std::string& out, std::string_view text, JsonEscape mode = JsonEscape::kPlain);

}  // namespace nestrr::eventlog
