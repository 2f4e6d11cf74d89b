#include "stream/kinesis/kinesis_stream.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "codec/backoff.h"
#include "codec/base64.h"
#include "stream/kinesis/put_records.h"

namespace stockpipe {
namespace {

using kinesis::CompareSequence;
using kinesis::PutEntry;
using kinesis::ShardCheckpoint;
using nlohmann::json;

constexpr std::string_view kTarget = "Kinesis_20131202";
constexpr std::size_t kMaxGetRecordsLimit = 10'000;
// Re-reading a claimed range normally takes one call per 10,000 records; this bound only stops
// a loop on a stream that keeps answering empty pages.
constexpr int kMaxRereadCalls = 1'000;

struct Page {
  StreamBatch records;  // entries only
  std::optional<std::string> next_iterator;
  std::int64_t millis_behind = 0;
};

Result<json> ParseObject(std::string_view operation, const std::string& body) {
  json parsed = json::parse(body, nullptr, false);
  if (!parsed.is_object()) {
    return Status::Error(fmt::format("{}: the answer is not a JSON object: {}", operation,
                                     std::string_view(body).substr(0, 200)));
  }
  return parsed;
}

Result<Page> ParseGetRecords(std::string_view shard, const std::string& body) {
  auto parsed = ParseObject("GetRecords", body);
  if (!parsed) return parsed.status();
  const json& response = *parsed;
  if (!response.contains("Records") || !response["Records"].is_array()) {
    return Status::Error(fmt::format("GetRecords on {}: the answer has no Records list", shard));
  }
  Page page;
  for (const json& r : response["Records"]) {
    if (!r.is_object() || !r.contains("SequenceNumber") || !r["SequenceNumber"].is_string() ||
        !r.contains("Data") || !r["Data"].is_string()) {
      return Status::Error(
          fmt::format("GetRecords on {}: a record without SequenceNumber or Data", shard));
    }
    StreamEntry entry;
    entry.sequence = page.records.Keep(r["SequenceNumber"].get<std::string>());
    auto data = Base64Decode(r["Data"].get<std::string>());
    if (!data) {
      return Status::Error(fmt::format("GetRecords on {}: record {} has Data that is {}", shard,
                                       entry.sequence, data.error()));
    }
    entry.data = page.records.Keep(std::move(*data));
    if (r.contains("ApproximateArrivalTimestamp") && r["ApproximateArrivalTimestamp"].is_number()) {
      entry.arrival = std::llround(r["ApproximateArrivalTimestamp"].get<double>() * 1'000'000.0);
    }
    page.records.entries.push_back(entry);
  }
  if (response.contains("NextShardIterator") && response["NextShardIterator"].is_string()) {
    page.next_iterator = response["NextShardIterator"].get<std::string>();
  }
  if (response.contains("MillisBehindLatest") && response["MillisBehindLatest"].is_number()) {
    page.millis_behind = response["MillisBehindLatest"].get<std::int64_t>();
  }
  return page;
}

void SleepMicros(std::int64_t us) {
  std::this_thread::sleep_for(std::chrono::microseconds(us));
}

// `error` of a call on stream `stream`, with what to do when the stream does not exist.
std::string MissingStreamHelp(std::string error, const std::string& stream,
                              const std::string& region) {
  if (error.find("ResourceNotFoundException") == std::string::npos) return error;
  return fmt::format(
      "Kinesis stream {} does not exist{}: create it (Terraform, infra/kinesis.tf, or `aws "
      "kinesis create-stream --stream-name {} --shard-count 1`), or set KINESIS_STREAM to the "
      "stream the producers write to ({})",
      stream, region.empty() ? "" : " in region " + region, stream, error);
}

}  // namespace

KinesisStream::KinesisStream(KinesisStreamOptions options, StateStore& checkpoints)
    : options_(std::move(options)), checkpoints_(checkpoints), client_(options_.client) {}

// ---- Put --------------------------------------------------------------------------------------

Status KinesisStream::Put(std::span<const StreamRecord> records) {
  std::vector<PutEntry> entries;
  entries.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    PutEntry e{i, kinesis::KinesisPartitionKey(records[i].partition_key), records[i].data};
    if (e.bytes() > kinesis::kMaxRecordBytes) {
      return Status::Error(fmt::format(
          "record {} of this batch (partition key \"{}\") is {} bytes; Kinesis takes at most "
          "{} bytes of data and partition key per record; nothing of this batch was sent",
          i, e.partition_key, e.bytes(), kinesis::kMaxRecordBytes));
    }
    entries.push_back(e);
  }
  std::size_t begin = 0;
  for (const std::size_t end : kinesis::PlanPutCalls(entries)) {
    std::vector<PutEntry> call(entries.begin() + static_cast<std::ptrdiff_t>(begin),
                               entries.begin() + static_cast<std::ptrdiff_t>(end));
    if (Status s = PutCall(std::move(call)); !s.ok()) {
      return Status::Error(fmt::format(
          "{} (the {} records before record {} of this batch of {} were accepted; putting the "
          "batch again repeats them)",
          s.message(), begin, begin, records.size()));
    }
    begin = end;
  }
  return Status::Ok();
}

Status KinesisStream::PutCall(std::vector<PutEntry> pending) {
  const int attempts = std::max(1, options_.put_attempts);
  for (int attempt = 1;; ++attempt) {
    auto body = client_.CallJson(kTarget, "PutRecords",
                                 kinesis::PutRecordsBody(options_.stream_name, pending));
    if (!body) {
      return Status::Error(fmt::format(
          "{}; {} records not accepted by stream {}",
          MissingStreamHelp(body.error(), options_.stream_name, client_.options().region),
          pending.size(), options_.stream_name));
    }
    auto outcome = kinesis::EntriesToResend(*body, pending);
    if (!outcome) return outcome.status();
    if (outcome->resend.empty()) return Status::Ok();
    if (attempt >= attempts) {
      return Status::Error(fmt::format(
          "PutRecords: {} records were not accepted by stream {} after {} attempts (last error: "
          "{})",
          outcome->resend.size(), options_.stream_name, attempts, outcome->first_error));
    }
    const std::int64_t wait = BackoffWait({.base_delay_us = options_.put_backoff_base_us,
                                           .max_delay_us = options_.put_backoff_max_us},
                                          attempt - 1);
    spdlog::warn(
        "PutRecords: {} of {} entries refused by stream {} ({}); resending them in {} ms "
        "(attempt {} of {})",
        outcome->resend.size(), pending.size(), options_.stream_name, outcome->first_error,
        wait / 1000, attempt + 1, attempts);
    SleepMicros(wait);
    pending = std::move(outcome->resend);
  }
}

// ---- Shards -----------------------------------------------------------------------------------

Result<std::vector<std::string>> KinesisStream::Shards() {
  return RefreshShards();
}

Result<std::vector<std::string>> KinesisStream::RefreshShards() {
  std::vector<std::string> ids;
  std::map<std::string, ShardInfo, std::less<>> infos;
  json request = {{"StreamName", options_.stream_name}};
  while (true) {
    auto body = client_.CallJson(kTarget, "ListShards", request.dump());
    if (!body) {
      return Status::Error(
          MissingStreamHelp(body.error(), options_.stream_name, client_.options().region));
    }
    auto parsed = ParseObject("ListShards", *body);
    if (!parsed) return parsed.status();
    const json& response = *parsed;
    if (!response.contains("Shards") || !response["Shards"].is_array()) {
      return Status::Error("ListShards: the answer has no Shards list");
    }
    for (const json& s : response["Shards"]) {
      if (!s.is_object() || !s.contains("ShardId") || !s["ShardId"].is_string()) {
        return Status::Error("ListShards: a shard without ShardId");
      }
      ShardInfo info;
      for (const char* key : {"ParentShardId", "AdjacentParentShardId"}) {
        if (s.contains(key) && s[key].is_string())
          info.parents.push_back(s[key].get<std::string>());
      }
      if (s.contains("SequenceNumberRange") && s["SequenceNumberRange"].is_object()) {
        const json& range = s["SequenceNumberRange"];
        if (range.contains("StartingSequenceNumber") &&
            range["StartingSequenceNumber"].is_string()) {
          info.start = range["StartingSequenceNumber"].get<std::string>();
        }
        info.closed =
            range.contains("EndingSequenceNumber") && range["EndingSequenceNumber"].is_string();
      }
      const std::string id = s["ShardId"].get<std::string>();
      if (infos.emplace(id, std::move(info)).second) ids.push_back(id);
    }
    if (!response.contains("NextToken") || !response["NextToken"].is_string()) break;
    // With NextToken, ListShards refuses a StreamName.
    request = {{"NextToken", response["NextToken"].get<std::string>()}};
  }
  std::lock_guard lock(shards_mutex_);
  shards_ = std::move(infos);
  return ids;
}

Result<KinesisStream::ShardInfo> KinesisStream::Info(std::string_view shard) {
  for (int pass = 0; pass < 2; ++pass) {
    {
      std::lock_guard lock(shards_mutex_);
      if (auto it = shards_.find(shard); it != shards_.end()) return it->second;
    }
    if (pass == 0) {
      if (auto refreshed = RefreshShards(); !refreshed) return refreshed.status();
    }
  }
  return Status::Error(fmt::format("stream {} has no shard \"{}\" (ListShards does not list it)",
                                   options_.stream_name, shard));
}

// ---- Claim / Commit ---------------------------------------------------------------------------

Result<ShardCheckpoint> KinesisStream::Checkpoint(std::string_view consumer,
                                                  std::string_view shard) {
  const std::string key = kinesis::CheckpointKey(options_.stream_name, consumer, shard);
  auto stored = checkpoints_.Get(key);
  if (!stored) return stored.status();
  if (!stored->has_value()) return ShardCheckpoint{};
  auto decoded = kinesis::DecodeCheckpoint(**stored);
  if (!decoded) return Status::Error(fmt::format("{} ({})", decoded.error(), key));
  return decoded;
}

Status KinesisStream::Save(std::string_view consumer, std::string_view shard,
                           const ShardCheckpoint& checkpoint) {
  return checkpoints_.Put(kinesis::CheckpointKey(options_.stream_name, consumer, shard),
                          kinesis::EncodeCheckpoint(checkpoint));
}

Status KinesisStream::SameShard(std::string_view consumer, std::string_view shard,
                                ShardCheckpoint& checkpoint, const ShardInfo& info) {
  const bool read_before = !checkpoint.sequence.empty() || checkpoint.has_claim();
  const std::string& position =
      checkpoint.sequence.empty() ? checkpoint.claim_first : checkpoint.sequence;
  const bool other_shard =
      read_before && !info.start.empty() &&
      (checkpoint.shard_start.empty() ? kinesis::CompareSequence(position, info.start) < 0
                                      : checkpoint.shard_start != info.start);
  if (other_shard) {
    return Status::Error(fmt::format(
        "kinesis: shard {} of stream {} starts at sequence {}, but checkpoint {} was taken on a "
        "shard {} (position {}): the stream was deleted and created again, and what the old "
        "one had not delivered is gone. Nothing is read from it with the old position; to read "
        "the new stream from its start, delete that checkpoint from the state store",
        shard, options_.stream_name, info.start,
        kinesis::CheckpointKey(options_.stream_name, consumer, shard),
        checkpoint.shard_start.empty() ? "before it" : "that started at " + checkpoint.shard_start,
        position));
  }
  checkpoint.shard_start = info.start;  // kept by the next Save
  return Status::Ok();
}

Result<std::string> KinesisStream::Iterator(std::string_view shard, std::string_view type,
                                            std::string_view sequence) {
  json request = {{"StreamName", options_.stream_name},
                  {"ShardId", std::string(shard)},
                  {"ShardIteratorType", std::string(type)}};
  if (!sequence.empty()) request["StartingSequenceNumber"] = std::string(sequence);
  auto body = client_.CallJson(kTarget, "GetShardIterator", request.dump());
  if (!body) return body.status();
  auto parsed = ParseObject("GetShardIterator", *body);
  if (!parsed) return parsed.status();
  if (!parsed->contains("ShardIterator") || !(*parsed)["ShardIterator"].is_string()) {
    return Status::Error(fmt::format("GetShardIterator on {}: no ShardIterator", shard));
  }
  return (*parsed)["ShardIterator"].get<std::string>();
}

Result<StreamBatch> KinesisStream::Claim(std::string_view consumer, std::string_view shard,
                                         const ClaimLimits& limits) {
  StreamBatch batch;
  batch.shard = std::string(shard);
  auto info = Info(shard);
  if (!info) return info.status();
  auto checkpoint = Checkpoint(consumer, shard);
  if (!checkpoint) return checkpoint.status();
  if (Status s = SameShard(consumer, shard, *checkpoint, *info); !s.ok()) return s;
  if (checkpoint->finished) return batch;
  if (checkpoint->has_claim()) return ReadClaimed(consumer, shard, *checkpoint);

  for (const std::string& parent : info->parents) {
    {
      std::lock_guard lock(shards_mutex_);
      if (!shards_.contains(parent)) continue;  // past retention: nothing left to read first
    }
    auto parent_checkpoint = Checkpoint(consumer, parent);
    if (!parent_checkpoint) return parent_checkpoint.status();
    if (!parent_checkpoint->finished) return batch;  // parents first, for per-key order
  }

  const std::size_t max_records = std::max<std::size_t>(limits.max_records, 1);
  auto read = ReadFresh(shard, *checkpoint, *info, max_records);
  if (!read) return read.status();
  std::vector<StreamEntry>& entries = read->records.entries;
  if (entries.empty()) {
    if (read->shard_ended) {
      checkpoint->finished = true;
      if (Status s = Save(consumer, shard, *checkpoint); !s.ok()) return s;
      spdlog::info("kinesis: {} of {} is closed and fully read by {}", shard, options_.stream_name,
                   consumer);
    }
    return batch;
  }
  // A trickle is left for later unless it has waited long enough or no more can come.
  if (!read->shard_ended && entries.size() < limits.min_records &&
      entries.front().arrival > NowMicros() - limits.max_wait) {
    return batch;
  }
  batch.KeepAllOf(read->records);
  batch.entries = std::move(entries);
  batch.first_sequence = batch.entries.front().sequence;
  batch.last_sequence = batch.entries.back().sequence;
  checkpoint->claim_first = batch.first_sequence;
  checkpoint->claim_last = batch.last_sequence;
  checkpoint->claim_count = batch.entries.size();
  if (Status s = Save(consumer, shard, *checkpoint); !s.ok()) return s;
  return batch;
}

Result<KinesisStream::Read> KinesisStream::ReadFresh(std::string_view shard,
                                                     const ShardCheckpoint& checkpoint,
                                                     const ShardInfo& info,
                                                     std::size_t max_records) {
  auto iterator = checkpoint.sequence.empty()
                      ? Iterator(shard, "TRIM_HORIZON", "")
                      : Iterator(shard, "AFTER_SEQUENCE_NUMBER", checkpoint.sequence);
  if (!iterator) return iterator.status();
  Read read;
  std::string next = std::move(*iterator);
  for (int call = 0; call < std::max(1, options_.max_get_records_calls); ++call) {
    const std::size_t asked =
        std::min(kMaxGetRecordsLimit, max_records - read.records.entries.size());
    const json request = {{"ShardIterator", next}, {"Limit", asked}};
    auto body = client_.CallJson(kTarget, "GetRecords", request.dump());
    if (!body) return Status::Error(fmt::format("{} (shard {})", body.error(), shard));
    auto page = ParseGetRecords(shard, *body);
    if (!page) return page.status();
    const std::size_t got = page->records.entries.size();
    read.records.KeepAllOf(page->records);
    for (const StreamEntry& e : page->records.entries) read.records.entries.push_back(e);
    if (!page->next_iterator) {
      read.shard_ended = true;
      break;
    }
    next = std::move(*page->next_iterator);
    if (read.records.entries.size() >= max_records) break;
    // Go on while there is evidently more: a full page, Kinesis saying we are behind, or a
    // closed shard whose end has not been reached yet (empty pages until NextShardIterator ends).
    const bool more = got == asked || page->millis_behind > 0 || (info.closed && got == 0);
    if (!more) break;
  }
  return read;
}

Result<StreamBatch> KinesisStream::ReadClaimed(std::string_view consumer, std::string_view shard,
                                               const ShardCheckpoint& checkpoint) {
  StreamBatch batch;
  batch.shard = std::string(shard);
  auto iterator = Iterator(shard, "AT_SEQUENCE_NUMBER", checkpoint.claim_first);
  if (!iterator) return iterator.status();
  std::optional<std::string> next = std::move(*iterator);
  bool complete = false;
  for (int call = 0; call < kMaxRereadCalls && next && !complete; ++call) {
    const std::size_t left = checkpoint.claim_count > batch.entries.size()
                                 ? checkpoint.claim_count - batch.entries.size()
                                 : kMaxGetRecordsLimit;
    const json request = {{"ShardIterator", *next}, {"Limit", std::min(kMaxGetRecordsLimit, left)}};
    auto body = client_.CallJson(kTarget, "GetRecords", request.dump());
    if (!body) return Status::Error(fmt::format("{} (shard {})", body.error(), shard));
    auto page = ParseGetRecords(shard, *body);
    if (!page) return page.status();
    batch.KeepAllOf(page->records);
    for (const StreamEntry& e : page->records.entries) {
      const int order = CompareSequence(e.sequence, checkpoint.claim_last);
      if (order > 0) {
        complete = true;
        break;
      }
      batch.entries.push_back(e);
      if (order == 0) {
        complete = true;
        break;
      }
    }
    next = std::move(page->next_iterator);
  }
  const auto found = [&] {
    return batch.entries.empty() ? std::string("nothing")
                                 : fmt::format("{}..{}", batch.entries.front().sequence,
                                               batch.entries.back().sequence);
  };
  if (batch.entries.empty() || batch.entries.front().sequence != checkpoint.claim_first ||
      batch.entries.back().sequence != checkpoint.claim_last ||
      (checkpoint.claim_count != 0 && batch.entries.size() != checkpoint.claim_count)) {
    return Status::Error(fmt::format(
        "the batch {}..{} ({} records) of {} claimed by {} in stream {} can no longer be read "
        "back whole (found {}, {} records); past the retention period?",
        checkpoint.claim_first, checkpoint.claim_last, checkpoint.claim_count, shard, consumer,
        options_.stream_name, found(), batch.entries.size()));
  }
  batch.first_sequence = checkpoint.claim_first;
  batch.last_sequence = checkpoint.claim_last;
  return batch;
}

Status KinesisStream::Commit(std::string_view consumer, const StreamBatch& batch,
                             const IngestCounts& counts) {
  if (batch.empty()) return Status::Ok();
  auto checkpoint = Checkpoint(consumer, batch.shard);
  if (!checkpoint) return checkpoint.status();
  if (!checkpoint->has_claim() || checkpoint->claim_first != batch.first_sequence ||
      checkpoint->claim_last != batch.last_sequence) {
    return Status::Error(fmt::format(
        "batch {}..{} of {} in stream {} is not the one {} claimed ({}); is another ingest "
        "running?",
        batch.first_sequence, batch.last_sequence, batch.shard, options_.stream_name, consumer,
        checkpoint->has_claim() ? checkpoint->claim_first + ".." + checkpoint->claim_last
                                : std::string("no claim")));
  }
  checkpoint->sequence = batch.last_sequence;
  checkpoint->claim_first.clear();
  checkpoint->claim_last.clear();
  checkpoint->claim_count = 0;
  checkpoint->counts += counts;
  return Save(consumer, batch.shard, *checkpoint);
}

Result<IngestCounts> KinesisStream::Totals(std::string_view consumer) {
  auto shards = RefreshShards();
  if (!shards) return shards.status();
  IngestCounts total;
  for (const std::string& shard : *shards) {
    auto checkpoint = Checkpoint(consumer, shard);
    if (!checkpoint) return checkpoint.status();
    total += checkpoint->counts;
  }
  return total;
}

// ---- Stream lifecycle -------------------------------------------------------------------------

Status KinesisStream::CreateIfMissing(int shards) {
  if (shards < 1)
    return Status::Error(fmt::format("a stream needs at least 1 shard, got {}", shards));
  const json request = {{"StreamName", options_.stream_name}, {"ShardCount", shards}};
  auto created = client_.CallJson(kTarget, "CreateStream", request.dump());
  if (!created && created.error().find("ResourceInUseException") == std::string::npos) {
    return created.status();
  }
  if (created)
    spdlog::info("kinesis: created stream {} with {} shards", options_.stream_name, shards);
  return WaitActive();
}

Status KinesisStream::WaitActive() {
  const Micros deadline = NowMicros() + options_.active_timeout;
  std::int64_t pause = 20'000;
  std::string status;
  while (true) {
    const json request = {{"StreamName", options_.stream_name}};
    auto body = client_.CallJson(kTarget, "DescribeStreamSummary", request.dump());
    if (!body) return body.status();
    auto parsed = ParseObject("DescribeStreamSummary", *body);
    if (!parsed) return parsed.status();
    const json& summary = (*parsed)["StreamDescriptionSummary"];
    status = summary.is_object() && summary.contains("StreamStatus") &&
                     summary["StreamStatus"].is_string()
                 ? summary["StreamStatus"].get<std::string>()
                 : "";
    if (status == "ACTIVE") break;
    if (NowMicros() >= deadline) {
      return Status::Error(fmt::format("stream {} is still {} after {} s, not ACTIVE",
                                       options_.stream_name, status.empty() ? "?" : status,
                                       options_.active_timeout / 1'000'000));
    }
    // Kinesis moves between states on its own time; polling is the only way to learn of it.
    SleepMicros(pause);
    pause = std::min<std::int64_t>(pause * 2, 1'000'000);
  }
  std::lock_guard lock(shards_mutex_);
  shards_.clear();  // a reshard may just have finished
  return Status::Ok();
}

}  // namespace stockpipe
