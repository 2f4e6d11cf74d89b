// Who may reach the dashboard: the rules `stockpipe serve` applies before it answers anything.
//
// - Loopback (127.0.0.0/8, ::1, localhost) is served as it is; any other address only with
//   --allow-remote *and* a token (CheckExposure says which is missing), and only over TLS unless
//   plain HTTP is asked for explicitly (CheckTransport): the token must not cross a network in
//   clear text.
// - A token is compared in constant time in the length of what was sent, so the time an answer
//   takes does not tell how much of a guess was right.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/result.h"

namespace stockpipe::serve {

// 127.0.0.0/8, ::1 and localhost.
bool IsLoopback(std::string_view host);

// Why `listen` may not be used, or Ok: an address that is not loopback needs `allow_remote`
// (the --allow-remote flag) and a token (STOCKPIPE_HTTP_TOKEN); the message names what is missing.
Status CheckExposure(const HostPort& listen, bool allow_remote, bool has_token);

// Why `listen` may not be served over plain HTTP, or Ok: a token sent to a non-loopback address
// needs TLS (`tls`: [serve] tls_cert and tls_key) or the explicit opt-out `allow_plain_http`
// (--insecure-http / [serve] allow_plain_http, for a TLS reverse proxy in front).
Status CheckTransport(const HostPort& listen, bool has_token, bool tls, bool allow_plain_http);

// Whether `sent` is `expected` (never true for an empty `expected`).
bool SameSecret(std::string_view sent, std::string_view expected);

// The token of an `Authorization: Bearer <token>` header.
std::optional<std::string_view> BearerToken(std::string_view authorization);

// The value of cookie `name` in a Cookie header ("a=1; b=2").
std::optional<std::string_view> CookieValue(std::string_view header, std::string_view name);

// The host part of a Host header: "127.0.0.1:8080" -> "127.0.0.1", "[::1]:80" -> "::1".
std::string_view HostOnly(std::string_view header);

// A host as a URL writes it: IPv6 addresses in brackets.
std::string UrlHost(const std::string& host);

}  // namespace stockpipe::serve
