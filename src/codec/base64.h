// Base64 (RFC 4648, standard alphabet, with padding): Kinesis record data, the exact bytes of a
// quarantined record that is not UTF-8, MIME bodies and encoded-words, S3's Content-MD5.
//
// Encoding never fails. Decoding is strict: anything but whole, padded 4-character quanta of the
// standard alphabet (no whitespace, no URL-safe alphabet) is an error saying what is wrong, so a
// caller can quarantine the input with that reason instead of guessing at its bytes.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace stockpipe {

std::string Base64Encode(std::string_view bytes);

// Appends the encoding of `bytes` to `out` (no separator), for writers that build one buffer.
void AppendBase64(std::string_view bytes, std::string& out);

Result<std::string> Base64Decode(std::string_view text);

}  // namespace stockpipe
