#include "aws/sso_credentials.h"

#include <openssl/evp.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/client.h"

namespace stockpipe::aws {

std::string SsoCacheFileName(const std::string& key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(key.data(), key.size(), digest, &size, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out + ".json";
}

Result<Credentials> SsoProvider::Fetch() {
  const std::string login = "run `aws sso login --profile " + options_.profile + "`";
  const std::string what = Name();
  if (options_.start_url.empty() || options_.region.empty() || options_.account_id.empty() ||
      options_.role_name.empty()) {
    return Status::Error(what +
                         ": needs sso_start_url, sso_region, sso_account_id and "
                         "sso_role_name (in the profile or its [sso-session])");
  }
  const std::string path =
      options_.cache_dir + "/" +
      SsoCacheFileName(options_.session_name.empty() ? options_.start_url : options_.session_name);
  std::ifstream file(path);
  if (!file) return Status::Error(what + ": no cached SSO token (" + path + "): " + login);
  std::stringstream text;
  text << file.rdbuf();
  const auto cache = nlohmann::json::parse(text.str(), nullptr, false);
  if (!cache.is_object() || !cache.contains("accessToken") || !cache["accessToken"].is_string() ||
      !cache.contains("expiresAt") || !cache["expiresAt"].is_string()) {
    return Status::Error(what + ": the cached SSO token " + path +
                         " lacks accessToken or expiresAt: " + login);
  }
  auto expires = ParseExpiration(cache["expiresAt"].get<std::string>(), path);
  if (!expires) return Status::Error(what + ": " + expires.error());
  if (clock_() >= *expires) {
    return Status::Error(what + ": the SSO session has expired: " + login);
  }

  ClientOptions client_options;
  client_options.service = kSso;
  client_options.region = options_.region;
  client_options.endpoint = options_.endpoint;
  client_options.ca_bundle = options_.ca_bundle;
  client_options.connect_timeout_ms = 5'000;
  client_options.request_timeout_ms = 10'000;
  client_options.retry.max_attempts = 3;
  Client client(std::move(client_options));
  HttpRequest request;
  request.method = "GET";
  request.path = "/federation/credentials";
  request.query = {{"account_id", options_.account_id}, {"role_name", options_.role_name}};
  request.headers = {{"x-amz-sso_bearer_token", cache["accessToken"].get<std::string>()}};
  auto response = client.Send("GetRoleCredentials", request);
  if (!response) return Status::Error(what + ": " + response.error());
  if (response->status == 401 || response->status == 403) {
    return Status::Error(what + ": the SSO portal refused the token (HTTP " +
                         std::to_string(response->status) + "): " + login);
  }
  if (response->status != 200) {
    return Status::Error(what + ": GetRoleCredentials " + options_.endpoint + ": HTTP " +
                         std::to_string(response->status));
  }
  const auto answer = nlohmann::json::parse(response->body, nullptr, false);
  const nlohmann::json* role = answer.is_object() && answer.contains("roleCredentials") &&
                                       answer["roleCredentials"].is_object()
                                   ? &answer["roleCredentials"]
                                   : nullptr;
  if (!role) return Status::Error(what + ": GetRoleCredentials answer lacks roleCredentials");
  const auto text_of = [&](const char* key) -> std::string {
    return role->contains(key) && (*role)[key].is_string() ? (*role)[key].get<std::string>() : "";
  };
  Credentials credentials{text_of("accessKeyId"), text_of("secretAccessKey"),
                          text_of("sessionToken"), what, std::nullopt};
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty() ||
      !role->contains("expiration") || !(*role)["expiration"].is_number_integer()) {
    return Status::Error(what +
                         ": roleCredentials lacks accessKeyId, secretAccessKey or "
                         "expiration");
  }
  credentials.expiration =
      TimePoint(std::chrono::milliseconds((*role)["expiration"].get<std::int64_t>()));
  return credentials;
}

}  // namespace stockpipe::aws
