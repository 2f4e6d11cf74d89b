#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/local_pipeline.h"
#include "cli/shutdown.h"
#include "serve/http_server.h"
#include "trends/watchdog.h"

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
  auto settings = TrendsSettingsFrom(config.trends);
  if (!settings) {
    spdlog::error("{}", settings.error());
    return 1;
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

  auto store = OpenCleanStore(config);
  auto state = OpenStateStore(config);
  auto stream = OpenStream(config);
  auto channels = OpenChannels(config);
  if (!store || !state || !stream || !channels) {
    failed.Add("trends timer", !store    ? store.error()
                               : !state  ? state.error()
                               : !stream ? stream.error()
                                         : channels.error());
  } else {
    Outbox& outbox = *channels->outbox;
    TrendsJob job(**store, **state, channels->all(), *settings);
    Watchdog watchdog(**state, config.no_data_after, settings->lang, NowMicros());
    Micros next_trends = NowMicros() + config.trends.every;
    spdlog::info("run: trends every {} s, no-data alarm after {} s; Ctrl-C stops",
                 config.trends.every / 1'000'000, config.no_data_after / 1'000'000);
    while (SleepUnlessStopping(std::chrono::milliseconds(500))) {
      const Micros now = NowMicros();
      // Alerts a channel could not take earlier (here or in another process) are retried once
      // due; a channel's own errors are logged by the outbox and never stop the loop, but the
      // outbox's file failing does.
      if (auto delivered = outbox.DeliverDue(now); !delivered) {
        failed.Add("alerts outbox", delivered.error());
        break;
      }
      auto last_put = (*stream)->LastPut();
      if (!last_put) {
        failed.Add("watchdog", last_put.error());
        break;
      }
      // To every channel through the outbox: queued durably, retried until taken.
      auto change = watchdog.Check(
          now, *last_put, [&](const AlertMessage& message) { return outbox.Send(message); });
      if (!change) {
        failed.Add("watchdog", change.error());
        break;
      }
      if (now >= next_trends) {
        next_trends = now + config.trends.every;
        auto run = job.RunOnce(now);
        if (!run) {
          failed.Add("trends timer", run.error());
          break;
        }
        for (const std::string& e : run->channel_errors) spdlog::error("trends: channel {}", e);
        spdlog::info("trends: {} symbols checked, {} alerts, {} held back by cooldown",
                     run->symbols_checked, run->alerts.size(), run->suppressed_by_cooldown);
      }
    }
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
