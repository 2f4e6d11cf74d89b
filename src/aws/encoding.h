// The encoding only AWS protocols need: SigV4 URI encoding. The shared ones (base64 for Kinesis
// data and Content-MD5, SHA-256 hex for `x-amz-content-sha256`) are in codec/.
#pragma once
#include <string>
#include <string_view>

#include "codec/sha256.h"

namespace stockpipe::aws {

// RFC 3986 percent-encoding as SigV4 wants it: A-Z a-z 0-9 - _ . ~ stay, everything else
// becomes %XX (upper-case hex). With `keep_slash`, '/' stays too (S3 object keys in paths).
std::string UriEncode(std::string_view text, bool keep_slash = false);

}  // namespace stockpipe::aws
