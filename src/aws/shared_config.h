// The AWS CLI's shared files: the config file (`AWS_CONFIG_FILE`, default `~/.aws/config`) and
// the credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`).
//
// Both are INI: `[section]`, `key = value`, `#` and `;` comment lines. In the config file a
// profile is `[default]` or `[profile name]` and an IAM Identity Center session
// `[sso-session name]`; in the credentials file a profile is `[name]`. A profile's settings are
// the config file's with the credentials file's on top, as the CLI merges them. Indented lines
// (the CLI's nested `s3 =` settings) are skipped; any other line that is neither a section nor a
// setting is an error naming the file and line.
#pragma once
#include <map>
#include <string>

#include "aws/credentials.h"
#include "core/result.h"

namespace stockpipe::aws {

using Settings = std::map<std::string, std::string>;

struct SharedConfig {
  std::map<std::string, Settings> profiles;
  std::map<std::string, Settings> sso_sessions;
  std::string config_path;       // for messages
  std::string credentials_path;  // for messages

  const Settings* Profile(const std::string& name) const;
  const Settings* SsoSession(const std::string& name) const;
  // "~/.aws/config and ~/.aws/credentials" as configured, for messages.
  std::string Where() const;
};

// One file's text: the settings of each section, named as written inside the brackets
// ("profile dev", "default", "sso-session corp"). `path` names the file in errors.
Result<std::map<std::string, Settings>> ParseIni(const std::string& text, const std::string& path);

// Both files as the environment names them; a file that does not exist counts as empty.
Result<SharedConfig> LoadSharedConfig(const GetEnv& getenv);

// `AWS_PROFILE`, then `AWS_DEFAULT_PROFILE`, else "default".
std::string ProfileName(const GetEnv& getenv);

// The value of `key` in `settings`, or empty.
std::string Setting(const Settings& settings, const std::string& key);

}  // namespace stockpipe::aws
