// The self-contained HTML page of a report: the template (report/web/, built
// into the binary) with the data inlined as compact JSON, gzip-compressed
// and base64-encoded (the page inflates it with the browser's own
// DecompressionStream). No network: the page loads nothing, so it opens
// offline from an e-mail attachment.
#pragma once

#include <ostream>

#include "nestrr/report/report_data.h"

namespace nestrr::report {

// The data as the page reads it once inflated (columnar arrays for the events).
void write_report_json(std::ostream& out, const ReportData& data);

// The whole page.
void write_html_report(std::ostream& out, const ReportData& data);

}  // namespace nestrr::report
