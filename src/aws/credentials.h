// AWS credentials and region, found the way the AWS CLI finds them.
//
// A `CredentialChain` asks its providers in order and keeps the first answer. The default chain
// (`DefaultCredentialChain`) has the AWS CLI's order:
//   1. environment: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`);
//   2. the profile `AWS_PROFILE` (default `default`) of the shared config file (`AWS_CONFIG_FILE`,
//      default `~/.aws/config`) and credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default
//      `~/.aws/credentials`): `role_arn` (with `source_profile`, `credential_source` or
//      `web_identity_token_file`), IAM Identity Center (`sso_session` or `sso_start_url`), static
//      keys, `credential_process` (see profile_credentials.h);
//   3. web identity: `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (EKS IRSA; sts_credentials.h);
//   4. the container endpoint: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI` (ECS, EKS
//      Pod Identity; metadata_credentials.h);
//   5. EC2 instance metadata (IMDSv2), unless `AWS_EC2_METADATA_DISABLED=true`.
// A provider that is not configured or fails is passed over; when none answers, the error names
// every provider and why, never a secret.
//
// Temporary credentials (with an expiration) are cached and fetched again from the provider that
// gave them shortly before they expire, so a long-running process keeps working: a `Client` asks
// its chain for credentials on every attempt it signs. Secrets are kept only here and handed to
// libcurl; nothing in this module logs them, and error messages name the source, never a value.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace stockpipe::aws {

using GetEnv = std::function<const char*(const char*)>;
using TimePoint = std::chrono::system_clock::time_point;
using Clock = std::function<TimePoint()>;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
  std::string source;         // "environment", "profile dev (credential_process)"..., for messages
  std::optional<TimePoint> expiration{};  // none: valid until replaced
};

// One place credentials come from. `Fetch` returns fresh credentials or an error saying why not
// ("AWS_ACCESS_KEY_ID not set" for a source that is simply not configured). Called under the
// chain's lock: implementations need no locking of their own.
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  virtual std::string Name() const = 0;  // "environment", "container endpoint"...
  virtual Result<Credentials> Fetch() = 0;
};

// Providers tried in order, the first answer cached. Credentials with an expiration are fetched
// again (from the provider that gave them) once within `RefreshMargin` of it; if that refresh
// fails while the old ones are still valid, the old ones are used and the failure is logged.
// Thread-safe; shared by every client of a process.
class CredentialChain {
 public:
  explicit CredentialChain(std::vector<std::unique_ptr<CredentialProvider>> providers,
                           Clock clock = std::chrono::system_clock::now);

  // Current credentials, fetching or refreshing them as needed.
  Result<Credentials> Get();

  // How long before `expiration` credentials fetched at `fetched` are refreshed: 5 minutes, or
  // half their lifetime when that is shorter (a 15-minute session is renewed after 7.5).
  static std::chrono::seconds RefreshMargin(TimePoint fetched, TimePoint expiration);

 private:
  std::vector<std::unique_ptr<CredentialProvider>> providers_;
  Clock clock_;
  std::mutex mutex_;
  std::optional<Credentials> cached_;
  TimePoint fetched_at_{};
  std::size_t cached_from_ = 0;  // index of the provider that gave `cached_`
};

// Always answers the same keys (a profile's static keys; tests).
class StaticProvider : public CredentialProvider {
 public:
  explicit StaticProvider(Credentials credentials) : credentials_(std::move(credentials)) {}
  std::string Name() const override { return credentials_.source; }
  Result<Credentials> Fetch() override { return credentials_; }

 private:
  Credentials credentials_;
};

// A chain of one StaticProvider (tests, fixed keys).
std::shared_ptr<CredentialChain> StaticCredentials(Credentials credentials);

// `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`); one without the other
// is an error.
class EnvironmentProvider : public CredentialProvider {
 public:
  explicit EnvironmentProvider(GetEnv getenv) : getenv_(std::move(getenv)) {}
  std::string Name() const override { return "environment"; }
  Result<Credentials> Fetch() override;

 private:
  GetEnv getenv_;
};

// The AWS CLI's chain (see the top of this file). Nothing is fetched until the first `Get`.
std::shared_ptr<CredentialChain> DefaultCredentialChain(
    const GetEnv& getenv, Clock clock = std::chrono::system_clock::now);

// `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the `region` of the profile `AWS_PROFILE` in the
// shared config file; empty when none is set.
std::string RegionFromEnvironment(const GetEnv& getenv);

// `value` of `getenv(name)`, or `fallback` when unset or empty.
std::string EnvOr(const GetEnv& getenv, const char* name, std::string fallback = {});

// An RFC 3339 expiration ("2026-12-06T12:00:00Z") as a time point; errors name `what`.
Result<TimePoint> ParseExpiration(const std::string& text, const std::string& what);

}  // namespace stockpipe::aws
