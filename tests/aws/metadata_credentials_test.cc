// Container and EC2 instance metadata credentials. No real ECS agent, EKS Pod Identity agent or
// IMDS runs here: in-test servers on 127.0.0.1 speak their documented protocols (the container
// endpoint's GET with an Authorization header; IMDSv2's token PUT then GETs carrying the token,
// a request without it refused with 401 as IMDSv2 does).
#include "aws/metadata_credentials.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>

#include "support/env_from.h"
#include "support/loopback_http.h"
#include "support/temp_dir.h"

namespace stockpipe::aws {
namespace {

using testing::EnvFrom;

using testing::LoopbackHttp;
using testing::TempDir;
using testing::WriteFile;

constexpr const char* kCredentialsJson =
    R"({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAMETA",
        "SecretAccessKey": "meta-secret", "Token": "meta-token",
        "Expiration": "2031-01-01T00:00:00Z"})";

class Imds : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Put(
        "/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
          std::lock_guard lock(mutex_);
          log_.push_back("PUT token ttl=" +
                         req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds"));
          res.set_content("imds-session-token", "text/plain");
        });
    // Serves *body as it is at request time (a test changes answer_ between requests).
    const auto guarded = [this](const std::string* body) {
      return [this, body](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mutex_);
        log_.push_back("GET " + req.path);
        if (req.get_header_value("X-aws-ec2-metadata-token") != "imds-session-token") {
          res.status = 401;
          return;
        }
        res.set_content(*body, "text/plain");
      };
    };
    server_.server().Get("/latest/meta-data/iam/security-credentials/", guarded(&role_));
    server_.server().Get("/latest/meta-data/iam/security-credentials/stockpipe-role",
                         guarded(&answer_));
    server_.Start();
  }

  std::mutex mutex_;
  std::vector<std::string> log_;
  std::string role_ = "stockpipe-role\n";
  std::string answer_ = kCredentialsJson;
  LoopbackHttp server_;
};

TEST_F(Imds, TokenFirstThenRoleThenItsCredentials) {
  ImdsProvider provider(EnvFrom({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url("/")}}));
  auto got = provider.Fetch();
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(got->access_key_id, "ASIAMETA");
  EXPECT_EQ(got->session_token, "meta-token");
  ASSERT_TRUE(got->expiration);
  std::lock_guard lock(mutex_);
  EXPECT_EQ(log_, (std::vector<std::string>{
                      "PUT token ttl=21600", "GET /latest/meta-data/iam/security-credentials/",
                      "GET /latest/meta-data/iam/security-credentials/stockpipe-role"}));
}

TEST_F(Imds, DisabledMeansNoRequestAtAll) {
  ImdsProvider provider(EnvFrom({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url()},
                                 {"AWS_EC2_METADATA_DISABLED", "true"}}));
  auto got = provider.Fetch();
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().find("AWS_EC2_METADATA_DISABLED"), std::string::npos);
  std::lock_guard lock(mutex_);
  EXPECT_TRUE(log_.empty());
}

TEST_F(Imds, MalformedAnswersAreErrors) {
  for (const std::string& bad :
       {std::string("{not json"), std::string(R"({"Code": "Success", "AccessKeyId": "A"})"),
        std::string(R"({"Code": "AssumeRoleUnauthorizedAccess"})"),
        std::string(R"({"AccessKeyId": "A", "SecretAccessKey": "S",
                                               "Expiration": "never"})")}) {
    {
      std::lock_guard lock(mutex_);
      answer_ = bad;
    }
    auto got =
        ImdsProvider(EnvFrom({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url()}})).Fetch();
    ASSERT_FALSE(got) << bad;
    EXPECT_NE(got.error().find("stockpipe-role"), std::string::npos) << got.error();
  }
}

// A listener that accepts connections (the kernel's backlog) but never answers: the provider
// gives up after its request timeout instead of hanging.
TEST(ImdsSilent, AnEndpointThatNeverAnswersFailsWithinTheTimeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t size = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  ImdsProvider provider(EnvFrom({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint}}),
                        {.connect_ms = 200, .request_ms = 200, .attempts = 1});
  auto got = provider.Fetch();
  ::close(fd);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().find(endpoint), std::string::npos) << got.error();
  EXPECT_NE(got.error().find("imeout"), std::string::npos) << got.error();
}

class Container : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Get("/v2/credentials/abc",
                         [this](const httplib::Request& req, httplib::Response& res) {
                           std::lock_guard lock(mutex_);
                           authorizations_.push_back(req.get_header_value("Authorization"));
                           res.set_content(answer_, "application/json");
                         });
    server_.Start();
  }
  std::mutex mutex_;
  std::vector<std::string> authorizations_;
  std::string answer_ = kCredentialsJson;
  LoopbackHttp server_;
};

TEST_F(Container, FullUriWithTheTokenFromTheEnvironmentOrTheFileReadEachTime) {
  const std::string uri = server_.url("/v2/credentials/abc");
  auto from_env = ContainerProvider(EnvFrom({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", uri},
                                             {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token"}}))
                      .Fetch();
  ASSERT_TRUE(from_env) << from_env.error();
  EXPECT_EQ(from_env->access_key_id, "ASIAMETA");

  TempDir dir;
  const auto token_file = dir.path() / "token";
  WriteFile(token_file, "file-token-1\n");
  ContainerProvider provider(EnvFrom({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", uri},
                                      {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token"},
                                      {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file}}));
  ASSERT_TRUE(provider.Fetch());
  WriteFile(token_file, "file-token-2");  // EKS Pod Identity rotates it
  ASSERT_TRUE(provider.Fetch());

  std::lock_guard lock(mutex_);
  EXPECT_EQ(authorizations_,
            (std::vector<std::string>{"env-token", "file-token-1", "file-token-2"}));
}

TEST_F(Container, MalformedAnswersAreErrors) {
  const std::string uri = server_.url("/v2/credentials/abc");
  for (const std::string& bad : {std::string("<html>"), std::string(R"({"AccessKeyId": "A"})"),
                                 std::string(R"({"AccessKeyId": "A", "SecretAccessKey": "S",
                                               "Expiration": 17})")}) {
    {
      std::lock_guard lock(mutex_);
      answer_ = bad;
    }
    auto got = ContainerProvider(EnvFrom({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", uri}})).Fetch();
    ASSERT_FALSE(got) << bad;
    EXPECT_NE(got.error().find("container endpoint"), std::string::npos) << got.error();
  }
}

TEST(ContainerUri, HttpOnlyToLoopbackOrTheAwsLinkLocalAgents) {
  for (const char* ok : {"https://example.com/creds", "http://127.0.0.1:8080/x",
                         "http://localhost/x", "http://[::1]:80/x", "http://169.254.170.2/v2",
                         "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1"}) {
    EXPECT_TRUE(CheckContainerUri(ok)) << ok;
  }
  for (const char* bad : {"http://example.com/creds", "http://169.254.169.254/x",
                          "http://127.0.0.1.evil.com/x", "ftp://127.0.0.1/x", "not a url"}) {
    EXPECT_FALSE(CheckContainerUri(bad)) << bad;
  }
}

}  // namespace
}  // namespace stockpipe::aws
