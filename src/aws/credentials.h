// AWS credentials and region, found the way the AWS CLI finds them.
//
// Order: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) from the
// environment; otherwise the profile `AWS_PROFILE` (default `default`) of the shared credentials
// file (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`). The region comes from
// `AWS_REGION` (then `AWS_DEFAULT_REGION`). Secrets are kept only here and handed to libcurl;
// nothing in this module logs them, and error messages name the source, never the value.
#pragma once
#include <functional>
#include <string>

#include "core/result.h"

namespace stockpipe::aws {

using GetEnv = std::function<const char*(const char*)>;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
  std::string source;         // "environment" or "<file> [profile]", for messages
};

Result<Credentials> LoadCredentials(const GetEnv& getenv);

// Reads `profile` from a shared credentials file's text (INI: `[name]`, `key = value`, `#`/`;`
// comments). Exposed for tests.
Result<Credentials> ParseCredentialsFile(const std::string& text, const std::string& profile);

// `AWS_REGION`, then `AWS_DEFAULT_REGION`; empty when neither is set.
std::string RegionFromEnvironment(const GetEnv& getenv);

}  // namespace stockpipe::aws
