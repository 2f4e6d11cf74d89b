#include "producers/yahoo/chart_client.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <mutex>
#include <optional>

#include "codec/backoff.h"

namespace stockpipe::yahoo {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t AppendBody(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Retry-After is delta-seconds or an HTTP date.
std::optional<Micros> ParseRetryAfter(std::string_view value) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::nullopt;
    return static_cast<Micros>(std::stoll(std::string(value))) * 1'000'000;
  }
  const std::string text(value);
  const time_t at = curl_getdate(text.c_str(), nullptr);
  if (at < 0) return std::nullopt;
  return std::max<Micros>(0, (static_cast<Micros>(at) - std::time(nullptr)) * 1'000'000);
}

bool IsPermanent(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_OUT_OF_MEMORY:
      return true;
    default:
      return false;
  }
}

std::string Snippet(std::string_view body) {
  std::string out(body.substr(0, 200));
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return body.size() > 200 ? out + "..." : out;
}

}  // namespace

struct ChartClient::Reply {
  CURLcode code = CURLE_OK;
  std::string transport_error;
  long status = 0;
  std::string body;
  std::optional<Micros> retry_after;
};

ChartClient::ChartClient(ChartClientOptions options) : options_(std::move(options)) {
  GlobalInit();
  while (!options_.endpoint.empty() && options_.endpoint.back() == '/')
    options_.endpoint.pop_back();
  rng_.seed(options_.seed != 0 ? options_.seed : std::random_device{}());
}

ChartClient::~ChartClient() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

std::string ChartClient::UrlFor(std::string_view symbol) const {
  std::string encoded;
  for (unsigned char c : symbol) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += fmt::format("%{:02X}", c);
    }
  }
  return fmt::format("{}/v8/finance/chart/{}?interval=1m&range=1d", options_.endpoint, encoded);
}

ChartClient::Reply ChartClient::Get(const std::string& url) {
  Reply reply;
  if (!curl_) curl_ = curl_easy_init();
  CURL* curl = static_cast<CURL*>(curl_);
  if (!curl) {
    reply.code = CURLE_FAILED_INIT;
    reply.transport_error = "libcurl could not start";
    return reply;
  }
  curl_easy_reset(curl);
  char error[CURL_ERROR_SIZE] = {};
  std::string headers;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);  // Yahoo moves hosts now and then
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // gzip when offered
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options_.request_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &headers);
  curl_slist* request_headers = curl_slist_append(nullptr, "Accept: application/json");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, request_headers);
  reply.code = curl_easy_perform(curl);
  curl_slist_free_all(request_headers);
  if (reply.code != CURLE_OK) {
    reply.transport_error = error[0] ? error : curl_easy_strerror(reply.code);
    return reply;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  // Header lines of the last response (redirects would repeat them; the last one wins).
  std::size_t at = 0;
  while (at < headers.size()) {
    std::size_t end = headers.find('\n', at);
    if (end == std::string::npos) end = headers.size();
    std::string_view line(headers.data() + at, end - at);
    at = end + 1;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(Trim(line.substr(0, colon)));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name == "retry-after") reply.retry_after = ParseRetryAfter(line.substr(colon + 1));
  }
  return reply;
}

ChartFetch ChartClient::Fetch(std::string_view symbol) {
  ChartFetch out;
  const std::string url = UrlFor(symbol);
  const int attempts = std::max(1, options_.backoff.max_attempts);
  for (int attempt = 0;; ++attempt) {
    Reply reply = Get(url);
    out.attempts = attempt + 1;
    std::string reason;  // set when the answer is worth retrying
    if (reply.code != CURLE_OK) {
      reason = fmt::format("cannot reach {}: {}", options_.endpoint, reply.transport_error);
      if (IsPermanent(reply.code)) {
        out.kind = FetchKind::kFailed;
        out.message = fmt::format("{}: {}", symbol, reason);
        return out;
      }
    } else if (reply.status == 429 || reply.status >= 500) {
      reason = fmt::format("HTTP {}{}", reply.status, reply.status == 429 ? " (rate limited)" : "");
    } else if (reply.status == 200) {
      if (auto error = ParseChartError(reply.body); error && error->code == "Not Found") {
        out.kind = FetchKind::kUnknownSymbol;
        out.message = fmt::format("unknown symbol {}: {}", symbol, error->description);
        return out;
      }
      auto chart = ParseChart(reply.body);
      if (!chart) {
        out.kind = FetchKind::kFailed;
        out.message = fmt::format("{}: {}", symbol, chart.error());
        return out;
      }
      out.chart = std::move(*chart);
      if (!out.chart.has_timestamps) {
        out.kind = FetchKind::kEmpty;
        out.message = fmt::format("Yahoo has no 1-minute bars for {} today (empty chart)", symbol);
      } else {
        out.kind = FetchKind::kOk;
      }
      return out;
    } else {
      const auto error = ParseChartError(reply.body);
      if (reply.status == 404 && error && error->code == "Not Found") {
        out.kind = FetchKind::kUnknownSymbol;
        out.message = fmt::format("unknown symbol {}: {}", symbol, error->description);
      } else {
        out.kind = FetchKind::kFailed;
        out.message = fmt::format(
            "{}: HTTP {} from {}: {}", symbol, reply.status, url,
            error ? fmt::format("{}: {}", error->code, error->description) : Snippet(reply.body));
        if (reply.status == 404) out.message += " (is --endpoint the chart API?)";
      }
      return out;
    }

    if (attempt + 1 >= attempts) {
      out.kind = FetchKind::kFailed;
      out.message = fmt::format("{}: {}; gave up after {} attempts", symbol, reason, attempts);
      return out;
    }
    const Backoff& b = options_.backoff;
    const Micros wait = BackoffWait({b.base_delay, b.max_delay, b.max_retry_after}, attempt, rng_,
                                    reply.retry_after);
    spdlog::warn("yahoo {}: {}; retry {} of {} in {:.1f} s{}", symbol, reason, attempt + 1,
                 attempts - 1, static_cast<double>(wait) / 1e6,
                 reply.retry_after ? " (Retry-After)" : "");
    if (!options_.sleep(wait)) {
      out.kind = FetchKind::kStopped;
      out.message = fmt::format("{}: stopped while backing off", symbol);
      return out;
    }
  }
}

}  // namespace stockpipe::yahoo
