#include "aws/credentials.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "aws/metadata_credentials.h"
#include "aws/profile_credentials.h"
#include "aws/shared_config.h"
#include "aws/sts_credentials.h"
#include "core/timestamp.h"

namespace stockpipe::aws {
std::string EnvOr(const GetEnv& getenv, const char* name, std::string fallback) {
  const char* value = getenv(name);
  return value && *value ? std::string(value) : std::move(fallback);
}

Result<TimePoint> ParseExpiration(const std::string& text, const std::string& what) {
  std::string normal = text;
  // botocore's SSO cache once wrote "2026-12-06T12:00:00UTC".
  if (normal.ends_with("UTC")) normal.replace(normal.size() - 3, 3, "Z");
  const auto micros = ParseTimestampText(normal);
  if (!micros || normal.find('T') == std::string::npos) {
    return Status::Error(what + ": expiration '" + text + "' is not an RFC 3339 time");
  }
  return TimePoint(
      std::chrono::duration_cast<TimePoint::duration>(std::chrono::microseconds(*micros)));
}

CredentialChain::CredentialChain(std::vector<std::unique_ptr<CredentialProvider>> providers,
                                 Clock clock)
    : providers_(std::move(providers)), clock_(std::move(clock)) {}

std::chrono::seconds CredentialChain::RefreshMargin(TimePoint fetched, TimePoint expiration) {
  const auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(expiration - fetched);
  return std::clamp(lifetime / 2, std::chrono::seconds(0), std::chrono::seconds(5 * 60));
}

Result<Credentials> CredentialChain::Get() {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_();
  if (cached_) {
    if (!cached_->expiration ||
        now < *cached_->expiration - RefreshMargin(fetched_at_, *cached_->expiration)) {
      return *cached_;
    }
    auto fresh = providers_[cached_from_]->Fetch();
    if (fresh) {
      cached_ = std::move(*fresh);
      fetched_at_ = now;
      return *cached_;
    }
    if (now < *cached_->expiration) {
      spdlog::warn(
          "aws credentials: refreshing {} failed ({}); using the current ones until they "
          "expire",
          cached_->source, fresh.error());
      return *cached_;
    }
    return Status::Error("AWS credentials from " + cached_->source +
                         " expired and could not be refreshed: " + fresh.error());
  }
  std::string tried;
  for (std::size_t i = 0; i < providers_.size(); ++i) {
    auto credentials = providers_[i]->Fetch();
    if (credentials) {
      cached_ = std::move(*credentials);
      cached_from_ = i;
      fetched_at_ = now;
      spdlog::debug("aws credentials from {}", cached_->source);
      return *cached_;
    }
    tried += "\n  " + providers_[i]->Name() + ": " + credentials.error();
  }
  return Status::Error("AWS credentials not found; tried, in order:" + tried);
}

std::shared_ptr<CredentialChain> StaticCredentials(Credentials credentials) {
  std::vector<std::unique_ptr<CredentialProvider>> providers;
  providers.push_back(std::make_unique<StaticProvider>(std::move(credentials)));
  return std::make_shared<CredentialChain>(std::move(providers));
}

Result<Credentials> EnvironmentProvider::Fetch() {
  const std::string key = EnvOr(getenv_, "AWS_ACCESS_KEY_ID");
  const std::string secret = EnvOr(getenv_, "AWS_SECRET_ACCESS_KEY");
  if (key.empty() && secret.empty()) {
    return Status::Error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY not set");
  }
  if (key.empty() || secret.empty()) {
    return Status::Error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
  }
  return Credentials{key, secret, EnvOr(getenv_, "AWS_SESSION_TOKEN"), "environment"};
}

std::shared_ptr<CredentialChain> DefaultCredentialChain(const GetEnv& getenv, Clock clock) {
  std::vector<std::unique_ptr<CredentialProvider>> providers;
  providers.push_back(std::make_unique<EnvironmentProvider>(getenv));
  providers.push_back(std::make_unique<ProfileProvider>(getenv, clock));
  providers.push_back(std::make_unique<WebIdentityProvider>(WebIdentityFromEnvironment(getenv)));
  providers.push_back(std::make_unique<ContainerProvider>(getenv));
  providers.push_back(std::make_unique<ImdsProvider>(getenv));
  return std::make_shared<CredentialChain>(std::move(providers), std::move(clock));
}

std::string RegionFromEnvironment(const GetEnv& getenv) {
  std::string region = EnvOr(getenv, "AWS_REGION", EnvOr(getenv, "AWS_DEFAULT_REGION"));
  if (!region.empty()) return region;
  // A malformed or missing config file leaves the region unset: the caller says what to set.
  auto config = LoadSharedConfig(getenv);
  if (!config) return {};
  const auto* profile = config->Profile(ProfileName(getenv));
  if (!profile) return {};
  const auto found = profile->find("region");
  return found == profile->end() ? std::string() : found->second;
}

}  // namespace stockpipe::aws
