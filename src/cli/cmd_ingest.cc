#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/backends.h"
#include "cli/commands.h"
#include "cli/local_pipeline.h"
#include "cli/shutdown.h"
#include "ingest/ingestor.h"
#include "trends/streaming_signals.h"

namespace stockpipe {
namespace {

std::string Describe(const IngestCounts& c) {
  std::string text = fmt::format("received={} accepted={} rejected={}", c.received, c.accepted,
                                 c.rejected_total());
  for (int i = 0; i < kRejectReasonCount; ++i) {
    if (c.rejected[static_cast<std::size_t>(i)] > 0) {
      text += fmt::format(" {}={}", ReasonCode(static_cast<RejectReason>(i)),
                          c.rejected[static_cast<std::size_t>(i)]);
    }
  }
  return text;
}

}  // namespace

int RunIngest(const Config& config, bool once, const std::function<bool()>& stopping) {
  auto lock = IngestLock::Acquire(config);
  if (!lock) {
    spdlog::error("{}", lock.error());
    return 1;
  }
  // Kinesis checkpoints live with the other state (state.db or the DynamoDB state table).
  auto state = OpenState(config);
  if (!state) {
    spdlog::error("{}", state.error());
    return 1;
  }
  auto stream = OpenStreamBackend(config, **state);
  auto store = OpenStore(config);
  auto archive = OpenArchive(config);
  if (!stream || !store || !archive) {
    spdlog::error("{}", !stream ? stream.error() : !store ? store.error() : archive.error());
    return 1;
  }
  // Retention is the local stream's own job; Kinesis expires records by itself.
  auto* local_stream = dynamic_cast<SqliteStream*>(stream->get());
  spdlog::info("ingest: {} stream -> {} archive + {} store", config.backends.stream,
               config.backends.archive, config.backends.store);
  Ingestor ingestor(**archive, **store, config.limits);
  if (local_stream) {
    // Object names carry the stream generation, so a new stream never names an old object.
    auto generation = StreamGeneration(config.data_dir);
    if (!generation) {
      spdlog::error("{}", generation.error());
      return 1;
    }
    ingestor.SetGeneration(*generation);
  }
  // Streaming: the rules per tick on what each batch made durable, alerts through the outbox
  // with the scheduled run's cooldown keys in the same state store.
  std::unique_ptr<StreamingSignals> streaming;
  Result<Channels> channels = Channels{};
  decltype(OpenState(config)) signal_state = Status::Error("not opened");
  if (config.trends.streaming) {
    auto settings = TrendsSettingsFrom(config.trends);
    if (!settings) {
      spdlog::error("ingest --streaming: {}", settings.error());
      return 2;
    }
    // Its own state connection: the Kinesis checkpoints use `state` from the stream's worker.
    signal_state = OpenState(config);
    channels = OpenChannels(config);
    if (!signal_state || !channels) {
      spdlog::error("ingest --streaming: {}",
                    !signal_state ? signal_state.error() : channels.error());
      return 1;
    }
    // The outbox as a keyed queue: a batch replayed after a crash does not queue its alerts twice.
    streaming = std::make_unique<StreamingSignals>(**store, **signal_state, *channels->outbox,
                                                   std::move(*settings));
    ingestor.SetOnDurable([&](std::span<const Tick> ticks) -> Status {
      auto batch = streaming->OnDurable(ticks);
      if (!batch) return batch.status();
      for (const std::string& error : batch->run.channel_errors) {
        spdlog::warn("ingest: streaming alert: {}", error);
      }
      if (!batch->run.alerts.empty()) {
        spdlog::info("ingest: streaming sent {} alerts ({} held by the cooldown)",
                     batch->run.alerts.size(), batch->run.suppressed_by_cooldown);
      }
      return Status::Ok();
    });
    spdlog::info("ingest: streaming signals on");
  }
  IngestCounts total;
  Micros last_trim = 0, last_report = NowMicros();
  while (!stopping()) {
    // --once drains everything now; a running ingest lets small batches gather for a while.
    const ClaimLimits limits{config.batch_records, once ? 0 : config.batch_min_records,
                             config.batch_window};
    auto pass = ingestor.PollOnce(**stream, kIngestConsumer, limits);
    if (!pass) {
      // A sink failing is not a reason to lose anything: nothing was committed, so the same
      // batch is claimed again on the next pass.
      spdlog::error("ingest: {}; retrying", pass.error());
      if (once) return 1;
      SleepUnlessStopping(std::chrono::seconds(1), stopping);
      continue;
    }
    total += *pass;
    const Micros now = NowMicros();
    if (local_stream && now - last_trim > 60'000'000) {
      if (auto trimmed = local_stream->Trim(now, config.retention); trimmed && *trimmed > 0) {
        spdlog::info("ingest: retention removed {} records", *trimmed);
      }
      last_trim = now;
    }
    if (now - last_report > 10'000'000) {
      spdlog::info("ingest: {}", Describe(total));
      last_report = now;
    }
    if (pass->received == 0) {
      if (once) break;
      SleepUnlessStopping(std::chrono::milliseconds(100), stopping);
    }
  }
  // Ctrl-C: what is waiting for company in a batch window is written now, not left behind.
  for (int pass = 0; stopping() && pass < 10; ++pass) {
    auto drained = ingestor.PollOnce(**stream, kIngestConsumer, config.batch_records);
    if (!drained || drained->received == 0) break;
    total += *drained;
  }
  spdlog::info("ingest: stopped after {}", Describe(total));
  std::cout << Describe(total) << "\n";
  return 0;
}

}  // namespace stockpipe
