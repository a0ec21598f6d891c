// Linked into the fuzz targets that decode protobuf: silences protobuf's
// own log lines (invalid UTF-8 in a string field and the like). The
// fuzzer produces such payloads every few executions; printing each one
// is most of a run's time and buries the fuzzer's own output, and the
// readers already handle and count the packets protobuf rejects.
#include <google/protobuf/stubs/logging.h>

namespace {

const bool quiet = [] {
  google::protobuf::SetLogHandler(nullptr);
  return true;
}();

}  // namespace
