// IAM Identity Center (SSO) profiles: the token `aws sso login` cached, traded for role
// credentials at the SSO portal (GetRoleCredentials), as the AWS CLI does.
//
// The token is `~/.aws/sso/cache/<sha1 hex>.json` (`accessToken`, `expiresAt`), the hash taken of
// the `sso_session` name, or of the `sso_start_url` in the legacy form without a session. The
// portal is GET `<endpoint>/federation/credentials?account_id=&role_name=` with the header
// `x-amz-sso_bearer_token`, unsigned; `<endpoint>` is `AWS_ENDPOINT_URL_SSO`, then
// `AWS_ENDPOINT_URL`, then `https://portal.sso.<sso_region>.amazonaws.com`. It answers
// `roleCredentials{accessKeyId, secretAccessKey, sessionToken, expiration (epoch ms)}`. A missing
// or expired token, or a portal that refuses it, is an error telling the user to run
// `aws sso login --profile <profile>`: stockpipe never starts a login itself.
#pragma once
#include <string>

#include "aws/credentials.h"
#include "core/result.h"

namespace stockpipe::aws {

struct SsoOptions {
  std::string profile;       // for messages
  std::string session_name;  // empty: the legacy form, keyed by start_url
  std::string start_url;
  std::string region;  // sso_region
  std::string account_id;
  std::string role_name;
  std::string cache_dir;  // ~/.aws/sso/cache
  std::string endpoint;   // the portal, scheme://host[:port]
  std::string ca_bundle;
};

// The cache file name for a session name or start URL: lower-case SHA-1 hex + ".json".
std::string SsoCacheFileName(const std::string& key);

class SsoProvider : public CredentialProvider {
 public:
  SsoProvider(SsoOptions options, Clock clock)
      : options_(std::move(options)), clock_(std::move(clock)) {}
  std::string Name() const override {
    return "profile " + options_.profile + " (IAM Identity Center)";
  }
  Result<Credentials> Fetch() override;

 private:
  SsoOptions options_;
  Clock clock_;
};

}  // namespace stockpipe::aws
