#include "serve/access.h"

#include <arpa/inet.h>
#include <fmt/format.h>

namespace stockpipe::serve {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool SameSecret(std::string_view sent, std::string_view expected) {
  if (expected.empty()) return false;
  volatile unsigned char diff = sent.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    diff = diff | static_cast<unsigned char>(sent[i] ^ expected[i % expected.size()]);
  }
  return diff == 0;
}

std::optional<std::string_view> BearerToken(std::string_view authorization) {
  if (!authorization.starts_with("Bearer ")) return std::nullopt;
  return Trim(authorization.substr(7));
}

std::optional<std::string_view> CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const std::size_t semi = header.find(';');
    const std::string_view pair = Trim(header.substr(0, semi));
    const std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && Trim(pair.substr(0, eq)) == name) {
      return Trim(pair.substr(eq + 1));
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return std::nullopt;
}

std::string_view HostOnly(std::string_view header) {
  if (header.starts_with('[')) {
    const std::size_t end = header.find(']');
    return end == std::string_view::npos ? header : header.substr(1, end - 1);
  }
  return header.substr(0, header.find(':'));
}

std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]", host) : host;
}

bool IsLoopback(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  in_addr v4{};
  const std::string text(host);
  return inet_pton(AF_INET, text.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

Status CheckExposure(const HostPort& listen, bool allow_remote, bool has_token) {
  if (IsLoopback(listen.host) || (allow_remote && has_token)) return Status::Ok();
  const std::string_view missing = !allow_remote && !has_token
                                       ? "pass --allow-remote and set STOCKPIPE_HTTP_TOKEN"
                                   : !allow_remote ? "pass --allow-remote"
                                                   : "set STOCKPIPE_HTTP_TOKEN";
  return Status::Error(fmt::format(
      "refusing to serve the dashboard on {}:{}: it is not a loopback address, so anyone who can "
      "reach it could read it; {} to allow it (or use 127.0.0.1)",
      UrlHost(listen.host), listen.port, missing));
}

Status CheckTransport(const HostPort& listen, bool has_token, bool tls, bool allow_plain_http) {
  if (IsLoopback(listen.host) || !has_token || tls || allow_plain_http) return Status::Ok();
  return Status::Error(fmt::format(
      "refusing to serve the dashboard on {}:{} over plain HTTP: every request carries the token "
      "(STOCKPIPE_HTTP_TOKEN), which anyone on the network could read; set [serve] tls_cert and "
      "tls_key (PEM files) to serve HTTPS, or pass --insecure-http (or [serve] allow_plain_http = "
      "true) when a TLS reverse proxy in front of it serves HTTPS (docs/dashboard.md)",
      UrlHost(listen.host), listen.port));
}

}  // namespace stockpipe::serve
