#include "aws/metadata_credentials.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aws/client.h"

namespace stockpipe::aws {
namespace {

constexpr std::string_view kContainerHost = "http://169.254.170.2";
// Not signed; the names only label the client's log lines and errors.
constexpr Service kContainerEndpoint{"container-credentials", "", ""};
constexpr Service kInstanceMetadata{"imds", "", ""};

struct Url {
  std::string base;  // scheme://authority
  std::string path;  // from the first '/', query included
};

Result<Url> SplitUrl(const std::string& uri) {
  const auto scheme_end = uri.find("://");
  if (scheme_end == std::string::npos) return Status::Error("'" + uri + "' is not a URL");
  const auto path_start = uri.find('/', scheme_end + 3);
  if (path_start == std::string::npos) return Url{uri, "/"};
  return Url{uri.substr(0, path_start), uri.substr(path_start)};
}

ClientOptions MetadataClient(const Service& service, const std::string& endpoint,
                             const MetadataTimeouts& timeouts, const GetEnv& getenv) {
  ClientOptions options;
  options.service = service;
  options.region = "us-east-1";  // unsigned: no region is used
  options.endpoint = endpoint;
  options.connect_timeout_ms = timeouts.connect_ms;
  options.request_timeout_ms = timeouts.request_ms;
  options.retry.max_attempts = timeouts.attempts;
  options.ca_bundle = EnvOr(getenv, "AWS_CA_BUNDLE");
  return options;
}

std::string ReadTrimmed(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  if (file) text << file.rdbuf();
  std::string out = text.str();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) {
    out.pop_back();
  }
  return out;
}

}  // namespace

Result<Credentials> ParseMetadataCredentials(const std::string& json, const std::string& what) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (!doc.is_object()) return Status::Error(what + ": the answer is not a JSON object");
  const auto text = [&](const char* key) -> std::string {
    return doc.contains(key) && doc[key].is_string() ? doc[key].get<std::string>() : "";
  };
  if (const std::string code = text("Code"); !code.empty() && code != "Success") {
    return Status::Error(what + ": Code " + code +
                         (text("Message").empty() ? "" : ": " + text("Message")));
  }
  Credentials credentials{text("AccessKeyId"), text("SecretAccessKey"), text("Token"), what,
                          std::nullopt};
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return Status::Error(what + ": the answer lacks AccessKeyId or SecretAccessKey");
  }
  if (doc.contains("Expiration")) {
    auto at = ParseExpiration(text("Expiration"), what);
    if (!at) return at.status();
    credentials.expiration = *at;
  }
  return credentials;
}

Status CheckContainerUri(const std::string& uri) {
  auto url = SplitUrl(uri);
  if (!url) return url.status();
  std::string base = url->base;
  std::transform(base.begin(), base.end(), base.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (base.starts_with("https://")) return Status::Ok();
  if (!base.starts_with("http://")) {
    return Status::Error("AWS_CONTAINER_CREDENTIALS_FULL_URI must be http or https");
  }
  std::string host = base.substr(7);
  if (const auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
  if (host.starts_with('[')) {
    host = host.substr(1, host.find(']') - 1);
  } else if (const auto colon = host.find(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  const bool loopback_v4 = host.starts_with("127.") &&
                           std::count(host.begin(), host.end(), '.') == 3 &&
                           host.find_first_not_of("0123456789.") == std::string::npos;
  const bool allowed = loopback_v4 || host == "localhost" || host == "::1" ||
                       host == "169.254.170.2" || host == "169.254.170.23" ||
                       host == "fd00:ec2::23";
  if (!allowed) {
    return Status::Error(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI over http must point to a loopback "
        "address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23, not " +
        host);
  }
  return Status::Ok();
}

Result<Credentials> ContainerProvider::Fetch() {
  const std::string relative = EnvOr(getenv_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const std::string full = EnvOr(getenv_, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  std::string uri;
  if (!relative.empty()) {
    uri = std::string(kContainerHost) + (relative.starts_with('/') ? "" : "/") + relative;
  } else if (!full.empty()) {
    if (Status allowed = CheckContainerUri(full); !allowed) return allowed;
    uri = full;
  } else {
    return Status::Error(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set");
  }
  auto url = SplitUrl(uri);
  if (!url) return url.status();

  HttpRequest request;
  request.method = "GET";
  request.path = url->path;
  const std::string token_file = EnvOr(getenv_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  std::string token = token_file.empty() ? EnvOr(getenv_, "AWS_CONTAINER_AUTHORIZATION_TOKEN")
                                         : ReadTrimmed(token_file);
  if (!token_file.empty() && token.empty()) {
    return Status::Error("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + token_file +
                         " is missing or empty");
  }
  if (token.find_first_of("\r\n") != std::string::npos) {
    return Status::Error("the container authorization token holds a line break");
  }
  if (!token.empty()) request.headers.emplace_back("Authorization", token);
  request.headers.emplace_back("Accept", "application/json");

  Client client(MetadataClient(kContainerEndpoint, url->base, timeouts_, getenv_));
  const std::string what = "container endpoint " + uri;
  auto response = client.Send("GetCredentials", request);
  if (!response) return Status::Error(response.error());
  if (response->status != 200) {
    return Status::Error(what + ": HTTP " + std::to_string(response->status));
  }
  return ParseMetadataCredentials(response->body, what);
}

Result<Credentials> ImdsProvider::Fetch() {
  if (EnvOr(getenv_, "AWS_EC2_METADATA_DISABLED") == "true") {
    return Status::Error("disabled by AWS_EC2_METADATA_DISABLED=true");
  }
  std::string endpoint = EnvOr(getenv_, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (endpoint.empty()) {
    std::string mode = EnvOr(getenv_, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    std::transform(mode.begin(), mode.end(), mode.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    endpoint = mode == "ipv6" ? "http://[fd00:ec2::254]" : "http://169.254.169.254";
  }
  while (endpoint.ends_with('/')) endpoint.pop_back();
  Client client(MetadataClient(kInstanceMetadata, endpoint, timeouts_, getenv_));

  HttpRequest token_request;
  token_request.method = "PUT";
  token_request.path = "/latest/api/token";
  token_request.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  auto token = client.Send("GetToken", token_request);
  if (!token) return Status::Error(endpoint + ": " + token.error());
  if (token->status != 200 || token->body.empty()) {
    return Status::Error(endpoint + ": no IMDSv2 token (HTTP " + std::to_string(token->status) +
                         ")");
  }

  const std::string base = "/latest/meta-data/iam/security-credentials/";
  HttpRequest roles;
  roles.method = "GET";
  roles.path = base;
  roles.headers = {{"X-aws-ec2-metadata-token", token->body}};
  auto role = client.Send("GetRole", roles);
  if (!role) return Status::Error(endpoint + ": " + role.error());
  if (role->status == 404)
    return Status::Error(endpoint + ": no IAM role attached to the instance");
  std::string name = role->body.substr(0, role->body.find('\n'));
  while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.pop_back();
  if (role->status != 200 || name.empty() || name.find('/') != std::string::npos) {
    return Status::Error(endpoint + ": no role name in " + base + " (HTTP " +
                         std::to_string(role->status) + ")");
  }

  HttpRequest fetch = roles;
  fetch.path = base + name;
  auto answer = client.Send("GetCredentials", fetch);
  if (!answer) return Status::Error(endpoint + ": " + answer.error());
  const std::string what = "EC2 instance metadata role " + name;
  if (answer->status != 200) {
    return Status::Error(what + ": HTTP " + std::to_string(answer->status));
  }
  return ParseMetadataCredentials(answer->body, what);
}

}  // namespace stockpipe::aws
