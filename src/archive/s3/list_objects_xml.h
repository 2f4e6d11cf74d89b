// Reading S3's ListObjectsV2 answer: just the elements the archive needs, parsed without an XML
// library. S3's answer is flat and attribute-free below the root, and text never contains a raw
// `<` (it is escaped), so finding elements by tag is exact; keys are entity-unescaped.
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

// Replaces XML's predefined entities and character references (`&amp;`, `&#38;`, `&#x26;`).
Result<std::string> XmlUnescape(std::string_view text);

}  // namespace stockpipe::s3
