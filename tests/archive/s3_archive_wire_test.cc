// What the S3 archive puts on the wire, where s3rver cannot show it (it ignores Content-MD5):
// a small cpp-httplib server records the request. Behaviour against S3 itself is in
// s3_archive_test.cc (s3rver).
#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <thread>

#include "archive/s3/s3_archive.h"

namespace stockpipe {
namespace {

class S3WireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Put(".*", [this](const httplib::Request& request, httplib::Response&) {
      std::lock_guard lock(mutex_);
      seen_.push_back(request);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  S3ArchiveOptions Options(std::string host, bool path_style) {
    S3ArchiveOptions options;
    options.client.service = aws::kS3;
    options.client.region = "eu-central-1";
    options.client.endpoint = "http://" + host + ":" + std::to_string(port_);
    options.client.credentials = aws::StaticCredentials({"AKID", "SECRET", "", "test"});
    options.bucket = "stockpipe-raw";
    options.path_style = path_style;
    return options;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::vector<httplib::Request> seen_;
};

TEST_F(S3WireTest, PutSendsContentMd5TheRealPayloadHashAndTheGzipType) {
  S3Archive archive(Options("127.0.0.1", true));
  ASSERT_TRUE(
      archive.Put("raw/dt=2025-08-14/a b.jsonl.gz", "The quick brown fox jumps over the lazy dog")
          .ok());
  ASSERT_EQ(seen_.size(), 1u);
  const httplib::Request& r = seen_.front();
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.target, "/stockpipe-raw/raw/dt%3D2025-08-14/a%20b.jsonl.gz");
  // RFC 1321's test vector, base64 of the binary digest as S3 wants it (not hex).
  EXPECT_EQ(r.get_header_value("Content-MD5"), "nhB9nTcrtoJr2B01QqQZ1g==");
  EXPECT_EQ(r.get_header_value("x-amz-content-sha256"),
            "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
  EXPECT_EQ(r.get_header_value("Content-Type"), "application/gzip");
  // Signed, so nothing on the way can swap the digest along with the body.
  EXPECT_NE(r.get_header_value("Authorization").find("content-md5"), std::string::npos)
      << r.get_header_value("Authorization");
}

TEST_F(S3WireTest, VirtualHostedStylePutsTheBucketInTheHost) {
  // curl resolves `*.localhost` to loopback, so the bucket can be a host label here.
  S3Archive archive(Options("localhost", false));
  ASSERT_TRUE(archive.Put("raw/k.jsonl.gz", "x").ok());
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_.front().get_header_value("Host"),
            "stockpipe-raw.localhost:" + std::to_string(port_));
  EXPECT_EQ(seen_.front().target, "/raw/k.jsonl.gz");
}

}  // namespace
}  // namespace stockpipe
