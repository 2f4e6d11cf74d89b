#include "alerts/url_parts.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <memory>

namespace stockpipe {

std::string UrlParts::origin() const {
  return fmt::format("{}://{}:{}", scheme, host, port);
}

Result<UrlParts> SplitUrl(const std::string& url, std::string_view not_a_url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> handle(curl_url(), curl_url_cleanup);
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return Status::Error(std::string(not_a_url));
  }
  const auto get = [&](CURLUPart part, unsigned flags = 0) {
    char* value = nullptr;
    std::string out;
    if (curl_url_get(handle.get(), part, &value, flags) == CURLUE_OK && value) out = value;
    curl_free(value);
    return out;
  };
  return UrlParts{
      get(CURLUPART_SCHEME), get(CURLUPART_HOST),  get(CURLUPART_PORT, CURLU_DEFAULT_PORT),
      get(CURLUPART_PATH),   get(CURLUPART_QUERY), get(CURLUPART_USER)};
}

}  // namespace stockpipe
