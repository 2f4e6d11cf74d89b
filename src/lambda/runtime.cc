#include "lambda/runtime.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <map>
#include <nlohmann/json.hpp>

#include "core/log.h"

namespace stockpipe::lambda {
namespace {

constexpr std::string_view kApiVersion = "/2018-06-01/runtime";

std::size_t AppendBody(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

std::size_t AppendHeader(char* data, std::size_t size, std::size_t count, void* out) {
  std::string_view line(data, size * count);
  const std::size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    static_cast<std::map<std::string, std::string>*>(out)->emplace(std::move(name), value);
  }
  return size * count;
}

}  // namespace

std::int64_t InvocationContext::RemainingMs() const {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return deadline_ms - now;
}

std::string ErrorBody(std::string_view error_type, std::string_view message) {
  nlohmann::json body = {{"errorMessage", std::string(message)},
                         {"errorType", std::string(error_type)},
                         {"stackTrace", nlohmann::json::array()}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// One libcurl handle, reused so the connection to the Runtime API stays open between turns.
struct Runtime::Http {
  Http() {
    static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    (void)initialised;
    curl = curl_easy_init();
  }
  ~Http() {
    if (curl) curl_easy_cleanup(curl);
  }
  CURL* curl = nullptr;
};

Runtime::Runtime(RuntimeOptions options)
    : options_(std::move(options)), http_(std::make_unique<Http>()) {}

Runtime::~Runtime() = default;

Result<std::string> Runtime::Next(InvocationContext& context) {
  CURL* curl = http_->curl;
  if (!curl) return Status::Error("libcurl could not be initialised");
  const std::string url = fmt::format("http://{}{}/invocation/next", options_.api, kApiVersion);
  std::string body;
  std::map<std::string, std::string> headers;
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5'000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 0L);  // long poll: an event may be hours away
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, AppendHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &headers);
  const CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    return Status::Error(
        fmt::format("Runtime API {} unreachable: {}", url, curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return Status::Error(
        fmt::format("Runtime API refused the next invocation (HTTP {}): {}", status, body));
  }
  const auto header = [&](const char* name) {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  };
  context = {};
  context.request_id = header("lambda-runtime-aws-request-id");
  context.function_arn = header("lambda-runtime-invoked-function-arn");
  context.trace_id = header("lambda-runtime-trace-id");
  const std::string deadline = header("lambda-runtime-deadline-ms");
  std::from_chars(deadline.data(), deadline.data() + deadline.size(), context.deadline_ms);
  if (context.request_id.empty()) {
    return Status::Error("Runtime API sent an invocation without Lambda-Runtime-Aws-Request-Id");
  }
  return body;
}

Status Runtime::Post(const std::string& path, std::string_view body, std::string_view error_type) {
  CURL* curl = http_->curl;
  if (!curl) return Status::Error("libcurl could not be initialised");
  const std::string url = fmt::format("http://{}{}{}", options_.api, kApiVersion, path);
  std::string reply;
  curl_slist* list = curl_slist_append(nullptr, "Content-Type: application/json");
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip for big responses
  if (!error_type.empty()) {
    list = curl_slist_append(
        list, fmt::format("Lambda-Runtime-Function-Error-Type: {}", error_type).c_str());
  }
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5'000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options_.post_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(list);
  if (code != CURLE_OK) {
    return Status::Error(
        fmt::format("Runtime API {} unreachable: {}", url, curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status / 100 != 2) {
    return Status::Error(
        fmt::format("Runtime API refused POST {} (HTTP {}): {}", path, status, reply));
  }
  return Status::Ok();
}

Status Runtime::InitError(std::string_view error_type, std::string_view message) {
  spdlog::error("init failed: {}: {}", error_type, message);
  return Post("/init/error", ErrorBody(error_type, message), error_type);
}

Status Runtime::Run(const Handler& handler) {
  for (std::size_t served = 0; options_.max_invocations == 0 || served < options_.max_invocations;
       ++served) {
    InvocationContext context;
    auto event = Next(context);
    if (!event) return event.status();
    // X-Ray and the AWS SDKs find the trace of the current invocation here.
    if (context.trace_id.empty()) {
      ::unsetenv("_X_AMZN_TRACE_ID");
    } else {
      ::setenv("_X_AMZN_TRACE_ID", context.trace_id.c_str(), 1);
    }
    // Every line logged while this invocation is handled carries its id (Lambda's JSON logs).
    log::SetRequestId(context.request_id);

    Result<std::string> result = Status::Error("handler did not run");
    std::string_view error_type = kHandlerErrorType;
    try {
      result = handler(*event, context);
    } catch (const std::exception& e) {
      result = Status::Error(fmt::format("unhandled exception: {}", e.what()));
      error_type = kUnhandledErrorType;
    } catch (...) {
      result = Status::Error("unhandled exception of unknown type");
      error_type = kUnhandledErrorType;
    }

    const std::string base = "/invocation/" + context.request_id;
    Status posted;
    if (result) {
      posted = Post(base + "/response", *result, {});
      if (!posted.ok()) {
        // E.g. over the 6 MB payload limit: end the invocation now instead of at its timeout.
        posted = Post(base + "/error", ErrorBody(kResponseRefusedErrorType, posted.message()),
                      kResponseRefusedErrorType);
      }
    } else {
      spdlog::error("invocation {} failed: {}", context.request_id, result.error());
      posted = Post(base + "/error", ErrorBody(error_type, result.error()), error_type);
    }
    // A refused POST (e.g. a response over the payload limit) fails this invocation only; the
    // Runtime API itself being gone shows up in the next GET.
    if (!posted.ok()) spdlog::error("invocation {}: {}", context.request_id, posted.message());
    log::SetRequestId("");
  }
  return Status::Ok();
}

}  // namespace stockpipe::lambda
