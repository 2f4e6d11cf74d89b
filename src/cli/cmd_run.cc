#include <spdlog/spdlog.h>

#include <thread>

#include "cli/commands.h"
#include "cli/local_pipeline.h"
#include "cli/shutdown.h"
#include "serve/http_server.h"
#include "trends/watchdog.h"

namespace stockpipe {

int RunPipeline(const Config& config, const std::optional<ProduceOptions>& producer,
                const HttpChoice& http) {
  auto settings = TrendsSettingsFrom(config.trends);
  if (!settings) {
    spdlog::error("{}", settings.error());
    return 1;
  }
  // The dashboard first: an address that cannot be served stops the run before anything moves.
  std::unique_ptr<serve::HttpServer> dashboard;
  if (http.enabled) {
    int code = 0;
    dashboard = StartDashboard(config, http, code);
    if (!dashboard) return code;
  }
  // Each stage runs in its own thread with its own connections, as separate processes would.
  std::atomic<int> failures{0};
  // Ingest stops only after the producer has: its last records are then drained, not left behind.
  std::atomic<bool> producer_done{!producer.has_value()};
  std::thread ingest([&] {
    if (RunIngest(config, false, [&] { return StopRequested() && producer_done.load(); }) != 0) {
      ++failures;
      RequestStop();
    }
  });
  std::thread produce;
  if (producer) {
    produce = std::thread([&] {
      if (RunProduce(config, *producer) != 0) ++failures;
      // A producer that ends (--count, DURATION_SEC) leaves the rest of the pipeline running.
      if (StopRequested()) producer_done = true;
    });
  }

  auto store = OpenCleanStore(config);
  auto state = OpenStateStore(config);
  auto stream = OpenStream(config);
  auto channels = OpenChannels(config);
  int exit_code = 0;
  if (!store || !state || !stream || !channels) {
    spdlog::error("{}", !store    ? store.error()
                        : !state  ? state.error()
                        : !stream ? stream.error()
                                  : channels.error());
    RequestStop();
    exit_code = 1;
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
      // due; channel errors are logged by the outbox and never stop the loop.
      if (auto delivered = outbox.DeliverDue(now); !delivered) {
        spdlog::error("alerts: {}", delivered.error());
      }
      if (auto last_put = (*stream)->LastPut(); last_put) {
        // To every channel through the outbox: queued durably, retried until taken.
        auto change = watchdog.Check(
            now, *last_put, [&](const AlertMessage& message) { return outbox.Send(message); });
        if (!change) spdlog::error("watchdog: {}", change.error());
      }
      if (now >= next_trends) {
        next_trends = now + config.trends.every;
        auto run = job.RunOnce(now);
        if (!run) {
          spdlog::error("trends: {}", run.error());
        } else {
          for (const std::string& e : run->channel_errors) spdlog::error("trends: channel {}", e);
          spdlog::info("trends: {} symbols checked, {} alerts, {} held back by cooldown",
                       run->symbols_checked, run->alerts.size(), run->suppressed_by_cooldown);
        }
      }
    }
  }
  RequestStop();
  if (dashboard) dashboard->Stop();
  if (produce.joinable()) produce.join();
  producer_done = true;
  ingest.join();
  spdlog::info("run: stopped cleanly");
  return failures > 0 ? 1 : exit_code;
}

}  // namespace stockpipe
