// Reading XML text through expat: entities and character references unescaped (one level), the
// tree's lookups, and input that must be refused (malformed, DTDs, unknown entities).
#include "codec/xml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace stockpipe {
namespace {

using ::testing::HasSubstr;

TEST(XmlUnescape, PredefinedEntitiesAndCharacterReferences) {
  EXPECT_EQ(*XmlUnescape("a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;"), "a & b <c> \"d\" 'e'");
  EXPECT_EQ(*XmlUnescape("&#38;&#x26;&#X41;&#233;&#x1F600;"), "&&A\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(*XmlUnescape("plain/key.jsonl.gz"), "plain/key.jsonl.gz");
  EXPECT_EQ(*XmlUnescape(""), "");
  // `&amp;lt;` is the text "&lt;", not "<": one level of unescaping only.
  EXPECT_EQ(*XmlUnescape("&amp;lt;"), "&lt;");
}

TEST(XmlUnescape, MalformedReferencesAreErrors) {
  for (const char* bad :
       {"a & b", "&nbsp;", "&#;", "&#x;", "&#12a;", "&#0;", "&#xD800;", "&#x110000;", "&amp"}) {
    EXPECT_FALSE(XmlUnescape(bad).ok()) << bad;
  }
}

TEST(XmlUnescape, RefusesMarkupInText) {
  EXPECT_THAT(XmlUnescape("a<b/>c").error(), HasSubstr("'<'"));
}

TEST(ParseXml, TextOfElementsIsUnescapedAndChildrenKeepDocumentOrder) {
  auto root = ParseXml(R"(<?xml version="1.0" encoding="UTF-8"?>
<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <Error><Type>Sender</Type><Code>InvalidParameter</Code>
    <Message>Invalid parameter: Subject &lt;&quot;a&amp;b&quot;&gt; &#8364;&#x1F600; &apos;x&apos;</Message>
  </Error>
  <Item>1</Item><Other/><Item>2</Item><Item><![CDATA[<raw & kept>]]></Item>
</ErrorResponse>)");
  ASSERT_TRUE(root.ok()) << root.error();
  EXPECT_EQ(root->name, "ErrorResponse");
  const XmlElement* error = root->Child("Error");
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->Child("Code")->text, "InvalidParameter");
  EXPECT_EQ(root->Child("Code"), nullptr) << "Child looks one level down only";
  EXPECT_EQ(root->Find("Message")->text,
            "Invalid parameter: Subject <\"a&b\"> \xE2\x82\xAC\xF0\x9F\x98\x80 'x'");
  const auto items = root->Children("Item");
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0]->text, "1");
  EXPECT_EQ(items[1]->text, "2");
  EXPECT_EQ(items[2]->text, "<raw & kept>");
  EXPECT_EQ(root->Find("Missing"), nullptr);
}

TEST(ParseXml, MalformedInputIsAnErrorWithItsPosition) {
  for (const char* bad : {"", "plain text", "<a>", "<a></b>", "<a>x &unknown; y</a>", "<a>&#0;</a>",
                          "<a/><b/>", "<a>\xFF</a>"}) {
    auto root = ParseXml(bad);
    ASSERT_FALSE(root.ok()) << bad;
    EXPECT_THAT(root.error(), HasSubstr("not well-formed XML")) << bad;
  }
  EXPECT_THAT(ParseXml("<a>\n<b>&bogus;</b></a>").error(), HasSubstr("line 2"));
}

TEST(ParseXml, RefusesADocumentTypeDeclaration) {
  // The "billion laughs" shape: entity definitions in an internal subset.
  const auto root = ParseXml(
      "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
      "<r>&b;</r>");
  ASSERT_FALSE(root.ok());
  EXPECT_THAT(root.error(), HasSubstr("DOCTYPE"));
}

TEST(ParseXml, RefusesNestingBeyondTheLimit) {
  std::string deep;
  for (int i = 0; i < 300; ++i) deep += "<e>";
  for (int i = 0; i < 300; ++i) deep += "</e>";
  EXPECT_THAT(ParseXml(deep).error(), HasSubstr("deeper than 256"));
  std::string fine;
  for (int i = 0; i < 200; ++i) fine += "<e>";
  for (int i = 0; i < 200; ++i) fine += "</e>";
  EXPECT_TRUE(ParseXml(fine).ok());
}

TEST(XmlText, FirstElementAnywhereOrNothing) {
  EXPECT_EQ(
      XmlText("<Error><Code>AccessDenied</Code><Message>a &amp; b</Message></Error>", "Message"),
      "a & b");
  EXPECT_EQ(XmlText("<R><A><Code>inner</Code></A><Code>outer</Code></R>", "Code"), "inner");
  EXPECT_EQ(XmlText("<Error><Code>x</Code></Error>", "Message"), std::nullopt);
  EXPECT_EQ(XmlText("<html><body>Bad Gateway", "Code"), std::nullopt);
}

}  // namespace
}  // namespace stockpipe
