// JSON string escaping of log text: JSON's escapes, control bytes as
// \uNNNN, invalid UTF-8 kept visible as \xNN, '<' only in HTML-safe mode.
#include "nestrr/eventlog/json_text.h"

#include <gtest/gtest.h>

namespace nestrr::eventlog {
namespace {

std::string escaped(std::string_view text, JsonEscape mode = JsonEscape::kPlain) {
  std::string out;
  append_json_escaped(out, text, mode);
  return out;
}

TEST(JsonText, EscapesWhatJsonRequires) {
  EXPECT_EQ(escaped("a\"b\\c\nd\te"), "a\\\"b\\\\c\\nd\\te");
  EXPECT_EQ(escaped(std::string("\x01\x1f\x7f", 3)), "\\u0001\\u001f\\u007f");
  EXPECT_EQ(escaped("caf\xc3\xa9"), "caf\xc3\xa9");  // valid UTF-8 stays
}

TEST(JsonText, InvalidUtf8StaysVisible) {
  EXPECT_EQ(escaped("x\xffy"), "x\\\\xffy");          // the four characters \xff, escaped
  EXPECT_EQ(escaped("\xc3"), "\\\\xc3");             // a cut sequence
  EXPECT_EQ(escaped("\xed\xa0\x80"), "\\\\xed\\\\xa0\\\\x80");  // a surrogate
}

TEST(JsonText, HtmlSafeModeHidesTheScriptEnd) {
  EXPECT_EQ(escaped("</script>"), "</script>");
  EXPECT_EQ(escaped("</script>", JsonEscape::kHtmlSafe), "\\u003c/script>");
}

}  // namespace
}  // namespace nestrr::eventlog
