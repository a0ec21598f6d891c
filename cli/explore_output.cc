// The report and logs of an exploration (see explore_output.h).
#include "explore_output.h"

#include <fstream>

#include "nestrr/replay/explore_result.h"

namespace nestrr::cli {

bool write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

std::string numbered(const std::string& path, size_t n) {
  if (n == 0) return path;
  size_t dot = path.rfind('.');
  size_t slash = path.rfind('/');
  std::string tag = "." + std::to_string(n + 1);
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return path + tag;
  return path.substr(0, dot) + tag + path.substr(dot);
}

bool report_search(const nestrr::v1::ExploreRun& result, const std::string& log_path, FILE* to) {
  std::fputs(replay::describe_search(result).c_str(), to);
  for (int i = 0; i < result.finding_size(); ++i) {
    const auto& f = result.finding(i);
    std::fputs(replay::describe_finding(f).c_str(), to);
    if (log_path.empty()) continue;
    std::string path = numbered(log_path, static_cast<size_t>(i));
    if (!write_file(path, f.log())) {
      std::fprintf(to, "  could not write %s\n", path.c_str());
      return false;
    }
    std::fprintf(to, "  log written to %s\n", path.c_str());
  }
  if (result.finding_size() == 0)
    std::fprintf(to, "nothing found%s\n",
                 result.exhausted() ? ": every schedule within the bound is clean" : "");
  return true;
}

}  // namespace nestrr::cli
