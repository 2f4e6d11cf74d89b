// `stockpipe serve`: the dashboard over the data folder, until Ctrl-C (see docs/dashboard.md).
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "pipeline/backends.h"
#include "serve/http_server.h"

namespace stockpipe {

std::unique_ptr<serve::HttpServer> StartDashboard(const Config& config, const HttpChoice& http,
                                                  int& exit_code) {
  const serve::HttpServerOptions options = serve::HttpServerOptions::From(config);
  if (Status s = serve::CheckExposure(options.listen, http.allow_remote, !options.token.empty());
      !s.ok()) {
    spdlog::error("serve: {}", s.message());
    exit_code = 2;
    return nullptr;
  }
  const bool plain_ok = http.allow_plain_http || config.serve.allow_plain_http;
  const bool has_token = !options.token.empty(), tls = !options.tls_cert.empty();
  if (Status s = serve::CheckTransport(options.listen, has_token, tls, plain_ok); !s.ok()) {
    spdlog::error("serve: {}", s.message());
    exit_code = 2;
    return nullptr;
  }
  if (Status s = serve::CheckTls(options); !s.ok()) {
    spdlog::error("serve: {}", s.message());
    exit_code = 2;
    return nullptr;
  }
  if (!tls && has_token && !serve::IsLoopback(options.listen.host)) {
    spdlog::warn(
        "serve: plain HTTP with a token on a non-loopback address (--insecure-http): only behind "
        "a TLS reverse proxy");
  }
  auto data = OpenDashboardData(config);
  if (!data) {
    spdlog::error("serve: {}", data.error());
    exit_code = 2;
    return nullptr;
  }
  auto server = serve::HttpServer::Start(config, options, std::move(*data));
  if (!server) {
    spdlog::error("serve: {}", server.error());
    exit_code = 1;
    return nullptr;
  }
  return std::move(*server);
}

int RunServe(const Config& config, const HttpChoice& http) {
  int exit_code = 0;
  auto server = StartDashboard(config, http, exit_code);
  if (!server) return exit_code;
  spdlog::info("serve: read-only over {}; Ctrl-C stops",
               config.backends.store == "dynamodb" ? "DynamoDB table " + config.aws.dynamodb_table +
                                                         " and " + config.aws.state_table
                                                   : config.data_dir);
  // The signal handler can only set a flag: it is polled.
  while (SleepUnlessStopping(std::chrono::milliseconds(200))) {
  }
  server->Stop();
  spdlog::info("serve: stopped");
  return 0;
}

}  // namespace stockpipe
