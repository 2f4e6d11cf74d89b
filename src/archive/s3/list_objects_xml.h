// Reading S3's ListObjectsV2 answer: just the elements the archive needs, read with the shared XML
// reader (codec/xml.h), so keys come back entity-unescaped and a malformed answer is an error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/raw_archive.h"
#include "core/result.h"

namespace stockpipe::s3 {

struct ListPage {
  std::vector<ObjectInfo> objects;  // in the order of the answer
  bool truncated = false;
  std::string next_token;  // set when truncated
};

// Errors name what is missing or malformed, so a peer's odd answer is diagnosable.
Result<ListPage> ParseListObjectsV2(std::string_view xml);

}  // namespace stockpipe::s3
