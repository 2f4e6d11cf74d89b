// Reading ListObjectsV2 answers: entries, pagination fields, entity unescaping (of keys, through
// codec/xml.h), and answers that must be refused rather than half-read. The XML is S3's documented
// shape.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "archive/s3/list_objects_xml.h"
#include "core/timestamp.h"

namespace stockpipe::s3 {
namespace {

using ::testing::HasSubstr;

TEST(ParseListObjectsV2, ReadsEntriesInAnswerOrderAndTheContinuationToken) {
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>raw/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <Contents><Key>raw/a&amp;b &lt;1&gt;.jsonl.gz</Key><LastModified>2025-08-14T14:38:12.345Z</LastModified>
    <ETag>&quot;abc&quot;</ETag><Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key>raw/b</Key><LastModified>2025-08-15T00:00:00.000Z</LastModified>
    <Size>0</Size></Contents>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
</ListBucketResult>)";
  auto page = ParseListObjectsV2(xml);
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "raw/a&b <1>.jsonl.gz");
  EXPECT_EQ(page->objects[0].size, 1234u);
  EXPECT_EQ(page->objects[0].modified_us, *ParseTimestampText("2025-08-14T14:38:12.345Z"));
  EXPECT_EQ(page->objects[1].key, "raw/b");
  EXPECT_EQ(page->objects[1].size, 0u);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(ParseListObjectsV2, AnEmptyLastPageHasNoEntriesAndNoToken) {
  auto page = ParseListObjectsV2(
      "<ListBucketResult><Name>b</Name><Prefix>none/</Prefix><KeyCount>0</KeyCount>"
      "<IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(page.ok()) << page.error();
  EXPECT_TRUE(page->objects.empty());
  EXPECT_FALSE(page->truncated);
  EXPECT_TRUE(page->next_token.empty());
}

TEST(ParseListObjectsV2, RefusesAnswersItCannotReadWhole) {
  EXPECT_THAT(ParseListObjectsV2("<Error><Code>AccessDenied</Code></Error>").error(),
              HasSubstr("ListBucketResult"));
  EXPECT_THAT(ParseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated>"
                                 "</ListBucketResult>")
                  .error(),
              HasSubstr("NextContinuationToken"));
  EXPECT_THAT(ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key><Size>x</Size>"
                                 "<LastModified>2025-08-14T00:00:00Z</LastModified></Contents>"
                                 "</ListBucketResult>")
                  .error(),
              HasSubstr("<Size> for key k"));
  EXPECT_THAT(ParseListObjectsV2("<ListBucketResult><Contents><Key>k</Key><Size>1</Size>"
                                 "<LastModified>yesterday</LastModified></Contents>"
                                 "</ListBucketResult>")
                  .error(),
              HasSubstr("<LastModified> for key k"));
  EXPECT_FALSE(ParseListObjectsV2("<ListBucketResult><Contents><Key>a & b</Key><Size>1</Size>"
                                  "<LastModified>2025-08-14T00:00:00Z</LastModified></Contents>"
                                  "</ListBucketResult>")
                   .ok());
}

}  // namespace
}  // namespace stockpipe::s3
