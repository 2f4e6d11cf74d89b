#include "alerts/http_post.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <mutex>

namespace stockpipe {
namespace {

constexpr std::size_t kMaxReplyShown = 200;

struct Kept {
  std::string& body;
  std::size_t max;
};

std::size_t KeepReply(char* data, std::size_t size, std::size_t count, void* user) {
  auto& kept = *static_cast<Kept*>(user);
  const std::size_t n = size * count;
  if (kept.body.size() < kept.max) kept.body.append(data, std::min(n, kept.max - kept.body.size()));
  return n;  // read it all, keep the start
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  if (host.rfind("127.", 0) != 0) return false;
  return host.find_first_not_of("0123456789.") == std::string_view::npos;
}

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

// Belt and braces: libcurl's messages name host and port only, but nothing of the path or
// query may reach a log even if that changes.
std::string ScrubUrl(std::string text, const UrlParts& url) {
  for (const std::string& secret : {url.path, url.query}) {
    if (secret.size() < 2) continue;
    for (std::size_t at; (at = text.find(secret)) != std::string::npos;) {
      text.replace(at, secret.size(), "<redacted>");
    }
  }
  return text;
}

Result<UrlParts> CheckChannelUrl(const std::string& url, std::string_view field,
                                 bool allow_insecure) {
  auto parts = SplitUrl(url, fmt::format("{} is not a URL (expected https://host/path)", field));
  if (!parts) return parts.status();
  if (parts->scheme != "https" && parts->scheme != "http") {
    return Status::Error(
        fmt::format("{} must start with https:// (got {}://)", field, parts->scheme));
  }
  if (parts->host.empty()) return Status::Error(fmt::format("{} has no host", field));
  if (parts->scheme == "http" && !allow_insecure && !IsLoopbackHost(parts->host)) {
    return Status::Error(
        fmt::format("{} {}: plain http:// is allowed only to this machine; use https:// or set "
                    "allow_insecure",
                    field, parts->origin()));
  }
  return parts;
}

Result<HttpReply> PostJson(const HttpPost& post, std::string_view who) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  auto url = SplitUrl(post.url, fmt::format("{}: not a URL", who));
  if (!url) return url.status();

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl)
    return Status::Error(fmt::format("{} {}: cannot create a libcurl handle", who, url->origin()));
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, curl_slist_free_all);
  for (const char* header : {"Content-Type: application/json", "Expect:"}) {
    curl_slist* next = curl_slist_append(headers.get(), header);
    if (!next) return Status::Error(fmt::format("{}: out of memory building the headers", who));
    headers.release();
    headers.reset(next);
  }
  const std::string user_agent(post.user_agent);
  HttpReply reply;
  Kept kept{reply.body, post.max_reply};
  char curl_error[CURL_ERROR_SIZE] = {};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, post.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  // Debian's libcurl also searches CAPATH /etc/ssl/certs, so this adds to the system store.
  if (!post.ca_bundle.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, post.ca_bundle.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, post.body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post.body.size()));
  curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, KeepReply);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &kept);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, post.timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, std::min(post.timeout_ms, 10'000L));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);

  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    const std::string detail = *curl_error ? curl_error : curl_easy_strerror(code);
    return Status::Error(ScrubUrl(fmt::format("{} {}: {}", who, url->origin(), detail), *url));
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_header* retry = nullptr;
  if (curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &retry) == CURLHE_OK && retry) {
    reply.retry_after = retry->value;
  }
  return reply;
}

}  // namespace stockpipe
