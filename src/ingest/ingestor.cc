#include "ingest/ingestor.h"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <future>
#include <map>
#include <thread>

#include "codec/gzip.h"
#include "core/log.h"
#include "ingest/quarantine_line.h"

namespace stockpipe {
namespace {

Micros ThreadCpuMicros() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<Micros>(t.tv_sec) * 1'000'000 + t.tv_nsec / 1000;
}

}  // namespace

IngestStageCpu Ingestor::stage_cpu() const {
  return {stage_cpu_[kClaim],   stage_cpu_[kParse], stage_cpu_[kCompress],
          stage_cpu_[kArchive], stage_cpu_[kClean], stage_cpu_[kCommit]};
}

void Ingestor::Spent(Stage stage, Micros since) const {
  stage_cpu_[stage] += ThreadCpuMicros() - since;
}

// Compresses and writes one object per partition; any failure fails the batch.
Status Ingestor::WriteObjects(std::string_view area,
                              const std::map<std::string, std::string>& by_date,
                              const StreamBatch& batch) {
  for (const auto& [date, lines] : by_date) {
    Micros t = ThreadCpuMicros();
    auto gz = GzipCompress(lines);
    if (!gz) return gz.status();
    Spent(kCompress, t);
    t = ThreadCpuMicros();
    const std::string key =
        ObjectKey(area, date, batch.shard, generation_, batch.first_sequence, batch.last_sequence);
    if (Status s = archive_.Put(key, *gz); !s.ok()) return s;
    Spent(kArchive, t);
  }
  return Status::Ok();
}

std::string ObjectKey(std::string_view area, std::string_view date, std::string_view shard,
                      std::string_view first_sequence, std::string_view last_sequence) {
  return fmt::format("{}/dt={}/{}-{}-{}.jsonl.gz", area, date, shard, first_sequence,
                     last_sequence);
}

std::string ObjectKey(std::string_view area, std::string_view date, std::string_view shard,
                      std::uint64_t generation, std::string_view first_sequence,
                      std::string_view last_sequence) {
  if (generation <= 1) return ObjectKey(area, date, shard, first_sequence, last_sequence);
  return fmt::format("{}/dt={}/{}-g{}-{}-{}.jsonl.gz", area, date, shard, generation,
                     first_sequence, last_sequence);
}

std::optional<ObjectName> ParseObjectKey(std::string_view key) {
  constexpr std::string_view kSuffix = ".jsonl.gz";
  const std::size_t area_end = key.find('/');
  if (area_end == std::string_view::npos || !key.ends_with(kSuffix)) return std::nullopt;
  ObjectName name;
  name.area = std::string(key.substr(0, area_end));
  std::string_view rest = key.substr(area_end + 1);
  if (!rest.starts_with("dt=")) return std::nullopt;
  const std::size_t date_end = rest.find('/');
  if (date_end == std::string_view::npos) return std::nullopt;
  name.date = std::string(rest.substr(3, date_end - 3));
  std::string_view file = rest.substr(date_end + 1);
  file.remove_suffix(kSuffix.size());
  const auto number = [](std::string_view text, std::uint64_t& out) {
    if (text.empty()) return false;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
  };
  const std::size_t last_dash = file.rfind('-');
  if (last_dash == std::string_view::npos || !number(file.substr(last_dash + 1), name.last)) {
    return std::nullopt;
  }
  file = file.substr(0, last_dash);
  const std::size_t first_dash = file.rfind('-');
  if (first_dash == std::string_view::npos || !number(file.substr(first_dash + 1), name.first)) {
    return std::nullopt;
  }
  file = file.substr(0, first_dash);
  if (const std::size_t g = file.rfind("-g");
      g != std::string_view::npos && number(file.substr(g + 2), name.generation)) {
    if (name.generation < 2) return std::nullopt;  // generation 1 has no `-g` part
    file = file.substr(0, g);
  }
  name.shard = std::string(file);
  if (name.shard.empty() || name.date.size() != 10 || name.first > name.last) return std::nullopt;
  return name;
}

void TuneAllocatorForBatches() {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_ARENA_MAX, 2);
}

Ingestor::Ingestor(RawArchive& archive, CleanStore& store, RecordLimits limits, int workers)
    : archive_(archive), store_(store), record_limits_(limits) {
  for (int i = 0; i < std::max(1, workers); ++i) {
    parsers_.push_back(std::make_unique<RecordParser>(limits));
  }
}

Result<BatchOutcome> Ingestor::ProcessBatch(const StreamBatch& batch) {
  return ProcessWith(*parsers_.front(), batch);
}

Result<BatchOutcome> Ingestor::ProcessWith(RecordParser& parser, const StreamBatch& batch) {
  const Micros parse_start = ThreadCpuMicros();
  BatchOutcome outcome;
  std::map<std::string, std::string> raw_by_date, rejected_by_date;
  std::vector<Tick> ticks;
  ticks.reserve(batch.entries.size());
  char date[kCanonicalTimestampSize];
  std::string* current = nullptr;  // ticks arrive in time order: reuse the last day's buffer
  Micros current_day = -1;
  constexpr Micros kDay = 86'400'000'000LL;
  for (const StreamEntry& entry : batch.entries) {
    ++outcome.counts.received;
    auto parsed = parser.Parse(entry.data, entry.arrival);
    if (auto* rejection = std::get_if<Rejection>(&parsed)) {
      ++outcome.counts.rejected[static_cast<std::size_t>(rejection->reason)];
      FormatCanonical(entry.arrival, date);
      QuarantineEntry line{ReasonCode(rejection->reason),
                           rejection->message,
                           batch.shard,
                           entry.sequence,
                           entry.arrival,
                           entry.data};
      // Only an oversized record is cut: any other is at most max_record_bytes already.
      if (rejection->reason == RejectReason::kOversized)
        line.keep = record_limits_.max_record_bytes;
      AppendQuarantineLine(line, rejected_by_date[std::string(date, 10)]);
      continue;
    }
    Tick& tick = std::get<Tick>(parsed);
    ++outcome.counts.accepted;
    for (int i = 0; tick.ignored != 0 && i < kIgnoredFieldCount; ++i) {
      if (tick.Ignored(static_cast<IgnoredField>(i))) ++outcome.counts.ignored[i];
    }
    if (tick.timestamp / kDay != current_day) {
      current_day = tick.timestamp / kDay;
      FormatCanonical(tick.timestamp, date);
      current = &raw_by_date[std::string(date, 10)];
      current->reserve(batch.entries.size() * 80);
    }
    AppendTickJson(tick, *current);
    *current += '\n';
    outcome.newest_tick = std::max(outcome.newest_tick, tick.timestamp);
    ticks.push_back(std::move(tick));
  }
  outcome.raw_objects = raw_by_date.size();
  outcome.rejected_objects = rejected_by_date.size();
  Spent(kParse, parse_start);

  // RAW (compress + fsync) and CLEAN (SQLite commit) are independent: run them side by side and
  // wait for both before anyone may checkpoint.
  auto archive_done = std::async(std::launch::async, [&] {
    if (Status s = WriteObjects("raw", raw_by_date, batch); !s.ok()) return s;
    return WriteObjects("rejected", rejected_by_date, batch);
  });
  Status stored;
  {
    std::lock_guard lock(store_mutex_);
    const Micros t = ThreadCpuMicros();
    stored = store_.Upsert(ticks);
    Spent(kClean, t);
  }
  Status archived = archive_done.get();
  if (!archived.ok()) return archived;
  if (!stored.ok()) return stored;
  if (on_durable_ && !ticks.empty()) {
    // The observer may read the store (a streaming ring's seed): not while another worker writes.
    std::lock_guard lock(store_mutex_);
    if (Status s = on_durable_(ticks); !s.ok()) return s;
  }
  return outcome;
}

Result<IngestCounts> Ingestor::PollOnce(Stream& stream, std::string_view consumer,
                                        const ClaimLimits& limits, int rounds) {
  auto shards = stream.Shards();
  if (!shards) return shards.status();
  std::mutex mutex;  // guards `stream`, `total`, `error` and the queue
  IngestCounts total;
  Status error;
  std::deque<std::size_t> queue;  // shards to claim from, by index
  for (std::size_t i = 0; i < shards->size(); ++i) queue.push_back(i);
  std::vector<int> claimed(shards->size(), 0);
  std::vector<bool> full(shards->size(), false);  // a shard's last batch was as big as allowed
  const auto worker = [&](RecordParser& parser) {
    while (true) {
      std::unique_lock lock(mutex);
      if (!error.ok() || queue.empty()) return;
      const std::size_t index = queue.front();
      queue.pop_front();
      const std::string& shard = (*shards)[index];
      const Micros t0 = NowMicros(), claim_cpu = ThreadCpuMicros();
      auto batch = stream.Claim(consumer, shard, limits);
      Spent(kClaim, claim_cpu);
      full[index] = batch && limits.max_records > 0 && batch->entries.size() >= limits.max_records;
      if (!batch || batch->empty()) {
        if (!batch) error = batch.status();
        continue;
      }
      lock.unlock();
      const Micros t1 = NowMicros();
      auto outcome = ProcessWith(parser, *batch);
      const Micros t2 = NowMicros();
      lock.lock();
      if (!outcome) {
        error = outcome.status();
        return;
      }
      const Micros commit_cpu = ThreadCpuMicros();
      if (Status s = stream.Commit(consumer, *batch, outcome->counts); !s.ok()) {
        error = s;
        return;
      }
      Spent(kCommit, commit_cpu);
      const Micros t3 = NowMicros();
      log::Debug("ingest batch", {{"shard", shard},
                                  {"first_sequence", batch->first_sequence},
                                  {"last_sequence", batch->last_sequence},
                                  {"records", batch->entries.size()},
                                  {"accepted", outcome->counts.accepted},
                                  {"rejected", outcome->counts.rejected_total()},
                                  {"claim_us", t1 - t0},
                                  {"sinks_us", t2 - t1},
                                  {"commit_us", t3 - t2},
                                  {"duration_ms", (t3 - t0) / 1000}});
      total += outcome->counts;
      if (full[index] && ++claimed[index] < rounds) queue.push_back(index);
    }
  };
  std::vector<std::thread> helpers;
  for (std::size_t i = 1; i < parsers_.size() && i < shards->size(); ++i) {
    helpers.emplace_back(worker, std::ref(*parsers_[i]));
  }
  worker(*parsers_.front());
  for (std::thread& t : helpers) t.join();
  if (!error.ok()) return error;
  if (std::find(full.begin(), full.end(), true) == full.end()) {
    // Caught up: what the store kept aside to fold with later batches is folded now.
    std::lock_guard store_lock(store_mutex_);
    const Micros t = ThreadCpuMicros();
    if (Status s = store_.Settle(); !s.ok()) return s;
    Spent(kClean, t);
  }
  return total;
}

}  // namespace stockpipe
