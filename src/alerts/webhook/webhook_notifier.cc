#include "alerts/webhook/webhook_notifier.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "alerts/url_parts.h"

namespace stockpipe {
namespace {

constexpr std::string_view kNotAUrl = "webhook.url is not a URL (expected https://host/path)";

constexpr std::size_t kMaxReplyShown = 200;
constexpr std::size_t kMaxReplyKept = 4096;

bool IsLoopback(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  if (host.rfind("127.", 0) != 0) return false;
  return host.find_first_not_of("0123456789.") == std::string_view::npos;
}

// The reply body as one readable line of at most 200 characters (cut on a UTF-8 boundary).
std::string ShortReply(std::string_view body) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < body.size() && chars < kMaxReplyShown; ++chars) {
    const auto b = static_cast<unsigned char>(body[i]);
    std::size_t n = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : 4;
    if (i + n > body.size()) break;
    if (n == 1 && (b < 0x20 || b == 0x7F)) {
      out += ' ';
    } else {
      out.append(body.substr(i, n));
    }
    i += n;
  }
  if (out.size() < body.size()) out += "...";
  return out;
}

std::size_t KeepReply(char* data, std::size_t size, std::size_t count, void* user) {
  auto& reply = *static_cast<std::string*>(user);
  const std::size_t n = size * count;
  if (reply.size() < kMaxReplyKept) reply.append(data, std::min(n, kMaxReplyKept - reply.size()));
  return n;  // read it all, keep the start: the status code is what decides
}

// Belt and braces: libcurl's messages name host and port only, but nothing of the path or
// query may reach a log even if that changes.
std::string Scrub(std::string text, const UrlParts& url) {
  for (const std::string& secret : {url.path, url.query}) {
    if (secret.size() < 2) continue;
    for (std::size_t at; (at = text.find(secret)) != std::string::npos;) {
      text.replace(at, secret.size(), "<redacted>");
    }
  }
  return text;
}

}  // namespace

Status ValidateWebhookOptions(const WebhookOptions& options) {
  auto url = SplitUrl(options.url, kNotAUrl);
  if (!url) return url.status();
  if (url->scheme != "https" && url->scheme != "http") {
    return Status::Error(
        fmt::format("webhook.url must start with https:// (got {}://)", url->scheme));
  }
  if (url->host.empty()) return Status::Error("webhook.url has no host");
  if (url->scheme == "http" && !options.allow_insecure && !IsLoopback(url->host)) {
    return Status::Error(fmt::format(
        "webhook.url {}: plain http:// is allowed only to this machine; use https:// or set "
        "allow_insecure",
        url->origin()));
  }
  if (options.timeout_ms <= 0) return Status::Error("webhook timeout must be positive");
  return Status::Ok();
}

std::string WebhookPayload(const AlertMessage& message) {
  const Micros created = message.created > 0 ? message.created : NowMicros();
  const nlohmann::json document = {
      {"text", message.subject + "\n\n" + message.body},
      {"subject", message.subject},
      {"body", message.body},
      {"kind", KindName(message.kind)},
      {"created", FormatCanonical(created)},
  };
  // Malformed UTF-8 becomes U+FFFD instead of an exception.
  return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

WebhookNotifier::WebhookNotifier(WebhookOptions options) : options_(std::move(options)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Status WebhookNotifier::Send(const AlertMessage& message) {
  // Checked on every send too: options that skipped config loading still never go plain to
  // another host.
  if (Status status = ValidateWebhookOptions(options_); !status) return status;
  const UrlParts url = *SplitUrl(options_.url, kNotAUrl);
  const std::string payload = WebhookPayload(message);

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl)
    return Status::Error(fmt::format("webhook {}: cannot create a libcurl handle", url.origin()));
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, curl_slist_free_all);
  for (const char* header : {"Content-Type: application/json", "Expect:"}) {
    curl_slist* next = curl_slist_append(headers.get(), header);
    if (!next) return Status::Error("webhook: out of memory building the request headers");
    headers.release();
    headers.reset(next);
  }
  std::string reply;
  char curl_error[CURL_ERROR_SIZE] = {};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  // Debian's libcurl also searches CAPATH /etc/ssl/certs, so this adds to the system store.
  if (!options_.ca_bundle.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_bundle.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "stockpipe-webhook/1");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, KeepReply);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(options_.timeout_ms, 10'000L));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);

  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    const std::string detail = *curl_error ? curl_error : curl_easy_strerror(code);
    return Status::Error(Scrub(fmt::format("webhook {}: {}", url.origin(), detail), url));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return Status::Ok();
  std::string what = fmt::format("webhook {}: HTTP {}", url.origin(), status);
  if (status >= 300 && status < 400) what += " (redirects are not followed)";
  if (!reply.empty()) what += fmt::format(": {}", ShortReply(reply));
  return Status::Error(Scrub(std::move(what), url));
}

}  // namespace stockpipe
