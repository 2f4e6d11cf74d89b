#include "aws/sts_credentials.h"

#include <chrono>
#include <fstream>
#include <sstream>

#include "aws/client.h"
#include "codec/xml.h"

namespace stockpipe::aws {
namespace {

constexpr std::string_view kStsVersion = "2011-06-15";

std::string SessionName(const std::string& configured) {
  if (!configured.empty()) return configured;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return "stockpipe-" + std::to_string(seconds.count());
}

ClientOptions StsClientOptions(const StsEndpoint& sts, std::shared_ptr<CredentialChain> signer) {
  ClientOptions options;
  options.service = kSts;
  options.region = sts.region.empty() ? "us-east-1" : sts.region;
  options.endpoint = sts.endpoint;
  options.credentials = std::move(signer);
  options.ca_bundle = sts.ca_bundle;
  options.connect_timeout_ms = 5'000;
  options.request_timeout_ms = 10'000;
  options.retry.max_attempts = 3;
  return options;
}

std::string Trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  const auto first = text.find_first_not_of(" \t\r\n");
  return first == std::string::npos ? std::string() : text.substr(first);
}

}  // namespace

StsEndpoint StsEndpointFrom(const GetEnv& getenv, const std::string& region) {
  StsEndpoint sts;
  sts.region = region;
  sts.endpoint = region.empty() && EnvOr(getenv, "AWS_ENDPOINT_URL_STS").empty() &&
                         EnvOr(getenv, "AWS_ENDPOINT_URL").empty()
                     ? "https://sts.amazonaws.com"
                     : EndpointFor(kSts, region, getenv);
  sts.ca_bundle = EnvOr(getenv, "AWS_CA_BUNDLE");
  return sts;
}

Result<Credentials> ParseStsCredentials(const std::string& xml, const std::string& what) {
  auto root = ParseXml(xml);
  if (!root) return Status::Error(what + ": the answer is not XML: " + root.error());
  const XmlElement* credentials = root->Find("Credentials");
  if (!credentials) return Status::Error(what + ": the answer has no <Credentials>");
  const auto text = [&](std::string_view name) -> std::string {
    const XmlElement* element = credentials->Child(name);
    return element ? Trimmed(element->text) : std::string();
  };
  Credentials out{text("AccessKeyId"), text("SecretAccessKey"), text("SessionToken"), what,
                  std::nullopt};
  if (out.access_key_id.empty() || out.secret_access_key.empty() || out.session_token.empty()) {
    return Status::Error(what +
                         ": <Credentials> lacks AccessKeyId, SecretAccessKey or "
                         "SessionToken");
  }
  const std::string expiration = text("Expiration");
  if (expiration.empty()) return Status::Error(what + ": <Credentials> lacks Expiration");
  auto at = ParseExpiration(expiration, what);
  if (!at) return at.status();
  out.expiration = *at;
  return out;
}

Result<Credentials> AssumeRoleProvider::Fetch() {
  if (options_.role_arn.empty()) return Status::Error("role_arn is empty");
  std::vector<std::pair<std::string, std::string>> params = {
      {"RoleArn", options_.role_arn}, {"RoleSessionName", SessionName(options_.role_session_name)}};
  if (!options_.external_id.empty()) params.emplace_back("ExternalId", options_.external_id);
  if (options_.duration_seconds > 0) {
    params.emplace_back("DurationSeconds", std::to_string(options_.duration_seconds));
  }
  Client client(StsClientOptions(sts_, source_));
  auto answer = client.CallQuery("AssumeRole", kStsVersion, params);
  const std::string what = "STS AssumeRole " + options_.role_arn;
  if (!answer) return Status::Error(what + " (" + sts_.endpoint + "): " + answer.error());
  auto credentials = ParseStsCredentials(*answer, what);
  if (credentials) credentials->source = options_.name;
  return credentials;
}

WebIdentityConfig WebIdentityFromEnvironment(const GetEnv& getenv) {
  WebIdentityConfig config;
  config.options.role_arn = EnvOr(getenv, "AWS_ROLE_ARN");
  config.options.token_file = EnvOr(getenv, "AWS_WEB_IDENTITY_TOKEN_FILE");
  config.options.role_session_name = EnvOr(getenv, "AWS_ROLE_SESSION_NAME");
  config.sts = StsEndpointFrom(getenv, RegionFromEnvironment(getenv));
  return config;
}

Result<Credentials> WebIdentityProvider::Fetch() {
  const WebIdentityOptions& options = config_.options;
  if (options.token_file.empty() && options.role_arn.empty()) {
    return Status::Error("AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN not set");
  }
  if (options.token_file.empty() || options.role_arn.empty()) {
    return Status::Error("a web identity needs both a token file and a role ARN");
  }
  std::ifstream file(options.token_file);
  std::stringstream token;
  if (file) token << file.rdbuf();
  const std::string jwt = Trimmed(token.str());
  if (jwt.empty()) {
    return Status::Error("web identity token file " + options.token_file + " is missing or empty");
  }
  Client client(StsClientOptions(config_.sts, nullptr));
  auto answer = client.CallQuery("AssumeRoleWithWebIdentity", kStsVersion,
                                 {{"RoleArn", options.role_arn},
                                  {"RoleSessionName", SessionName(options.role_session_name)},
                                  {"WebIdentityToken", jwt}});
  const std::string what = "STS AssumeRoleWithWebIdentity " + options.role_arn;
  if (!answer) return Status::Error(what + " (" + config_.sts.endpoint + "): " + answer.error());
  auto credentials = ParseStsCredentials(*answer, what);
  if (credentials) credentials->source = options.name;
  return credentials;
}

}  // namespace stockpipe::aws
