#include "pipeline/ingest_service.h"

#include <spdlog/spdlog.h>

#include "core/log.h"
#include "ingest/ingestor.h"
#include "pipeline/backends.h"
#include "pipeline/local_stores.h"
#include "pipeline/shutdown.h"
#include "trends/streaming_signals.h"

namespace stockpipe {

std::string DescribeCounts(const IngestCounts& c) {
  std::string text = fmt::format("received={} accepted={} rejected={}", c.received, c.accepted,
                                 c.rejected_total());
  for (int i = 0; i < kRejectReasonCount; ++i) {
    if (c.rejected[static_cast<std::size_t>(i)] > 0) {
      text += fmt::format(" {}={}", ReasonCode(static_cast<RejectReason>(i)),
                          c.rejected[static_cast<std::size_t>(i)]);
    }
  }
  for (int i = 0; i < kIgnoredFieldCount; ++i) {
    if (c.ignored[static_cast<std::size_t>(i)] > 0) {
      text += fmt::format(" ignored_{}={}", IgnoredCode(static_cast<IgnoredField>(i)),
                          c.ignored[static_cast<std::size_t>(i)]);
    }
  }
  return text;
}

namespace {

// An ingest summary line: the counts as fields, one `rejected_<reason>` per reason that occurred.
void LogCounts(std::string_view msg, const IngestCounts& c, Micros duration) {
  std::vector<std::string> keys;
  std::vector<log::Field> fields{{"records", c.received},
                                 {"accepted", c.accepted},
                                 {"rejected", c.rejected_total()},
                                 {"duration_ms", duration / 1000}};
  keys.reserve(kRejectReasonCount + kIgnoredFieldCount);  // fields point into keys: no realloc
  for (int i = 0; i < kRejectReasonCount; ++i) {
    const std::uint64_t n = c.rejected[static_cast<std::size_t>(i)];
    if (n == 0) continue;
    keys.push_back(fmt::format("rejected_{}", ReasonCode(static_cast<RejectReason>(i))));
    fields.emplace_back(keys.back(), n);
  }
  for (int i = 0; i < kIgnoredFieldCount; ++i) {
    const std::uint64_t n = c.ignored[static_cast<std::size_t>(i)];
    if (n == 0) continue;
    keys.push_back(fmt::format("ignored_{}", IgnoredCode(static_cast<IgnoredField>(i))));
    fields.emplace_back(keys.back(), n);
  }
  log::Write(log::Level::info, msg, fields);
}

}  // namespace

// Destroyed bottom-up: the ingestor and streaming refer to the stores and channels, the Kinesis
// stream to `state` (its checkpoints), and the lock goes last.
struct IngestService::Parts {
  Config config;
  std::unique_ptr<IngestLock> lock;
  std::unique_ptr<StateStore> state;
  std::unique_ptr<Stream> stream;
  std::unique_ptr<CleanStore> store;
  std::unique_ptr<RawArchive> archive;
  std::unique_ptr<StateStore> signal_state;
  Channels channels;
  std::unique_ptr<StreamingSignals> streaming;
  std::unique_ptr<Ingestor> ingestor;
};

IngestService::IngestService(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
IngestService::~IngestService() = default;

Result<std::unique_ptr<IngestService>> IngestService::Open(const Config& config) {
  auto p = std::make_unique<Parts>();
  p->config = config;
  auto lock = IngestLock::Acquire(config);
  if (!lock) return lock.status();
  p->lock = std::move(*lock);
  // Kinesis checkpoints live with the other state (state.db or the DynamoDB state table).
  auto state = OpenState(config);
  if (!state) return state.status();
  p->state = std::move(*state);
  auto stream = OpenStreamBackend(config, *p->state);
  auto store = OpenStore(config, CandleIntervalsChange::kApply);
  auto archive = OpenArchive(config);
  if (!stream || !store || !archive) {
    return !stream ? stream.status() : !store ? store.status() : archive.status();
  }
  p->stream = std::move(*stream);
  p->store = std::move(*store);
  p->archive = std::move(*archive);
  log::Info("ingest started", {{"stream", config.backends.stream},
                               {"archive", config.backends.archive},
                               {"store", config.backends.store}});
  p->ingestor = std::make_unique<Ingestor>(*p->archive, *p->store, config.limits);
  if (config.backends.stream == "local") {
    // Object names carry the stream generation, so a new stream never names an old object.
    auto generation = StreamGeneration(config.data_dir);
    if (!generation) return generation.status();
    p->ingestor->SetGeneration(*generation);
  }
  // Streaming: the rules per tick on what each batch made durable, alerts through the outbox
  // with the scheduled run's cooldown keys in the same state store.
  if (config.trends.streaming) {
    auto settings = TrendsSettingsFrom(config.trends, config.candles.intervals);
    if (!settings) return Status::Error(fmt::format("ingest --streaming: {}", settings.error()));
    // Its own state connection: the Kinesis checkpoints use `state` from the stream's worker.
    auto signal_state = OpenState(config);
    if (!signal_state) {
      return Status::Error(fmt::format("ingest --streaming: {}", signal_state.error()));
    }
    auto channels = OpenChannels(config);
    if (!channels) return Status::Error(fmt::format("ingest --streaming: {}", channels.error()));
    p->signal_state = std::move(*signal_state);
    p->channels = std::move(*channels);
    // The outbox as a keyed queue: a batch replayed after a crash does not queue its alerts twice.
    p->streaming = std::make_unique<StreamingSignals>(*p->store, *p->signal_state,
                                                      *p->channels.outbox, std::move(*settings));
    StreamingSignals& streaming = *p->streaming;
    p->ingestor->SetOnDurable([&streaming](std::span<const Tick> ticks) -> Status {
      auto batch = streaming.OnDurable(ticks);
      if (!batch) return batch.status();
      for (const std::string& error : batch->run.channel_errors) {
        spdlog::warn("ingest: streaming alert: {}", error);
      }
      for (const Alert& alert : batch->run.alerts) {
        log::Info("alert queued", {{"symbol", alert.symbol},
                                   {"action", ActionName(alert.action())},
                                   {"source", "streaming"}});
      }
      if (!batch->run.alerts.empty()) {
        log::Info("streaming alerts", {{"alerts", batch->run.alerts.size()},
                                       {"held_by_cooldown", batch->run.suppressed_by_cooldown}});
      }
      return Status::Ok();
    });
    spdlog::info("ingest: streaming signals on");
  }
  return std::unique_ptr<IngestService>(new IngestService(std::move(p)));
}

Result<IngestCounts> IngestService::Run(bool once, const std::function<bool()>& stopping) {
  const Config& config = parts_->config;
  Ingestor& ingestor = *parts_->ingestor;
  Stream& stream = *parts_->stream;
  IngestCounts total;
  const Micros started = NowMicros();
  Micros last_trim = 0, last_report = started;
  while (!stopping()) {
    // --once drains everything now; a running ingest lets small batches gather for a while.
    const ClaimLimits limits{config.batch_records, once ? 0 : config.batch_min_records,
                             config.batch_window};
    auto pass = ingestor.PollOnce(stream, kIngestConsumer, limits, Ingestor::kBacklogRounds);
    if (!pass) {
      // A sink failing is not a reason to lose anything: nothing was committed, so the same
      // batch is claimed again on the next pass.
      spdlog::error("ingest: {}; retrying", pass.error());
      if (once) return pass.status();
      SleepUnlessStopping(std::chrono::seconds(1), stopping);
      continue;
    }
    total += *pass;
    const Micros now = NowMicros();
    if (now - last_trim > 60'000'000) {
      if (auto trimmed = stream.Trim(now, config.retention); trimmed && *trimmed > 0) {
        log::Info("stream retention", {{"removed", *trimmed}});
      }
      last_trim = now;
    }
    if (now - last_report > 10'000'000) {
      LogCounts("ingest progress", total, now - started);
      last_report = now;
    }
    if (pass->received == 0) {
      if (once) break;
      SleepUnlessStopping(std::chrono::milliseconds(100), stopping);
    }
  }
  // Ctrl-C: what is waiting for company in a batch window is written now, not left behind.
  for (int pass = 0; stopping() && pass < 10; ++pass) {
    auto drained = ingestor.PollOnce(stream, kIngestConsumer, config.batch_records);
    if (!drained || drained->received == 0) break;
    total += *drained;
  }
  LogCounts("ingest summary", total, NowMicros() - started);
  return total;
}

}  // namespace stockpipe
