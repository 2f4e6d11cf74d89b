// The credential chain: order, fall-through, the error naming every provider without a secret,
// and the cache refreshed before expiry (clock injected), seen by a server recording the
// Authorization header of the requests a Client signs with it.
#include "aws/credentials.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <mutex>

#include "aws/client.h"
#include "support/env_from.h"
#include "support/loopback_http.h"
#include "support/temp_dir.h"

namespace stockpipe::aws {
namespace {

using testing::EnvFrom;

using std::chrono::minutes;
using std::chrono::seconds;
using testing::TempDir;
using testing::WriteFile;

// Answers its scripted results in turn and counts the fetches.
class Scripted : public CredentialProvider {
 public:
  Scripted(std::string name, std::deque<Result<Credentials>> answers, int* fetches)
      : name_(std::move(name)), answers_(std::move(answers)), fetches_(fetches) {}
  std::string Name() const override { return name_; }
  Result<Credentials> Fetch() override {
    ++*fetches_;
    if (answers_.empty()) return Status::Error("no more answers");
    auto next = answers_.front();
    if (answers_.size() > 1) answers_.pop_front();
    return next;
  }

 private:
  std::string name_;
  std::deque<Result<Credentials>> answers_;
  int* fetches_;
};

Credentials Temporary(std::string key, TimePoint expiration) {
  return Credentials{std::move(key), "secret-of-" + key, "token", "scripted", expiration};
}

TEST(EnvironmentProvider, KeysTogetherOrAnErrorNamingTheMissingOne) {
  auto env = EnvironmentProvider(EnvFrom({{"AWS_ACCESS_KEY_ID", "AK"},
                                          {"AWS_SECRET_ACCESS_KEY", "SK"},
                                          {"AWS_SESSION_TOKEN", "TOKEN"}}))
                 .Fetch();
  ASSERT_TRUE(env) << env.error();
  EXPECT_EQ(env->access_key_id, "AK");
  EXPECT_EQ(env->session_token, "TOKEN");
  EXPECT_FALSE(env->expiration);

  auto half = EnvironmentProvider(EnvFrom({{"AWS_ACCESS_KEY_ID", "AK"}})).Fetch();
  ASSERT_FALSE(half);
  EXPECT_NE(half.error().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST(CredentialChain, AFailingProviderPassesToTheNextAndTheFirstAnswerIsKept) {
  int first = 0, second = 0, third = 0;
  std::vector<std::unique_ptr<CredentialProvider>> providers;
  providers.push_back(std::make_unique<Scripted>(
      "one", std::deque<Result<Credentials>>{Status::Error("broken")}, &first));
  providers.push_back(std::make_unique<Scripted>(
      "two", std::deque<Result<Credentials>>{Credentials{"AK2", "S2", "", "two"}}, &second));
  providers.push_back(std::make_unique<Scripted>(
      "three", std::deque<Result<Credentials>>{Credentials{"AK3", "S3", "", "three"}}, &third));
  CredentialChain chain(std::move(providers));
  for (int i = 0; i < 3; ++i) {
    auto got = chain.Get();
    ASSERT_TRUE(got) << got.error();
    EXPECT_EQ(got->access_key_id, "AK2");
  }
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);  // no expiration: fetched once
  EXPECT_EQ(third, 0);
}

TEST(CredentialChain, NothingWorksTheErrorNamesEveryProviderAndNoSecret) {
  TempDir home;
  WriteFile(home.path() / "credentials",
            "[default]\naws_secret_access_key = SUPERSECRET-FILE\n");  // no key id: broken
  auto chain = DefaultCredentialChain(EnvFrom({
      {"HOME", home.str()},
      {"AWS_SHARED_CREDENTIALS_FILE", (home.path() / "credentials").string()},
      {"AWS_CONFIG_FILE", (home.path() / "config").string()},
      {"AWS_SECRET_ACCESS_KEY", "SUPERSECRET-ENV"},  // without its key id
      {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "SUPERSECRET-TOKEN"},
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://198.51.100.7/creds"},  // refused: not local
      {"AWS_EC2_METADATA_DISABLED", "true"},
  }));
  auto got = chain->Get();
  ASSERT_FALSE(got);
  const std::string& error = got.error();
  for (const char* name : {"environment", "profile default", "web identity", "container endpoint",
                           "EC2 instance metadata"}) {
    EXPECT_NE(error.find(name), std::string::npos) << name << " missing from: " << error;
  }
  EXPECT_NE(error.find("aws_access_key_id"), std::string::npos) << error;
  EXPECT_NE(error.find("AWS_EC2_METADATA_DISABLED"), std::string::npos) << error;
  EXPECT_NE(error.find("198.51.100.7"), std::string::npos) << error;
  for (const char* secret : {"SUPERSECRET-FILE", "SUPERSECRET-ENV", "SUPERSECRET-TOKEN"}) {
    EXPECT_EQ(error.find(secret), std::string::npos) << secret;
  }
}

TEST(CredentialChain, RefreshesBeforeExpiryAndKeepsValidOnesWhenARefreshFails) {
  TimePoint now = TimePoint(std::chrono::hours(24 * 365 * 50));
  const TimePoint expiry = now + minutes(60);
  int fetches = 0;
  std::vector<std::unique_ptr<CredentialProvider>> providers;
  providers.push_back(std::make_unique<Scripted>(
      "temporary",
      std::deque<Result<Credentials>>{Temporary("AK1", expiry), Status::Error("STS is down"),
                                      Temporary("AK2", expiry + minutes(60))},
      &fetches));
  CredentialChain chain(std::move(providers), [&now] { return now; });

  EXPECT_EQ(chain.Get()->access_key_id, "AK1");
  now = expiry - minutes(6);  // outside the 5-minute margin: cached
  EXPECT_EQ(chain.Get()->access_key_id, "AK1");
  EXPECT_EQ(fetches, 1);
  now = expiry - minutes(4);  // inside: refresh, which fails; the old ones still hold
  auto kept = chain.Get();
  ASSERT_TRUE(kept) << kept.error();
  EXPECT_EQ(kept->access_key_id, "AK1");
  EXPECT_EQ(fetches, 2);
  now = expiry - minutes(3);
  EXPECT_EQ(chain.Get()->access_key_id, "AK2");
  EXPECT_EQ(fetches, 3);
}

TEST(CredentialChain, ExpiredAndNotRefreshableIsAnError) {
  TimePoint now = TimePoint(std::chrono::hours(24 * 365 * 50));
  const TimePoint expiry = now + minutes(10);
  int fetches = 0;
  std::vector<std::unique_ptr<CredentialProvider>> providers;
  providers.push_back(std::make_unique<Scripted>(
      "temporary",
      std::deque<Result<Credentials>>{Temporary("AK1", expiry), Status::Error("STS is down")},
      &fetches));
  CredentialChain chain(std::move(providers), [&now] { return now; });
  ASSERT_TRUE(chain.Get());
  now = expiry + seconds(1);
  auto got = chain.Get();
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().find("expired"), std::string::npos) << got.error();
  EXPECT_NE(got.error().find("STS is down"), std::string::npos) << got.error();
}

TEST(CredentialChain, ShortLivedCredentialsRefreshAtHalfTheirLife) {
  const TimePoint t0{};
  EXPECT_EQ(CredentialChain::RefreshMargin(t0, t0 + minutes(60)), minutes(5));
  EXPECT_EQ(CredentialChain::RefreshMargin(t0, t0 + minutes(4)), minutes(2));
  EXPECT_EQ(CredentialChain::RefreshMargin(t0, t0 - minutes(1)), seconds(0));
}

// A Client asks the chain on every request: once the credentials near expiry, the next request
// is signed with the new key, as the server's record of Authorization headers shows.
TEST(CredentialChain, AClientSignsTheNextRequestWithTheRefreshedKey) {
  std::mutex mutex;
  std::vector<std::string> authorizations, tokens;
  testing::LoopbackHttp server;
  server.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mutex);
    authorizations.push_back(req.get_header_value("Authorization"));
    tokens.push_back(req.get_header_value("X-Amz-Security-Token"));
    res.set_content("{}", "application/x-amz-json-1.1");
  });
  server.Start();

  TimePoint now = TimePoint(std::chrono::hours(24 * 365 * 50));
  const TimePoint expiry = now + minutes(60);
  int fetches = 0;
  std::vector<std::unique_ptr<CredentialProvider>> providers;
  providers.push_back(std::make_unique<Scripted>(
      "temporary",
      std::deque<Result<Credentials>>{
          Credentials{"AKIDFIRST", "s1", "token-1", "scripted", expiry},
          Credentials{"AKIDSECOND", "s2", "token-2", "scripted", expiry + minutes(60)}},
      &fetches));
  ClientOptions options;
  options.region = "eu-central-1";
  options.endpoint = server.url();
  options.credentials =
      std::make_shared<CredentialChain>(std::move(providers), [&now] { return now; });
  Client client(options);
  ASSERT_TRUE(client.CallJson("Kinesis_20131202", "ListStreams", "{}"));
  now = expiry - minutes(1);
  ASSERT_TRUE(client.CallJson("Kinesis_20131202", "ListStreams", "{}"));

  std::lock_guard lock(mutex);
  ASSERT_EQ(authorizations.size(), 2u);
  EXPECT_NE(authorizations[0].find("Credential=AKIDFIRST/"), std::string::npos)
      << authorizations[0];
  EXPECT_NE(authorizations[1].find("Credential=AKIDSECOND/"), std::string::npos)
      << authorizations[1];
  EXPECT_EQ(tokens[0], "token-1");
  EXPECT_EQ(tokens[1], "token-2");
}

TEST(ParseExpiration, Rfc3339AndTheOldSsoCacheFormOthersAreErrors) {
  auto z = ParseExpiration("2026-12-06T12:00:00Z", "test");
  ASSERT_TRUE(z) << z.error();
  auto utc = ParseExpiration("2026-12-06T12:00:00UTC", "test");
  ASSERT_TRUE(utc) << utc.error();
  EXPECT_EQ(*z, *utc);
  auto offset = ParseExpiration("2026-12-06T13:00:00+01:00", "test");
  ASSERT_TRUE(offset);
  EXPECT_EQ(*z, *offset);
  for (const char* bad : {"tomorrow", "", "2026-12-06", "1765000000"}) {
    auto got = ParseExpiration(bad, "the source");
    ASSERT_FALSE(got) << bad;
    EXPECT_NE(got.error().find("the source"), std::string::npos);
  }
}

}  // namespace
}  // namespace stockpipe::aws
