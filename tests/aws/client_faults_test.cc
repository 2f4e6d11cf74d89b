// Retries of the signed client, driven by a fault-injecting proxy in front of real kinesalite.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/client.h"
#include "support/fault_proxy.h"
#include "support/peers.h"

namespace stockpipe::aws {
namespace {

using testing::Fault;

class ClientFaults : public ::testing::Test {
 protected:
  ClientFaults() : peer_("kinesalite"), proxy_(peer_.port()) {}

  std::unique_ptr<Client> ClientVia(int max_attempts) {
    ClientOptions options;
    options.service = kKinesis;
    options.region = "us-east-1";
    options.endpoint = proxy_.endpoint();
    options.credentials = aws::StaticCredentials({"AKIDEXAMPLE", "secret", "", "test"});
    options.retry = {max_attempts, 1'000, 4'000};
    return std::make_unique<Client>(options);
  }

  testing::Peer peer_;
  testing::FaultProxy proxy_;
};

TEST_F(ClientFaults, ThrottlingErrorsAndCutConnectionsAreRetriedUntilTheCallSucceeds) {
  auto client = ClientVia(8);
  // The cut comes first, on a new connection: libcurl silently re-sends a request only when a
  // reused keep-alive connection turns out dead, so this one is ours to retry.
  proxy_.Plan({Fault::CutBeforeForward(), Fault::Throttle(), Fault::ServerError(),
               Fault::Unavailable(), Fault::Respond(429, "")});
  auto created =
      client->CallJson("Kinesis_20131202", "CreateStream", R"({"StreamName":"s","ShardCount":1})");
  ASSERT_TRUE(created) << created.error();
  EXPECT_EQ(proxy_.faults(), 5);
  EXPECT_EQ(proxy_.requests(), 6);
  const auto stats = client->Stats().at("CreateStream");
  EXPECT_EQ(stats.attempts, 6u);
  EXPECT_EQ(stats.retries, 5u);
  EXPECT_EQ(stats.failures, 0u);
  // The stream exists exactly once: the faults hit before kinesalite saw the request.
  auto listed = client->CallJson("Kinesis_20131202", "ListStreams", "{}");
  ASSERT_TRUE(listed) << listed.error();
  EXPECT_EQ(nlohmann::json::parse(*listed)["StreamNames"].size(), 1u);
}

TEST_F(ClientFaults, AnswerLostAfterTheServiceActedIsRetriedAndTheReadSucceeds) {
  auto client = ClientVia(4);
  ASSERT_TRUE(
      client->CallJson("Kinesis_20131202", "CreateStream", R"({"StreamName":"s","ShardCount":3})"));
  proxy_.Plan({Fault::CutAfterForward()});
  auto shards = client->CallJson("Kinesis_20131202", "ListShards", R"({"StreamName":"s"})");
  ASSERT_TRUE(shards) << shards.error();
  EXPECT_EQ(nlohmann::json::parse(*shards)["Shards"].size(), 3u);
  // CreateStream, the ListShards whose answer was lost, and its re-send (by libcurl or by us).
  EXPECT_EQ(proxy_.requests(), 3);
  EXPECT_EQ(proxy_.faults(), 1);
}

TEST_F(ClientFaults, RetriesAreBoundedAndTheLastAnswerIsReported) {
  auto client = ClientVia(4);
  proxy_.Plan(std::vector<Fault>(10, Fault::Unavailable()));
  auto result = client->CallJson("Kinesis_20131202", "ListStreams", "{}");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("HTTP 503"), std::string::npos) << result.error();
  EXPECT_EQ(proxy_.requests(), 4);
  const auto stats = client->Stats().at("ListStreams");
  EXPECT_EQ(stats.attempts, 4u);
  EXPECT_EQ(stats.failures, 1u);
}

TEST_F(ClientFaults, ClientErrorsAreNotRetried) {
  auto client = ClientVia(8);
  proxy_.Plan({Fault::Respond(400, R"({"__type":"ValidationException","message":"bad"})")});
  auto result = client->CallJson("Kinesis_20131202", "ListStreams", "{}");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("ValidationException: bad"), std::string::npos) << result.error();
  EXPECT_EQ(proxy_.requests(), 1);
}

}  // namespace
}  // namespace stockpipe::aws
