// What `nestrr explore` and `nestrr explore-merge` both print and write:
// the search's report and each finding's log.
#pragma once

#include <cstdio>
#include <string>

#include "explore.pb.h"

namespace nestrr::cli {

bool write_file(const std::string& path, const std::string& bytes);

// out.nrr -> out.2.nrr for the second finding, and so on.
std::string numbered(const std::string& path, size_t n);

// Prints the report to `to` and, unless `log_path` is empty, writes the
// findings' logs there (numbered). False if a log could not be written.
bool report_search(const nestrr::v1::ExploreRun& result, const std::string& log_path, FILE* to);

}  // namespace nestrr::cli
