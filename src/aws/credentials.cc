#include "aws/credentials.h"

#include <fstream>
#include <sstream>
#include <string_view>

namespace stockpipe::aws {
namespace {

std::string_view Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

std::string EnvOr(const GetEnv& getenv, const char* name, std::string fallback = {}) {
  const char* value = getenv(name);
  return value && *value ? std::string(value) : std::move(fallback);
}

}  // namespace

Result<Credentials> ParseCredentialsFile(const std::string& text, const std::string& profile) {
  Credentials credentials;
  bool in_profile = false;
  bool found = false;
  std::istringstream lines(text);
  std::string raw;
  while (std::getline(lines, raw)) {
    const std::string_view line = Trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      std::string_view name = Trim(line.substr(1, line.size() - 2));
      if (name.starts_with("profile ")) name = Trim(name.substr(8));
      in_profile = name == profile;
      found = found || in_profile;
      continue;
    }
    if (!in_profile) continue;
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view key = Trim(line.substr(0, equals));
    const std::string value(Trim(line.substr(equals + 1)));
    if (key == "aws_access_key_id") credentials.access_key_id = value;
    if (key == "aws_secret_access_key") credentials.secret_access_key = value;
    if (key == "aws_session_token") credentials.session_token = value;
  }
  if (!found) return Status::Error("profile [" + profile + "] not found");
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Status::Error("profile [" + profile +
                         "] lacks aws_access_key_id or aws_secret_access_key");
  }
  return credentials;
}

Result<Credentials> LoadCredentials(const GetEnv& getenv) {
  const std::string key = EnvOr(getenv, "AWS_ACCESS_KEY_ID");
  const std::string secret = EnvOr(getenv, "AWS_SECRET_ACCESS_KEY");
  if (!key.empty() || !secret.empty()) {
    if (key.empty() || secret.empty()) {
      return Status::Error(
          "AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
    }
    return Credentials{key, secret, EnvOr(getenv, "AWS_SESSION_TOKEN"), "environment"};
  }
  const std::string home = EnvOr(getenv, "HOME");
  const std::string path =
      EnvOr(getenv, "AWS_SHARED_CREDENTIALS_FILE", home.empty() ? "" : home + "/.aws/credentials");
  const std::string profile = EnvOr(getenv, "AWS_PROFILE", "default");
  std::ifstream file(path);
  if (path.empty() || !file) {
    return Status::Error(
        "AWS credentials not found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
        "AWS_PROFILE with a shared credentials file (" +
        (path.empty() ? std::string("~/.aws/credentials") : path) + ")");
  }
  std::stringstream text;
  text << file.rdbuf();
  auto credentials = ParseCredentialsFile(text.str(), profile);
  if (!credentials) return Status::Error("AWS credentials in " + path + ": " + credentials.error());
  credentials->source = path + " [" + profile + "]";
  return credentials;
}

std::string RegionFromEnvironment(const GetEnv& getenv) {
  return EnvOr(getenv, "AWS_REGION", EnvOr(getenv, "AWS_DEFAULT_REGION"));
}

}  // namespace stockpipe::aws
