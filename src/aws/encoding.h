// The small encodings AWS protocols need: SigV4 URI encoding, base64 (SHA-256 hex, for the
// `x-amz-content-sha256` header, is codec/sha256.h).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "codec/sha256.h"

namespace stockpipe::aws {

// RFC 3986 percent-encoding as SigV4 wants it: A-Z a-z 0-9 - _ . ~ stay, everything else
// becomes %XX (upper-case hex). With `keep_slash`, '/' stays too (S3 object keys in paths).
std::string UriEncode(std::string_view text, bool keep_slash = false);

std::string Base64Encode(std::string_view bytes);
// Standard alphabet with padding; nullopt on anything else.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace stockpipe::aws
