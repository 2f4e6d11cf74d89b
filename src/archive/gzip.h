// gzip in one call each way (RFC 1952 framing, so `zcat` and Athena read the objects).
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace stockpipe {

// Level 1 by default: RAW objects are written once and read rarely; speed beats ratio here.
Result<std::string> GzipCompress(std::string_view data, int level = 1);
// Accepts concatenated gzip members, as `zcat` does.
Result<std::string> GzipDecompress(std::string_view data);

}  // namespace stockpipe
