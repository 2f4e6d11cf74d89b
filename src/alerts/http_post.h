// One HTTPS POST of a JSON document, for the channels that speak HTTP (webhook, Telegram,
// Discord): one libcurl setup, so every such channel has the same safety rules.
//
// Guarantees:
//  - Certificates are always verified (system store plus `ca_bundle`); redirects are never
//    followed; only http and https are spoken.
//  - The URL may carry a secret (a webhook's path, a bot token): no error message holds more of
//    it than scheme://host:port, whatever libcurl says.
//  - A reply of any status is a reply, not an error: the caller reads the status and the body.
//    Only a transport failure (no connection, TLS, timeout) is an error.
// Thread-safe: each call uses its own libcurl handle.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "alerts/url_parts.h"
#include "core/result.h"

namespace stockpipe {

struct HttpPost {
  std::string url;           // whole URL, secret parts included
  std::string body;          // JSON
  std::string ca_bundle;     // extra CA file (PEM); verification is never switched off
  long timeout_ms = 10'000;  // whole request
  std::string_view user_agent = "stockpipe/1";
  std::size_t max_reply = 4096;  // bytes of the reply body kept (the rest is read and dropped)
};

struct HttpReply {
  long status = 0;
  std::string body;         // its first `max_reply` bytes
  std::string retry_after;  // the Retry-After header, empty when absent
};

// Errors read "<who> <scheme://host:port>: <what went wrong>".
Result<HttpReply> PostJson(const HttpPost& post, std::string_view who);

// Checks a channel's URL as the webhook always has: http or https with a host, plain http only
// to this machine (localhost, 127.0.0.0/8, ::1) unless `allow_insecure`. Messages name `field`
// ("webhook.url") and never the URL's path or query.
Result<UrlParts> CheckChannelUrl(const std::string& url, std::string_view field,
                                 bool allow_insecure);

bool IsLoopbackHost(std::string_view host);

// A reply body as one readable line of at most 200 characters (cut on a UTF-8 boundary, control
// characters as spaces, "..." when cut).
std::string ShortReply(std::string_view body);

// `text` with the URL's path and query (its secret parts) replaced by "<redacted>".
std::string ScrubUrl(std::string text, const UrlParts& url);

}  // namespace stockpipe
