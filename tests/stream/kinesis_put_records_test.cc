// PutRecords as pure functions: which entries to resend after a partial failure (on the response
// shapes Kinesis documents and kinesalite returns), how a batch is cut into calls, and the
// request body. kinesalite never refuses single entries (it emulates no per-shard write limit),
// so the retry-only-the-refused decision is proven here on real response JSON.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "codec/base64.h"
#include "stream/kinesis/put_records.h"

namespace stockpipe::kinesis {
namespace {

std::vector<PutEntry> Entries(const std::vector<std::string>& keys) {
  static std::vector<std::string> storage;  // the views need owners that outlive the test
  storage = keys;
  std::vector<PutEntry> out;
  for (std::size_t i = 0; i < storage.size(); ++i) {
    out.push_back({i, storage[i], storage[i]});
  }
  return out;
}

std::vector<std::size_t> Indexes(const std::vector<PutEntry>& entries) {
  std::vector<std::size_t> out;
  for (const PutEntry& e : entries) out.push_back(e.index);
  return out;
}

// The example of the Kinesis API reference (PutRecords, "Example 2"), one entry refused.
constexpr std::string_view kDocumentedPartialFailure = R"({
  "FailedRecordCount": 1,
  "Records": [
    {"SequenceNumber": "49543463076548007577105092703039560359975228518395012686",
     "ShardId": "shardId-000000000000"},
    {"ErrorCode": "ProvisionedThroughputExceededException",
     "ErrorMessage": "Rate exceeded for shard shardId-000000000001 in stream exampleStreamName under account 111111111111."},
    {"SequenceNumber": "49543463076570308322303623326179887152428262250726293522",
     "ShardId": "shardId-000000000000"}
  ]
})";

TEST(EntriesToResend, ResendsOnlyTheRefusedEntryOfTheDocumentedExample) {
  const auto sent = Entries({"AAPL", "MSFT", "AAPL"});
  auto outcome = EntriesToResend(kDocumentedPartialFailure, sent);
  ASSERT_TRUE(outcome) << outcome.error();
  EXPECT_EQ(Indexes(outcome->resend), std::vector<std::size_t>({1}));
  EXPECT_EQ(outcome->resend[0].partition_key, "MSFT");
  EXPECT_EQ(outcome->first_error,
            "ProvisionedThroughputExceededException: Rate exceeded for shard "
            "shardId-000000000001 in stream exampleStreamName under account 111111111111.");
}

TEST(EntriesToResend, KeepsTheRequestOrderOfSeveralRefusals) {
  const auto sent = Entries({"A", "B", "C", "D", "E"});
  const std::string body = R"({"FailedRecordCount":3,"Records":[
    {"ErrorCode":"InternalFailure","ErrorMessage":"Internal service failure."},
    {"SequenceNumber":"49654","ShardId":"shardId-000000000001"},
    {"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded"},
    {"ErrorCode":"KMSThrottlingException","ErrorMessage":"slow down"},
    {"SequenceNumber":"49655","ShardId":"shardId-000000000001"}]})";
  auto outcome = EntriesToResend(body, sent);
  ASSERT_TRUE(outcome) << outcome.error();
  EXPECT_EQ(Indexes(outcome->resend), std::vector<std::size_t>({0, 2, 3}));
  EXPECT_EQ(outcome->first_error, "InternalFailure: Internal service failure.");
}

TEST(EntriesToResend, NothingToResendOnAKinesaliteSuccess) {
  // Captured from kinesalite 3.3.3 (PutRecords of two entries on a two-shard stream).
  const std::string body =
      R"({"FailedRecordCount":0,"Records":[)"
      R"({"SequenceNumber":"49655281498164355441906373651046318592538384133468987394","ShardId":"shardId-000000000001"},)"
      R"({"SequenceNumber":"49655281498141054621906373651044030010338210447658975234","ShardId":"shardId-000000000000"}]})";
  auto outcome = EntriesToResend(body, Entries({"AAPL", "MSFT"}));
  ASSERT_TRUE(outcome) << outcome.error();
  EXPECT_TRUE(outcome->resend.empty());
  EXPECT_TRUE(outcome->first_error.empty());
}

TEST(EntriesToResend, TheEntriesDecideNotFailedRecordCount) {
  // A count that disagrees with the entries must not make us drop or duplicate one.
  const std::string body = R"({"FailedRecordCount":0,"Records":[
    {"SequenceNumber":"1","ShardId":"shardId-000000000000"},
    {"ErrorCode":"InternalFailure","ErrorMessage":"x"},
    {}]})";
  auto outcome = EntriesToResend(body, Entries({"A", "B", "C"}));
  ASSERT_TRUE(outcome) << outcome.error();
  EXPECT_EQ(Indexes(outcome->resend), std::vector<std::size_t>({1, 2}));
}

TEST(EntriesToResend, AnAnswerThatCannotBeMatchedIsAnError) {
  const auto sent = Entries({"A", "B"});
  auto short_answer = EntriesToResend(
      R"({"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"s"}]})", sent);
  ASSERT_FALSE(short_answer);
  EXPECT_NE(short_answer.error().find("1 entries but 2 were sent"), std::string::npos)
      << short_answer.error();
  EXPECT_FALSE(EntriesToResend("<html>busy</html>", sent));
  EXPECT_FALSE(EntriesToResend(R"({"FailedRecordCount":0})", sent));
}

TEST(PlanPutCalls, CutsAt500Entries) {
  std::vector<PutEntry> entries(1201, PutEntry{0, "AAPL", "{}"});
  EXPECT_EQ(PlanPutCalls(entries), std::vector<std::size_t>({500, 1000, 1201}));
  EXPECT_TRUE(PlanPutCalls({}).empty());
}

TEST(PlanPutCalls, CutsAtFiveMebibytesCountingKeysAndData) {
  const std::string key = "AAPL";
  const std::string data(kMaxRecordBytes - key.size(), 'x');  // exactly 1 MiB with its key
  std::vector<PutEntry> entries(11, PutEntry{0, key, data});
  // Five such entries are exactly 5 MiB: allowed; a sixth starts a new call.
  EXPECT_EQ(PlanPutCalls(entries), std::vector<std::size_t>({5, 10, 11}));
  const std::string one_more(data.size() + 1, 'x');
  entries[4].data = one_more;  // any five including entry 4 are 5 MiB + 1 byte
  EXPECT_EQ(PlanPutCalls(entries), std::vector<std::size_t>({4, 8, 11}));
}

TEST(PlanPutCalls, EveryCallIsWithinLimitsAndAsFullAsItCanBe) {
  std::mt19937 random(7);
  std::uniform_int_distribution<std::size_t> size(1, kMaxRecordBytes - 4);
  std::vector<std::string> data;
  for (int i = 0; i < 300; ++i) data.emplace_back(i % 10 == 0 ? size(random) : 50 + i, 'd');
  std::vector<PutEntry> entries;
  for (std::size_t i = 0; i < data.size(); ++i) entries.push_back({i, "ABCD", data[i]});
  entries.insert(entries.end(), 700, PutEntry{0, "K", "tiny"});
  std::size_t begin = 0;
  for (const std::size_t end : PlanPutCalls(entries)) {
    ASSERT_LT(begin, end);
    std::size_t bytes = 0;
    for (std::size_t i = begin; i < end; ++i) bytes += entries[i].bytes();
    EXPECT_LE(end - begin, kMaxPutRecords);
    EXPECT_LE(bytes, kMaxPutBytes);
    if (end < entries.size()) {  // the next entry really did not fit
      EXPECT_TRUE(end - begin == kMaxPutRecords || bytes + entries[end].bytes() > kMaxPutBytes);
    }
    begin = end;
  }
  EXPECT_EQ(begin, entries.size());
}

TEST(KinesisPartitionKey, EmptyBecomesADashAndLongOnesAreCutOnACharacterBoundary) {
  EXPECT_EQ(KinesisPartitionKey(""), "-");
  EXPECT_EQ(KinesisPartitionKey("AAPL"), "AAPL");
  EXPECT_EQ(KinesisPartitionKey(std::string(300, 'A')), std::string(256, 'A'));
  const std::string accented = std::string(255, 'A') + "\xC3\xA9";  // é spans bytes 255..256
  EXPECT_EQ(KinesisPartitionKey(accented), std::string(255, 'A'));
}

TEST(PutRecordsBody, CarriesKeysAndBase64DataInOrder) {
  const std::string binary("a\0\xff\n", 4);
  const std::vector<PutEntry> entries = {{0, "AAPL", "{\"p\":1}"}, {1, "MSFT", binary}};
  const auto body = nlohmann::json::parse(PutRecordsBody("ticks", entries));
  EXPECT_EQ(body["StreamName"], "ticks");
  ASSERT_EQ(body["Records"].size(), 2u);
  EXPECT_EQ(body["Records"][0]["PartitionKey"], "AAPL");
  const auto first = Base64Decode(body["Records"][0]["Data"].get<std::string>());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, "{\"p\":1}");
  EXPECT_EQ(body["Records"][1]["PartitionKey"], "MSFT");
  const auto second = Base64Decode(body["Records"][1]["Data"].get<std::string>());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, binary);
}

}  // namespace
}  // namespace stockpipe::kinesis
