#include "archive/s3/list_objects_xml.h"

#include <charconv>
#include <optional>

#include "core/timestamp.h"

namespace stockpipe::s3 {
namespace {

// The text of the first `<name>...</name>` in `xml` at or after `from`; `end` gets the position
// after the closing tag. nullopt when absent.
std::optional<std::string_view> Element(std::string_view xml, std::string_view name,
                                        std::size_t from = 0, std::size_t* end = nullptr) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  const auto start = xml.find(open, from);
  if (start == std::string_view::npos) return std::nullopt;
  const auto body = start + open.size();
  const auto stop = xml.find(close, body);
  if (stop == std::string_view::npos) return std::nullopt;
  if (end) *end = stop + close.size();
  return xml.substr(body, stop - body);
}

void AppendUtf8(std::uint32_t code, std::string& out) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

Result<ObjectInfo> ParseContents(std::string_view block) {
  ObjectInfo info;
  const auto key = Element(block, "Key");
  if (!key) return Status::Error("ListObjectsV2: a <Contents> entry has no <Key>");
  auto unescaped = XmlUnescape(*key);
  if (!unescaped) return unescaped.status();
  info.key = std::move(*unescaped);

  const auto size = Element(block, "Size");
  if (!size ||
      std::from_chars(size->data(), size->data() + size->size(), info.size).ec != std::errc()) {
    return Status::Error("ListObjectsV2: no valid <Size> for key " + info.key);
  }
  const auto modified = Element(block, "LastModified");
  const auto micros = modified ? ParseTimestampText(*modified) : std::nullopt;
  if (!micros) return Status::Error("ListObjectsV2: no valid <LastModified> for key " + info.key);
  info.modified_us = *micros;
  return info;
}

}  // namespace

Result<std::string> XmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto amp = text.find('&', i);
    out.append(text.substr(i, amp == std::string_view::npos ? amp : amp - i));
    if (amp == std::string_view::npos) break;
    const auto semi = text.find(';', amp);
    if (semi == std::string_view::npos) {
      return Status::Error("XML text has an unterminated entity: " + std::string(text));
    }
    const std::string_view entity = text.substr(amp + 1, semi - amp - 1);
    if (entity == "amp") {
      out += '&';
    } else if (entity == "lt") {
      out += '<';
    } else if (entity == "gt") {
      out += '>';
    } else if (entity == "quot") {
      out += '"';
    } else if (entity == "apos") {
      out += '\'';
    } else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      const std::string_view digits = entity.substr(hex ? 2 : 1);
      std::uint32_t code = 0;
      const auto [end, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
          code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
        return Status::Error("XML text has an invalid character reference: &" +
                             std::string(entity) + ";");
      }
      AppendUtf8(code, out);
    } else {
      return Status::Error("XML text has an unknown entity: &" + std::string(entity) + ";");
    }
    i = semi + 1;
  }
  return out;
}

Result<ListPage> ParseListObjectsV2(std::string_view xml) {
  if (xml.find("<ListBucketResult") == std::string_view::npos) {
    return Status::Error("ListObjectsV2: the answer is not a <ListBucketResult>");
  }
  ListPage page;
  std::size_t at = 0;
  std::size_t end = 0;
  while (const auto block = Element(xml, "Contents", at, &end)) {
    auto info = ParseContents(*block);
    if (!info) return info.status();
    page.objects.push_back(std::move(*info));
    at = end;
  }
  page.truncated = Element(xml, "IsTruncated").value_or("false") == "true";
  if (page.truncated) {
    const auto token = Element(xml, "NextContinuationToken");
    if (!token || token->empty()) {
      return Status::Error("ListObjectsV2: truncated answer without <NextContinuationToken>");
    }
    auto unescaped = XmlUnescape(*token);
    if (!unescaped) return unescaped.status();
    page.next_token = std::move(*unescaped);
  }
  return page;
}

}  // namespace stockpipe::s3
