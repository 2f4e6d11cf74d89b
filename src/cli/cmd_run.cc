#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "pipeline/backends.h"
#include "pipeline/shutdown.h"
#include "pipeline/trends_service.h"
#include "serve/http_server.h"
#include "sqlite/database.h"
#include "trends/trends_job.h"

namespace stockpipe {
namespace {

// The parts of a run that stopped for good, with why; the first one stops the others.
class PartFailures {
 public:
  void Add(std::string_view part, std::string_view why) {
    spdlog::error("run: {} failed: {}", part, why);
    {
      std::lock_guard lock(mutex_);
      parts_.push_back(fmt::format("{} ({})", part, why));
    }
    RequestStop();
  }
  std::vector<std::string> Parts() const {
    std::lock_guard lock(mutex_);
    return parts_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> parts_;
};

}  // namespace

int RunPipeline(const Config& config, const std::optional<ProduceOptions>& producer,
                const HttpChoice& http) {
  auto settings = TrendsSettingsFrom(config.trends, config.candles.intervals);
  if (!settings) {
    spdlog::error("{}", settings.error());
    return 1;
  }
  // Ingest, trends, the watchdog and the dashboard must all see the same data.
  if (Status s = CheckOneDataFolder(config); !s.ok()) {
    spdlog::error("configuration: {}", s.message());
    return 2;
  }
  sqlite::SetWritersInProcess();
  // The dashboard first: an address that cannot be served stops the run before anything moves.
  std::unique_ptr<serve::HttpServer> dashboard;
  if (http.enabled) {
    int code = 0;
    dashboard = StartDashboard(config, http, code);
    if (!dashboard) return code;
  }
  // Each stage runs in its own thread with its own connections, as separate processes would.
  // A part that stops for good (an error, not a requested stop) stops the whole run: the others
  // drain what they can and `run` exits 1 naming it, never "stopped cleanly".
  PartFailures failed;
  // Ingest stops only after the producer has: its last records are then drained, not left behind.
  std::atomic<bool> producer_done{!producer.has_value()};
  std::thread ingest([&] {
    if (RunIngest(config, false, [&] { return StopRequested() && producer_done.load(); }) != 0) {
      failed.Add("ingest", "the ingest loop stopped with an error (logged above)");
      producer_done = true;  // nothing will drain the stream any more
    }
  });
  std::thread produce;
  if (producer) {
    produce = std::thread([&] {
      if (RunProduce(config, *producer) != 0) {
        failed.Add("producer", "the producer stopped with an error (logged above)");
      }
      // A producer that ends (--count, DURATION_SEC) leaves the rest of the pipeline running.
      if (StopRequested()) producer_done = true;
    });
  }

  TrendsServiceOptions options;
  options.first_run_now = false;  // the store is still filling
  options.watchdog = true;
  options.stop_on_failure = true;
  auto trends = TrendsService::Open(config, options);
  if (!trends) {
    failed.Add("trends timer", trends.error());
  } else if (auto failure = (*trends)->Run(StopRequested)) {
    failed.Add(failure->part, failure->why);
  }
  RequestStop();
  if (dashboard) dashboard->Stop();
  if (produce.joinable()) produce.join();
  producer_done = true;
  ingest.join();
  const std::vector<std::string> parts = failed.Parts();
  if (!parts.empty()) {
    spdlog::error("run: stopped because a part failed: {}", fmt::join(parts, "; "));
    return 1;
  }
  spdlog::info("run: stopped cleanly");
  return 0;
}

}  // namespace stockpipe
