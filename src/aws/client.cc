#include "aws/client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "aws/encoding.h"
#include "codec/backoff.h"
#include "codec/sha256.h"
#include "codec/xml.h"

namespace stockpipe::aws {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string EnvOr(const GetEnv& getenv, const std::string& name) {
  return aws::EnvOr(getenv, name.c_str());
}

// Errors a retry cannot fix: the request or the peer's identity is wrong, not the moment.
bool IsPermanentTransportError(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_LOGIN_DENIED:
    case CURLE_OUT_OF_MEMORY:
      return true;
    default:
      return false;
  }
}

std::string ErrorMessage(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object()) {
    for (const char* key : {"message", "Message", "errorMessage"}) {
      if (json.contains(key) && json[key].is_string()) return json[key].get<std::string>();
    }
    return {};
  }
  return XmlText(body, "Message").value_or("");
}

std::string Describe(const HttpResponse& response) {
  std::string code = ErrorCode(response.body);
  if (code.empty()) code = response.Header("x-amzn-errortype");
  const std::string message = ErrorMessage(response.body);
  std::string text = code.empty() ? "error" : code;
  if (!message.empty()) text += ": " + message;
  return text + " (HTTP " + std::to_string(response.status) + ")";
}

std::size_t AppendBody(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

std::size_t AppendHeader(char* data, std::size_t size, std::size_t count, void* out) {
  const std::string_view line(data, size * count);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(out);
    headers->emplace_back(std::move(name), std::string(value));
  } else if (line.starts_with("HTTP/")) {
    // A new status line (after 100 Continue or a redirect) starts a new header block.
    static_cast<std::vector<std::pair<std::string, std::string>>*>(out)->clear();
  }
  return size * count;
}

}  // namespace

struct Client::Handle {
  CURL* curl = curl_easy_init();
  ~Handle() { curl_easy_cleanup(curl); }
};

std::string EndpointFor(const Service& service, const std::string& region, const GetEnv& getenv) {
  std::string endpoint = EnvOr(getenv, "AWS_ENDPOINT_URL_" + std::string(service.env_name));
  if (endpoint.empty()) endpoint = EnvOr(getenv, "AWS_ENDPOINT_URL");
  if (endpoint.empty()) {
    endpoint = "https://" + std::string(service.host_prefix) + "." + region + ".amazonaws.com";
  }
  while (endpoint.ends_with('/')) endpoint.pop_back();
  return endpoint;
}

Result<ClientOptions> OptionsFromEnvironment(const Service& service, const GetEnv& getenv) {
  return OptionsFromEnvironment(service, getenv, DefaultCredentialChain(getenv));
}

Result<ClientOptions> OptionsFromEnvironment(const Service& service, const GetEnv& getenv,
                                             std::shared_ptr<CredentialChain> chain) {
  ClientOptions options;
  options.service = service;
  options.region = RegionFromEnvironment(getenv);
  if (options.region.empty()) {
    return Status::Error(
        "AWS region not set: set AWS_REGION (for example eu-central-1) or the profile's region");
  }
  auto credentials = chain->Get();
  if (!credentials) return credentials.status();
  options.credentials = std::move(chain);
  options.endpoint = EndpointFor(service, options.region, getenv);
  options.ca_bundle = EnvOr(getenv, "AWS_CA_BUNDLE");
  return options;
}

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

std::string ErrorCode(std::string_view body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_object()) {
    for (const char* key : {"__type", "code", "Code"}) {
      if (json.contains(key) && json[key].is_string()) {
        std::string type = json[key].get<std::string>();
        const auto hash = type.rfind('#');
        return hash == std::string::npos ? type : type.substr(hash + 1);
      }
    }
    return {};
  }
  return XmlText(body, "Code").value_or("");
}

bool IsRetryable(long status, std::string_view body) {
  if (status >= 500 || status == 429) return true;
  if (status < 400) return false;
  static constexpr std::array<std::string_view, 15> kThrottling = {
      "Throttling",
      "ThrottlingException",
      "ThrottledException",
      "RequestThrottledException",
      "TooManyRequestsException",
      "ProvisionedThroughputExceededException",
      "TransactionInProgressException",
      "RequestLimitExceeded",
      "BandwidthLimitExceeded",
      "LimitExceededException",
      "RequestThrottled",
      "SlowDown",
      "PriorRequestNotComplete",
      "KMSThrottlingException",
      "RequestTimeout"};
  const std::string code = ErrorCode(body);
  return std::find(kThrottling.begin(), kThrottling.end(), code) != kThrottling.end();
}

std::string FormEncode(std::vector<std::pair<std::string, std::string>> params) {
  for (auto& [key, value] : params) {
    key = UriEncode(key);
    value = UriEncode(value);
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

Client::Client(ClientOptions options) : options_(std::move(options)) {
  GlobalInitOnce();
  sigv4_ = "aws:amz:" + options_.region + ":" + std::string(options_.service.signing_name);
}

Client::~Client() = default;

std::unique_ptr<Client::Handle> Client::Acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  return std::make_unique<Handle>();
}

void Client::Release(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(handle));
}

Result<HttpResponse> Client::Send(std::string_view operation, const HttpRequest& request) {
  std::string url = options_.endpoint + request.path;
  if (!request.query.empty()) url += "?" + FormEncode(request.query);

  std::vector<std::pair<std::string, std::string>> headers = request.headers;
  const auto has_header = [&](std::string_view name) {
    return std::any_of(headers.begin(), headers.end(), [&](const auto& header) {
      return std::equal(header.first.begin(), header.first.end(), name.begin(), name.end(),
                        [](char a, char b) { return std::tolower(a) == std::tolower(b); });
    });
  };
  if (options_.service.signing_name == kS3.signing_name && !has_header("x-amz-content-sha256")) {
    headers.emplace_back("x-amz-content-sha256", Sha256Hex(request.body));
  }
  if (!has_header("Content-Type")) headers.emplace_back("Content-Type", "application/octet-stream");

  const RetryPolicy& policy = options_.retry;
  const std::string op(operation);
  auto handle = Acquire();
  Result<HttpResponse> outcome = Status::Error("not sent");
  curl_slist* header_list = nullptr;
  int attempt = 1;
  for (;; ++attempt) {
    // Asked on every attempt: a retry after the credentials' refresh point signs with new ones.
    Credentials credentials;
    if (options_.credentials) {
      auto current = options_.credentials->Get();
      if (!current) {
        outcome = Status::Error(std::string(options_.service.signing_name) + " " + op + ": " +
                                current.error());
        break;
      }
      credentials = std::move(*current);
    }
    curl_slist_free_all(header_list);
    header_list = nullptr;
    for (const auto& [name, value] : headers) {
      header_list = curl_slist_append(header_list, (name + ": " + value).c_str());
    }
    if (!credentials.session_token.empty()) {
      header_list = curl_slist_append(
          header_list, ("X-Amz-Security-Token: " + credentials.session_token).c_str());
    }
    CURL* curl = handle->curl;
    curl_easy_reset(curl);
    HttpResponse response;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_bundle.empty()) {
      curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options_.request_timeout_ms);
    if (options_.credentials) {
      curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4_.c_str());
      curl_easy_setopt(curl, CURLOPT_USERNAME, credentials.access_key_id.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, credentials.secret_access_key.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, AppendHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
    if (request.method == "GET") {
      curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else {
      // The body goes in as POSTFIELDS so libcurl can hash it for the signature.
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      if (request.method != "POST") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      }
    }

    const CURLcode code = curl_easy_perform(curl);
    std::string failure;
    bool retry = false;
    if (code != CURLE_OK) {
      failure = curl_easy_strerror(code);
      outcome = Status::Error(std::string(options_.service.signing_name) + " " + op + ": " +
                              failure + " (" + options_.endpoint + ")");
      retry = !IsPermanentTransportError(code);
    } else {
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
      retry = IsRetryable(response.status, response.body);
      if (retry) failure = Describe(response);
      outcome = std::move(response);
    }
    if (!retry || attempt >= policy.max_attempts) break;
    const std::int64_t wait = BackoffWait(
        {.base_delay_us = policy.base_delay_us, .max_delay_us = policy.max_delay_us}, attempt - 1);
    spdlog::warn("aws {} {}: attempt {}/{} failed ({}); retrying in {} ms",
                 options_.service.signing_name, op, attempt, policy.max_attempts, failure,
                 wait / 1000);
    std::this_thread::sleep_for(std::chrono::microseconds(wait));
  }
  curl_slist_free_all(header_list);
  Release(std::move(handle));

  const bool failed = !outcome.ok() || outcome->status >= 500 || outcome->status == 429 ||
                      (outcome->status >= 400 && IsRetryable(outcome->status, outcome->body));
  {
    std::lock_guard lock(mutex_);
    OperationStats& stats = stats_[op];
    ++stats.calls;
    stats.attempts += static_cast<std::uint64_t>(attempt);
    stats.retries += static_cast<std::uint64_t>(attempt - 1);
    if (failed) ++stats.failures;
  }
  if (failed && attempt > 1) {
    spdlog::error("aws {} {}: gave up after {} attempts", options_.service.signing_name, op,
                  attempt);
  }
  return outcome;
}

Result<std::string> Client::CallJson(std::string_view target_prefix, std::string_view operation,
                                     std::string body, std::string_view json_version) {
  HttpRequest request;
  request.headers = {{"Content-Type", "application/x-amz-json-" + std::string(json_version)},
                     {"X-Amz-Target", std::string(target_prefix) + "." + std::string(operation)}};
  request.body = std::move(body);
  auto response = Send(operation, request);
  if (!response) return response.status();
  if (response->status / 100 != 2) {
    return Status::Error(std::string(operation) + ": " + Describe(*response));
  }
  return std::move(response->body);
}

Result<std::string> Client::CallQuery(
    std::string_view action, std::string_view version,
    const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<std::pair<std::string, std::string>> form = params;
  form.emplace_back("Action", std::string(action));
  form.emplace_back("Version", std::string(version));
  HttpRequest request;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = FormEncode(std::move(form));
  auto response = Send(action, request);
  if (!response) return response.status();
  if (response->status / 100 != 2) {
    return Status::Error(std::string(action) + ": " + Describe(*response));
  }
  return std::move(response->body);
}

std::map<std::string, OperationStats> Client::Stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace stockpipe::aws
