// The page carries its data gzip-compressed and base64-encoded: a 1M-event
// report is about a fifth of the bytes to read, and the browser inflates it
// with its own DecompressionStream (nothing fetched).
#pragma once

#include <string>
#include <string_view>

namespace nestrr::report::detail {

// gzip (zlib, RFC 1952) of `data`. Throws std::runtime_error if zlib fails.
std::string gzip(std::string_view data);
// Standard base64 with padding (RFC 4648).
std::string base64(std::string_view bytes);

}  // namespace nestrr::report::detail
