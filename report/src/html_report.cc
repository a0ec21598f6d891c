// The page: the embedded template with the stylesheet, the script, the
// title and the data put in at their markers (see html_report.h).
#include "nestrr/report/html_report.h"

#include <sstream>
#include <stdexcept>
#include <string_view>

#include "gzip_base64.h"

namespace nestrr::report {

namespace web {
extern const char kHtml[];
extern const char kCss[];
extern const char kJs[];
}  // namespace web

namespace {

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Writes `text` up to `marker`, returns what follows it.
std::string_view emit_until(std::ostream& out, std::string_view text, std::string_view marker) {
  size_t at = text.find(marker);
  if (at == std::string_view::npos) throw std::logic_error("report template lacks " + std::string(marker));
  out << text.substr(0, at);
  return text.substr(at + marker.size());
}

}  // namespace

void write_html_report(std::ostream& out, const ReportData& data) {
  std::string_view rest = web::kHtml;
  rest = emit_until(out, rest, "@NESTRR_TITLE@");
  out << html_escape(data.title);
  rest = emit_until(out, rest, "/*@NESTRR_CSS@*/");
  out << web::kCss;
  rest = emit_until(out, rest, "@NESTRR_DATA@");
  std::ostringstream json;
  write_report_json(json, data);
  out << detail::base64(detail::gzip(json.str()));
  rest = emit_until(out, rest, "/*@NESTRR_JS@*/");
  out << web::kJs;
  out << rest;
}

}  // namespace nestrr::report
