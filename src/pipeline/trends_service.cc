#include "pipeline/trends_service.h"

#include <spdlog/spdlog.h>

#include "core/log.h"
#include "pipeline/backends.h"
#include "pipeline/local_stores.h"
#include "pipeline/shutdown.h"
#include "trends/trends_job.h"
#include "trends/watchdog.h"

namespace stockpipe {

// Destroyed bottom-up: the job and the watchdog refer to the stores and the outbox.
struct TrendsService::Parts {
  Config config;
  std::unique_ptr<CleanStore> store;
  std::unique_ptr<StateStore> state;
  std::unique_ptr<SqliteStream> stream;  // for the watchdog only
  Channels channels;
  std::unique_ptr<TrendsJob> job;
  std::unique_ptr<Watchdog> watchdog;
};

TrendsService::TrendsService(std::unique_ptr<Parts> parts, TrendsServiceOptions options)
    : parts_(std::move(parts)), options_(options) {}
TrendsService::~TrendsService() = default;

Result<std::unique_ptr<TrendsService>> TrendsService::Open(const Config& config,
                                                           TrendsServiceOptions options) {
  auto settings = TrendsSettingsFrom(config.trends, config.candles.intervals);
  if (!settings) return settings.status();
  auto p = std::make_unique<Parts>();
  p->config = config;
  auto store = OpenStore(config);
  if (!store) return store.status();
  auto state = OpenState(config);
  if (!state) return state.status();
  p->store = std::move(*store);
  p->state = std::move(*state);
  if (options.watchdog) {
    auto stream = OpenStream(config);
    if (!stream) return stream.status();
    p->stream = std::move(*stream);
  }
  auto channels = OpenChannels(config);
  if (!channels) return channels.status();
  p->channels = std::move(*channels);
  const Lang lang = settings->lang;
  p->job =
      std::make_unique<TrendsJob>(*p->store, *p->state, p->channels.all(), std::move(*settings));
  if (options.watchdog) {
    p->watchdog = std::make_unique<Watchdog>(*p->state, config.no_data_after, lang, NowMicros());
  }
  return std::unique_ptr<TrendsService>(new TrendsService(std::move(p), options));
}

std::optional<TrendsService::Failure> TrendsService::Run(const std::function<bool()>& stopping) {
  const Config& config = parts_->config;
  Outbox& outbox = *parts_->channels.outbox;
  Micros next_run = options_.first_run_now ? 0 : NowMicros() + config.trends.every;
  if (parts_->watchdog) {
    spdlog::info("run: trends every {} s, no-data alarm after {} s; Ctrl-C stops",
                 config.trends.every / 1'000'000, config.no_data_after / 1'000'000);
  }
  // A failing part stops the service, or is logged and tried again on the next pass.
  std::optional<Failure> failure;
  const auto failed = [&](std::string_view part, std::string_view log_as, std::string why) {
    if (options_.stop_on_failure) {
      failure = Failure{std::string(part), std::move(why)};
      return true;
    }
    spdlog::error("{}: {}", log_as, why);
    return false;
  };
  for (bool first = true;; first = false) {
    if (!(first && options_.first_run_now) &&
        !SleepUnlessStopping(std::chrono::milliseconds(500), stopping)) {
      break;
    }
    const Micros now = NowMicros();
    // Alerts a channel could not take earlier (here or in another process) are retried once
    // due; a channel's own errors are logged by the outbox, only the outbox's file failing counts.
    if (auto delivered = outbox.DeliverDue(now); !delivered) {
      if (failed("alerts outbox", "alerts", delivered.error())) break;
    }
    if (parts_->watchdog) {
      auto last_put = parts_->stream->LastPut();
      Status checked = last_put.status();
      if (last_put) {
        // To every channel through the outbox: queued durably, retried until taken.
        checked = parts_->watchdog
                      ->Check(now, *last_put,
                              [&](const AlertMessage& message) { return outbox.Send(message); })
                      .status();
      }
      if (!checked.ok() && failed("watchdog", "watchdog", checked.message())) break;
    }
    if (now < next_run) continue;
    next_run = now + config.trends.every;
    auto run = parts_->job->RunOnce(now);
    if (!run) {
      if (failed("trends timer", "trends", run.error())) break;
      last_run_ok_ = false;
    } else {
      // Only a message the outbox could not even queue lands here; a channel that is down is
      // the outbox's to retry (and shows in `stockpipe health`).
      for (const std::string& e : run->channel_errors) spdlog::error("trends: channel {}", e);
      for (const Alert& alert : run->alerts) {
        log::Info("alert queued",
                  {{"symbol", alert.symbol}, {"action", ActionName(alert.action())}});
      }
      log::Info("trends run", {{"symbols_checked", run->symbols_checked},
                               {"alerts", run->alerts.size()},
                               {"held_by_cooldown", run->suppressed_by_cooldown},
                               {"duration_ms", (NowMicros() - now) / 1000}});
      last_run_ok_ = run->channel_errors.empty();
    }
    if (options_.once) break;
  }
  return failure;
}

}  // namespace stockpipe
