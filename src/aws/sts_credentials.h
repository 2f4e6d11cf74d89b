// Credentials from AWS STS (the Query API, version 2011-06-15, through aws::Client):
// `AssumeRole` signed with a source's credentials (a profile's `role_arn` + `source_profile` or
// `credential_source`), and `AssumeRoleWithWebIdentity`, unsigned, with an OIDC token read from a
// file (EKS IRSA: `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, or a profile's
// `web_identity_token_file` + `role_arn`). The token file is read again on every fetch: EKS
// rotates it. The STS endpoint is `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`, then
// `https://sts.<region>.amazonaws.com` (`https://sts.amazonaws.com` without a region).
#pragma once
#include <memory>
#include <string>

#include "aws/credentials.h"
#include "core/result.h"

namespace stockpipe::aws {

// Where STS is and how long to wait for it.
struct StsEndpoint {
  std::string region;    // signing region; empty: us-east-1 at the global endpoint
  std::string endpoint;  // scheme://host[:port]
  std::string ca_bundle;
};
StsEndpoint StsEndpointFrom(const GetEnv& getenv, const std::string& region);

struct AssumeRoleOptions {
  std::string role_arn;
  std::string role_session_name;  // empty: "stockpipe-<unix seconds>"
  std::string external_id;        // empty: not sent
  int duration_seconds = 0;       // 0: not sent (STS's default, one hour)
  std::string name;               // for messages: "profile dev (role_arn ...)"
};

class AssumeRoleProvider : public CredentialProvider {
 public:
  AssumeRoleProvider(AssumeRoleOptions options, std::shared_ptr<CredentialChain> source,
                     StsEndpoint sts)
      : options_(std::move(options)), source_(std::move(source)), sts_(std::move(sts)) {}
  std::string Name() const override { return options_.name; }
  Result<Credentials> Fetch() override;

 private:
  AssumeRoleOptions options_;
  std::shared_ptr<CredentialChain> source_;
  StsEndpoint sts_;
};

struct WebIdentityOptions {
  std::string role_arn;
  std::string token_file;
  std::string role_session_name;  // empty: "stockpipe-<unix seconds>"
  std::string name = "web identity";
};
// `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_ARN`, `AWS_ROLE_SESSION_NAME`, STS from `getenv`.
struct WebIdentityConfig {
  WebIdentityOptions options;
  StsEndpoint sts;
};
WebIdentityConfig WebIdentityFromEnvironment(const GetEnv& getenv);

class WebIdentityProvider : public CredentialProvider {
 public:
  explicit WebIdentityProvider(WebIdentityConfig config) : config_(std::move(config)) {}
  std::string Name() const override { return config_.options.name; }
  Result<Credentials> Fetch() override;

 private:
  WebIdentityConfig config_;
};

// The `<Credentials>` of an AssumeRole* answer; `what` names the call in errors.
Result<Credentials> ParseStsCredentials(const std::string& xml, const std::string& what);

}  // namespace stockpipe::aws
