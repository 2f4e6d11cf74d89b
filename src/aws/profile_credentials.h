// A profile of the shared config and credentials files (shared_config.h) as a credential source,
// resolved the way the AWS CLI resolves it, first match wins:
//   - `role_arn`: STS AssumeRole signed with the credentials of `source_profile` (itself resolved
//     the same way, so profiles chain; a loop is an error), or of `credential_source`
//     (`Environment`, `Ec2InstanceMetadata`, `EcsContainer`); or, with `web_identity_token_file`,
//     AssumeRoleWithWebIdentity. `external_id`, `role_session_name`, `duration_seconds` apply.
//   - IAM Identity Center: `sso_session` (naming an `[sso-session]` with `sso_start_url` and
//     `sso_region`) or the legacy `sso_start_url` + `sso_region`, with `sso_account_id` and
//     `sso_role_name` (sso_credentials.h);
//   - static `aws_access_key_id` + `aws_secret_access_key` (+ `aws_session_token`);
//   - `credential_process` (credential_process.h).
// The files are read at the first fetch (and again until they resolve), so a malformed file is
// an error naming it and its line.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "aws/credentials.h"
#include "aws/shared_config.h"
#include "core/result.h"

namespace stockpipe::aws {

struct ProfileContext {
  GetEnv getenv;
  Clock clock;
  std::chrono::milliseconds process_timeout = std::chrono::seconds(60);
};

// The provider `name` stands for in `config`; errors name the profile and what it lacks.
Result<std::unique_ptr<CredentialProvider>> ResolveProfile(const SharedConfig& config,
                                                           const std::string& name,
                                                           const ProfileContext& context);

// The profile `AWS_PROFILE` (default `default`).
class ProfileProvider : public CredentialProvider {
 public:
  ProfileProvider(GetEnv getenv, Clock clock);
  explicit ProfileProvider(ProfileContext context);
  std::string Name() const override { return "profile " + profile_; }
  Result<Credentials> Fetch() override;

 private:
  ProfileContext context_;
  std::string profile_;
  std::unique_ptr<CredentialProvider> resolved_;
};

}  // namespace stockpipe::aws
