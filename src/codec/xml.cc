#include "codec/xml.h"

#include <expat.h>
#include <fmt/format.h>

#include <climits>
#include <memory>
#include <type_traits>

namespace stockpipe {
namespace {

constexpr std::size_t kMaxDepth = 256;

struct Builder {
  XML_Parser parser;
  std::optional<XmlElement> root;
  // The open elements, outermost first. A parent's `children` only grows after its open child
  // has closed, so these pointers stay valid while they are on the stack.
  std::vector<XmlElement*> open;
  std::string refusal;  // set when a handler stopped the parser
};

void Refuse(Builder& b, std::string why) {
  b.refusal = std::move(why);
  XML_StopParser(b.parser, XML_FALSE);
}

void XMLCALL OnStart(void* data, const XML_Char* name, const XML_Char** /*attributes*/) {
  auto& b = *static_cast<Builder*>(data);
  if (b.open.size() >= kMaxDepth) {
    Refuse(b, fmt::format("elements nested deeper than {} levels", kMaxDepth));
    return;
  }
  XmlElement* element = nullptr;
  if (b.open.empty()) {
    b.root.emplace();
    element = &*b.root;
  } else {
    element = &b.open.back()->children.emplace_back();
  }
  element->name = name;
  b.open.push_back(element);
}

void XMLCALL OnEnd(void* data, const XML_Char* /*name*/) {
  static_cast<Builder*>(data)->open.pop_back();
}

void XMLCALL OnText(void* data, const XML_Char* text, int length) {
  auto& b = *static_cast<Builder*>(data);
  if (!b.open.empty()) b.open.back()->text.append(text, static_cast<std::size_t>(length));
}

void XMLCALL OnDoctype(void* data, const XML_Char* /*name*/, const XML_Char* /*sysid*/,
                       const XML_Char* /*pubid*/, int /*has_internal_subset*/) {
  Refuse(*static_cast<Builder*>(data), "a document type declaration (DOCTYPE) is not accepted");
}

}  // namespace

const XmlElement* XmlElement::Child(std::string_view child) const {
  for (const XmlElement& c : children) {
    if (c.name == child) return &c;
  }
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::Children(std::string_view child) const {
  std::vector<const XmlElement*> out;
  for (const XmlElement& c : children) {
    if (c.name == child) out.push_back(&c);
  }
  return out;
}

const XmlElement* XmlElement::Find(std::string_view wanted) const {
  if (name == wanted) return this;
  for (const XmlElement& c : children) {
    if (const XmlElement* found = c.Find(wanted)) return found;
  }
  return nullptr;
}

Result<XmlElement> ParseXml(std::string_view xml) {
  if (xml.size() > static_cast<std::size_t>(INT_MAX)) {
    return Status::Error(fmt::format("XML of {} bytes is too large to read", xml.size()));
  }
  const std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(
      XML_ParserCreate("UTF-8"), &XML_ParserFree);
  if (!parser) return Status::Error("XML: out of memory creating the parser");
  Builder b{parser.get(), std::nullopt, {}, {}};
  XML_SetUserData(parser.get(), &b);
  XML_SetElementHandler(parser.get(), OnStart, OnEnd);
  XML_SetCharacterDataHandler(parser.get(), OnText);
  XML_SetStartDoctypeDeclHandler(parser.get(), OnDoctype);
  if (XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE) !=
      XML_STATUS_OK) {
    const std::string why =
        b.refusal.empty() ? XML_ErrorString(XML_GetErrorCode(parser.get())) : b.refusal;
    return Status::Error(fmt::format("not well-formed XML: {} (line {}, column {})", why,
                                     XML_GetCurrentLineNumber(parser.get()),
                                     XML_GetCurrentColumnNumber(parser.get()) + 1));
  }
  if (!b.root) return Status::Error("not well-formed XML: no root element");
  return std::move(*b.root);
}

std::optional<std::string> XmlText(std::string_view xml, std::string_view name) {
  auto root = ParseXml(xml);
  if (!root) return std::nullopt;
  const XmlElement* element = root->Find(name);
  if (!element) return std::nullopt;
  return element->text;
}

Result<std::string> XmlUnescape(std::string_view text) {
  if (text.find('<') != std::string_view::npos) {
    return Status::Error(fmt::format("XML text may not hold a raw '<': {}", text));
  }
  // The text as the content of one element: expat replaces exactly what XML defines.
  // XML spells hex references `&#x`; `&#X` is read too, as the S3 key reader always did.
  std::string document = "<t>";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool upper_hex = text[i] == 'X' && i >= 2 && text[i - 1] == '#' && text[i - 2] == '&';
    document += upper_hex ? 'x' : text[i];
  }
  document += "</t>";
  auto root = ParseXml(document);
  if (!root) {
    return Status::Error(fmt::format("XML text '{}' is {}", text, root.error()));
  }
  return std::move(root->text);
}

}  // namespace stockpipe
