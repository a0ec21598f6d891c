// Opening a log named on the command line (see log_input.h).
#include "log_input.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <iostream>

namespace nestrr::cli {

std::optional<eventlog::Log> open_log(const std::string& path) {
  try {
    if (path == "-") return eventlog::read_log(std::cin);
    return eventlog::read_log_file(path);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return std::nullopt;
  }
}

}  // namespace nestrr::cli
