#include "archive/s3/list_objects_xml.h"

#include <charconv>
#include <optional>

#include "codec/xml.h"
#include "core/timestamp.h"

namespace stockpipe::s3 {
namespace {

Result<ObjectInfo> ParseContents(const XmlElement& contents) {
  ObjectInfo info;
  const XmlElement* key = contents.Child("Key");
  if (!key) return Status::Error("ListObjectsV2: a <Contents> entry has no <Key>");
  info.key = key->text;

  const XmlElement* size = contents.Child("Size");
  if (!size ||
      std::from_chars(size->text.data(), size->text.data() + size->text.size(), info.size).ec !=
          std::errc()) {
    return Status::Error("ListObjectsV2: no valid <Size> for key " + info.key);
  }
  const XmlElement* modified = contents.Child("LastModified");
  const auto micros = modified ? ParseTimestampText(modified->text) : std::nullopt;
  if (!micros) return Status::Error("ListObjectsV2: no valid <LastModified> for key " + info.key);
  info.modified_us = *micros;
  return info;
}

}  // namespace

Result<ListPage> ParseListObjectsV2(std::string_view xml) {
  auto root = ParseXml(xml);
  if (!root) return Status::Error("ListObjectsV2: " + root.error());
  if (root->name != "ListBucketResult") {
    return Status::Error("ListObjectsV2: the answer is not a <ListBucketResult> but a <" +
                         root->name + ">");
  }
  ListPage page;
  for (const XmlElement* contents : root->Children("Contents")) {
    auto info = ParseContents(*contents);
    if (!info) return info.status();
    page.objects.push_back(std::move(*info));
  }
  const XmlElement* truncated = root->Child("IsTruncated");
  page.truncated = truncated && truncated->text == "true";
  if (page.truncated) {
    const XmlElement* token = root->Child("NextContinuationToken");
    if (!token || token->text.empty()) {
      return Status::Error("ListObjectsV2: truncated answer without <NextContinuationToken>");
    }
    page.next_token = token->text;
  }
  return page;
}

}  // namespace stockpipe::s3
