// The signed client against a real peer (kinesalite) and its pure helpers.
#include "aws/client.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "aws/encoding.h"
#include "support/env_from.h"
#include "support/peers.h"

namespace stockpipe::aws {
namespace {

using testing::EnvFrom;

TEST(UriEncode, KeepsUnreservedAndEncodesTheRestUpperCase) {
  EXPECT_EQ(UriEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(UriEncode("a b/c=d&é"), "a%20b%2Fc%3Dd%26%C3%A9");
  EXPECT_EQ(UriEncode("raw/dt=2025-08-14/x y", true), "raw/dt%3D2025-08-14/x%20y");
}

TEST(FormEncode, SortsByKeyAndEncodesBeforeSigning) {
  EXPECT_EQ(FormEncode({{"b", "2 3"}, {"a", "x/y"}, {"Action", "Publish"}}),
            "Action=Publish&a=x%2Fy&b=2%203");
}

TEST(OptionsFromEnvironment, ServiceEndpointBeatsGlobalBeatsPublic) {
  const std::map<std::string, std::string> base = {
      {"AWS_REGION", "eu-central-1"}, {"AWS_ACCESS_KEY_ID", "A"}, {"AWS_SECRET_ACCESS_KEY", "S"}};
  auto pub = OptionsFromEnvironment(kDynamoDb, EnvFrom(base));
  ASSERT_TRUE(pub) << pub.error();
  EXPECT_EQ(pub->endpoint, "https://dynamodb.eu-central-1.amazonaws.com");

  auto global = base;
  global["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566/";
  EXPECT_EQ(OptionsFromEnvironment(kDynamoDb, EnvFrom(global))->endpoint, "http://127.0.0.1:4566");

  auto specific = global;
  specific["AWS_ENDPOINT_URL_DYNAMODB"] = "http://127.0.0.1:8000";
  EXPECT_EQ(OptionsFromEnvironment(kDynamoDb, EnvFrom(specific))->endpoint,
            "http://127.0.0.1:8000");
  EXPECT_EQ(OptionsFromEnvironment(kKinesis, EnvFrom(specific))->endpoint, "http://127.0.0.1:4566");

  EXPECT_EQ(pub->ca_bundle, "");
  auto bundle = base;
  bundle["AWS_CA_BUNDLE"] = "/etc/pki/tls/certs/ca-bundle.crt";
  EXPECT_EQ(OptionsFromEnvironment(kS3, EnvFrom(bundle))->ca_bundle,
            "/etc/pki/tls/certs/ca-bundle.crt");

  auto no_region = OptionsFromEnvironment(kS3, EnvFrom({{"AWS_ACCESS_KEY_ID", "A"}}));
  ASSERT_FALSE(no_region);
  EXPECT_NE(no_region.error().find("AWS_REGION"), std::string::npos);
}

TEST(IsRetryable, ThrottlingAnd5xxYesClientErrorsNo) {
  EXPECT_TRUE(IsRetryable(500, ""));
  EXPECT_TRUE(IsRetryable(503, "<Error><Code>SlowDown</Code></Error>"));
  EXPECT_TRUE(IsRetryable(429, ""));
  EXPECT_TRUE(IsRetryable(
      400,
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"})"));
  EXPECT_TRUE(
      IsRetryable(400, "<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>"));
  EXPECT_FALSE(IsRetryable(400, R"({"__type":"ResourceNotFoundException","message":"x"})"));
  EXPECT_FALSE(IsRetryable(403, "<Error><Code>AccessDenied</Code></Error>"));
  EXPECT_FALSE(IsRetryable(200, ""));
}

class ClientOnKinesalite : public ::testing::Test {
 protected:
  ClientOnKinesalite() : peer_("kinesalite") {
    ClientOptions options;
    options.service = kKinesis;
    options.region = "us-east-1";
    options.endpoint = peer_.endpoint();
    options.credentials = aws::StaticCredentials({"AKIDEXAMPLE", "secret", "", "test"});
    client_ = std::make_unique<Client>(options);
  }
  testing::Peer peer_;
  std::unique_ptr<Client> client_;
};

TEST_F(ClientOnKinesalite, JsonCallsSucceedAndCountAttempts) {
  auto created = client_->CallJson("Kinesis_20131202", "CreateStream",
                                   R"({"StreamName":"ticks","ShardCount":2})");
  ASSERT_TRUE(created) << created.error();
  auto listed = client_->CallJson("Kinesis_20131202", "ListShards", R"({"StreamName":"ticks"})");
  ASSERT_TRUE(listed) << listed.error();
  const auto json = nlohmann::json::parse(*listed);
  EXPECT_EQ(json["Shards"].size(), 2u);
  const auto stats = client_->Stats();
  EXPECT_EQ(stats.at("ListShards").calls, 1u);
  EXPECT_EQ(stats.at("ListShards").attempts, 1u);
}

TEST_F(ClientOnKinesalite, ServiceErrorsCarryTypeMessageAndStatusWithoutRetrying) {
  auto result =
      client_->CallJson("Kinesis_20131202", "DescribeStreamSummary", R"({"StreamName":"none"})");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("DescribeStreamSummary: ResourceNotFoundException"),
            std::string::npos)
      << result.error();
  EXPECT_NE(result.error().find("HTTP 400"), std::string::npos);
  EXPECT_EQ(client_->Stats().at("DescribeStreamSummary").attempts, 1u);
}

TEST(Client, UnreachableEndpointRetriesBoundedThenReportsTheEndpoint) {
  ClientOptions options;
  options.region = "us-east-1";
  options.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  options.credentials = aws::StaticCredentials({"A", "S", "", "test"});
  options.retry = {3, 1'000, 2'000};
  Client client(options);
  auto result = client.CallJson("Kinesis_20131202", "ListStreams", "{}");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("127.0.0.1:1"), std::string::npos) << result.error();
  const auto stats = client.Stats().at("ListStreams");
  EXPECT_EQ(stats.attempts, 3u);
  EXPECT_EQ(stats.retries, 2u);
  EXPECT_EQ(stats.failures, 1u);
}

}  // namespace
}  // namespace stockpipe::aws
