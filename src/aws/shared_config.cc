#include "aws/shared_config.h"

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

// The file's text, or nullopt when it cannot be opened (a user without one is normal).
std::optional<std::string> ReadIfPresent(const std::string& path) {
  if (path.empty()) return std::nullopt;
  std::ifstream file(path);
  if (!file) return std::nullopt;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

const Settings* SharedConfig::Profile(const std::string& name) const {
  const auto found = profiles.find(name);
  return found == profiles.end() ? nullptr : &found->second;
}

const Settings* SharedConfig::SsoSession(const std::string& name) const {
  const auto found = sso_sessions.find(name);
  return found == sso_sessions.end() ? nullptr : &found->second;
}

std::string SharedConfig::Where() const {
  return config_path + " and " + credentials_path;
}

std::string Setting(const Settings& settings, const std::string& key) {
  const auto found = settings.find(key);
  return found == settings.end() ? std::string() : found->second;
}

Result<std::map<std::string, Settings>> ParseIni(const std::string& text, const std::string& path) {
  std::map<std::string, Settings> sections;
  Settings* current = nullptr;
  std::istringstream lines(text);
  std::string raw;
  int number = 0;
  while (std::getline(lines, raw)) {
    ++number;
    const std::string_view line = Trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (raw[0] == ' ' || raw[0] == '\t') continue;  // a nested setting (`s3 =` block)
    const std::string where = path + " line " + std::to_string(number);
    if (line.front() == '[') {
      if (line.back() != ']') return Status::Error(where + ": a section header lacks its ']'");
      std::string name(Trim(line.substr(1, line.size() - 2)));
      // "profile   dev" and "profile dev" name the same profile.
      for (std::string_view prefix : {"profile", "sso-session"}) {
        if (name.starts_with(prefix) && name.size() > prefix.size() &&
            (name[prefix.size()] == ' ' || name[prefix.size()] == '\t')) {
          name = std::string(prefix) + " " + std::string(Trim(name.substr(prefix.size())));
        }
      }
      current = &sections[name];
      continue;
    }
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      return Status::Error(where + ": expected 'key = value' or '[section]'");
    }
    if (!current) return Status::Error(where + ": a setting before any [section]");
    const std::string key(Trim(line.substr(0, equals)));
    if (key.empty()) return Status::Error(where + ": a setting without a name");
    (*current)[key] = std::string(Trim(line.substr(equals + 1)));
  }
  return sections;
}

std::string ProfileName(const GetEnv& getenv) {
  return EnvOr(getenv, "AWS_PROFILE", EnvOr(getenv, "AWS_DEFAULT_PROFILE", "default"));
}

Result<SharedConfig> LoadSharedConfig(const GetEnv& getenv) {
  const std::string home = EnvOr(getenv, "HOME");
  SharedConfig config;
  config.config_path = EnvOr(getenv, "AWS_CONFIG_FILE", home.empty() ? "" : home + "/.aws/config");
  config.credentials_path =
      EnvOr(getenv, "AWS_SHARED_CREDENTIALS_FILE", home.empty() ? "" : home + "/.aws/credentials");
  if (auto text = ReadIfPresent(config.config_path)) {
    auto sections = ParseIni(*text, config.config_path);
    if (!sections) return sections.status();
    for (auto& [name, settings] : *sections) {
      if (name == "default") {
        config.profiles[name] = std::move(settings);
      } else if (name.starts_with("profile ")) {
        config.profiles[name.substr(8)] = std::move(settings);
      } else if (name.starts_with("sso-session ")) {
        config.sso_sessions[name.substr(12)] = std::move(settings);
      }
    }
  }
  if (auto text = ReadIfPresent(config.credentials_path)) {
    auto sections = ParseIni(*text, config.credentials_path);
    if (!sections) return sections.status();
    for (auto& [name, settings] : *sections) {
      for (auto& [key, value] : settings) config.profiles[name][key] = std::move(value);
    }
  }
  if (config.config_path.empty()) config.config_path = "~/.aws/config";
  if (config.credentials_path.empty()) config.credentials_path = "~/.aws/credentials";
  return config;
}

}  // namespace stockpipe::aws
