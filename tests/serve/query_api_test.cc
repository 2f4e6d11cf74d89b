// /api/query's answer is bounded in bytes as well as rows (issue 19): the row that would pass
// either cap stops the statement, `truncated` is true and `note` names the cap.
#include "serve/query_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/subprocess.h"

namespace stockpipe::serve {
namespace {

using nlohmann::json;

constexpr const char* kRows =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 5000) "
    "SELECT printf('%100d', i) AS v FROM n";

TEST(QueryApiTest, AnAnswerStopsAtItsByteCapNamingIt) {
  testing::TempDir dir;
  QueryLimits limits{.data_dir = dir.path().string(), .max_rows = 10'000, .max_bytes = 64 << 10};
  auto answer = RunQueryApi(limits, kRows, 10'000);
  ASSERT_TRUE(std::holds_alternative<std::string>(answer)) << std::get<ApiError>(answer).message;
  const std::string& text = std::get<std::string>(answer);
  const json doc = json::parse(text);
  EXPECT_TRUE(doc["truncated"].get<bool>());
  const auto rows = doc["rows"].size();
  EXPECT_EQ(doc["row_count"].get<std::size_t>(), rows);
  // ~100 bytes a row: the cap admits about 650 of the 5,000.
  EXPECT_GT(rows, 500u);
  EXPECT_LT(rows, 700u);
  EXPECT_LE(text.size(), (64u << 10) + 1024u);
  EXPECT_NE(doc["note"].get<std::string>().find("64 KiB"), std::string::npos) << doc["note"];
}

TEST(QueryApiTest, AnAnswerUnderBothCapsIsWhole) {
  testing::TempDir dir;
  QueryLimits limits{.data_dir = dir.path().string(), .max_rows = 10'000, .max_bytes = 8 << 20};
  auto answer = RunQueryApi(limits, kRows, 10'000);
  ASSERT_TRUE(std::holds_alternative<std::string>(answer)) << std::get<ApiError>(answer).message;
  const std::string& text = std::get<std::string>(answer);
  const json doc = json::parse(text);
  EXPECT_FALSE(doc["truncated"].get<bool>());
  EXPECT_EQ(doc["rows"].size(), 5000u);
  EXPECT_FALSE(doc.contains("note"));
}

}  // namespace
}  // namespace stockpipe::serve
