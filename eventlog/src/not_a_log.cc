// Telling a log from anything else (not_a_log.h).
#include "nestrr/eventlog/not_a_log.h"

#include <cstdio>

namespace nestrr::eventlog {
namespace {

constexpr const char* kExpected =
    "expected frames: lines of \"~N\" and base64 (docs/format.md), as `nestrr capture` and "
    "`nestrr record` write them";

// The first console line, cut short and with its control bytes escaped.
std::string first_text(const Log& log) {
  if (log.console.empty()) return "";
  const auto& e = log.console.front();
  std::string text = e.record.console_text().text();
  std::string shown;
  for (unsigned char c : text) {
    if (shown.size() >= 32) {
      shown += "...";
      break;
    }
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      shown += buf;
    } else if (c == '"' || c == '\\') {
      shown += '\\';
      shown += static_cast<char>(c);
    } else {
      shown += static_cast<char>(c);
    }
  }
  return "byte " + std::to_string(e.stream_offset) + " starts \"" + shown + "\"";
}

}  // namespace

std::string why_not_a_log(const Log& log) {
  const Stats& s = log.stats;
  if (s.bytes == 0) return std::string("empty (0 bytes): ") + kExpected;
  const bool packets = s.headers || s.chunks || s.trailers || s.key_frame_pieces;
  if (s.frames_ok > 0 && packets) return "";
  if (s.frames_ok > 0)
    return std::to_string(s.frames_ok) + " intact frame" + (s.frames_ok == 1 ? "" : "s") +
           " in its " + std::to_string(s.bytes) +
           " bytes, none carrying a nestrr packet (header, records, trailer or key frame)";
  if (!log.damage.empty())
    return "no intact frame in its " + std::to_string(s.bytes) + " bytes: " +
           std::to_string(log.damage.size()) + " damaged, the first " + describe(log.damage.front()) +
           "; " + kExpected;
  std::string where = first_text(log);
  return "no frame in its " + std::to_string(s.bytes) + " bytes" +
         (where.empty() ? std::string() : " (" + where + ")") + ": " + kExpected;
}

void require_log(const Log& log, const std::string& name) {
  const std::string why = why_not_a_log(log);
  if (!why.empty()) throw NotALog(name + ": not a nestrr log: " + why);
}

}  // namespace nestrr::eventlog
