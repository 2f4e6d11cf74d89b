// Reading the text of XML answers (S3, and the Query protocol of SNS/SQS), through libexpat.
//
// AWS answers are small, attribute-light documents whose text is what a caller wants: a key, a
// size, an error code. `ParseXml` turns one into a tree of elements holding their text with
// every entity replaced (`&amp;` `&lt;` `&gt;` `&quot;` `&apos;` and `&#...;` references), so a
// key like `a&b` reads back as written. Anything that is not well-formed XML is an error with
// expat's reason and position; a document type declaration is refused (AWS never sends one, and
// it is where entity-expansion attacks live). Attributes and namespaces are not kept: elements
// are named as written (`ListBucketResult`, whatever its xmlns).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace stockpipe {

struct XmlElement {
  std::string name;
  std::string text;  // the character data directly inside it, unescaped, in document order
  std::vector<XmlElement> children;

  // The first child named `name`, or null.
  const XmlElement* Child(std::string_view name) const;
  // Every child named `name`, in document order.
  std::vector<const XmlElement*> Children(std::string_view name) const;
  // The first element named `name` in this subtree (this one included, depth first), or null.
  const XmlElement* Find(std::string_view name) const;
};

// The root element of `xml`. Deeper than 256 levels is refused.
Result<XmlElement> ParseXml(std::string_view xml);

// The text of the first element named `name` in `xml`; nullopt when there is none or `xml` is not
// well-formed (an error answer that is not XML has no code to read).
std::optional<std::string> XmlText(std::string_view xml, std::string_view name);

// The text XML `text` stands for (entities and character references replaced; `&#X..;` is read
// like `&#x..;`). Markup (`<`), a bare `&`, an unknown entity or a reference to a character XML
// does not allow is an error.
Result<std::string> XmlUnescape(std::string_view text);

}  // namespace stockpipe
