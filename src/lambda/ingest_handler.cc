#include "lambda/ingest_handler.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "codec/base64.h"
#include "codec/gzip.h"
#include "core/record.h"
#include "ingest/quarantine_line.h"
#include "stream/kinesis/checkpoint.h"

namespace stockpipe::lambda {
namespace {

using nlohmann::json;

Result<std::string> StringMember(const json& object, const char* name, std::size_t index,
                                 bool required) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    if (!required) return std::string();
    return Status::Error(
        fmt::format("not a Kinesis event: Records[{}].kinesis.{} is missing", index, name));
  }
  if (!it->is_string()) {
    return Status::Error(
        fmt::format("not a Kinesis event: Records[{}].kinesis.{} must be a string", index, name));
  }
  return it->get<std::string>();
}

}  // namespace

Result<std::vector<KinesisEventRecord>> ParseKinesisEvent(std::string_view event) {
  const json root = json::parse(event, nullptr, false);
  if (root.is_discarded()) return Status::Error("not a Kinesis event: the event is not JSON");
  if (!root.is_object() || !root.contains("Records") || !root["Records"].is_array()) {
    return Status::Error("not a Kinesis event: no Records array");
  }
  std::vector<KinesisEventRecord> records;
  const json& list = root["Records"];
  records.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const json& item = list[i];
    if (!item.is_object() || !item.contains("kinesis") || !item["kinesis"].is_object()) {
      return Status::Error(fmt::format("not a Kinesis event: Records[{}].kinesis is missing", i));
    }
    const json& k = item["kinesis"];
    KinesisEventRecord r;
    auto sequence = StringMember(k, "sequenceNumber", i, true);
    if (!sequence) return sequence.status();
    r.sequence = std::move(*sequence);
    auto data = StringMember(k, "data", i, true);
    if (!data) return data.status();
    r.data = std::move(*data);
    auto key = StringMember(k, "partitionKey", i, false);
    if (!key) return key.status();
    r.partition_key = std::move(*key);
    r.arrival = NowMicros();
    if (auto t = k.find("approximateArrivalTimestamp"); t != k.end() && t->is_number()) {
      const double seconds = t->get<double>();
      if (std::isfinite(seconds) && seconds > 0) r.arrival = std::llround(seconds * 1e6);
    }
    // `eventID` is "<shardId>:<sequenceNumber>".
    r.shard = "shardId-unknown";
    if (auto id = item.find("eventID"); id != item.end() && id->is_string()) {
      const std::string& text = id->get_ref<const std::string&>();
      if (const std::size_t colon = text.find(':'); colon != std::string::npos && colon > 0) {
        r.shard = text.substr(0, colon);
      }
    }
    records.push_back(std::move(r));
  }
  return records;
}

std::string BatchItemFailures(const std::vector<std::string>& sequences) {
  json failures = json::array();
  for (const std::string& s : sequences) failures.push_back({{"itemIdentifier", s}});
  return json{{"batchItemFailures", failures}}.dump();
}

IngestHandler::IngestHandler(RawArchive& archive, CleanStore& store, RecordLimits limits)
    : archive_(archive), ingestor_(archive, store, limits, 1) {}

Status IngestHandler::QuarantineUndecodable(const StreamBatch& batch,
                                            const std::vector<const KinesisEventRecord*>& records) {
  std::map<std::string, std::string> by_date;
  for (const KinesisEventRecord* r : records) {
    const std::string message =
        fmt::format("Kinesis data is not valid base64 ({} characters)", r->data.size());
    AppendQuarantineLine(
        {kInvalidBase64Reason, message, r->shard, r->sequence, r->arrival, r->data},
        by_date[FormatDate(r->arrival)]);
  }
  for (const auto& [date, lines] : by_date) {
    auto gz = GzipCompress(lines);
    if (!gz) return gz.status();
    // Beside the core's quarantine object of the same batch, never over it.
    std::string key = ObjectKey("rejected", date, batch.shard, ingestor_.generation(),
                                batch.first_sequence, batch.last_sequence);
    key.insert(key.size() - std::string_view(".jsonl.gz").size(), ".base64");
    if (Status s = archive_.Put(key, *gz); !s.ok()) return s;
  }
  return Status::Ok();
}

Result<IngestInvocation> IngestHandler::Handle(std::string_view event) {
  auto records = ParseKinesisEvent(event);
  if (!records) return records.status();
  std::map<std::string, std::vector<const KinesisEventRecord*>> by_shard;
  for (const KinesisEventRecord& r : *records) by_shard[r.shard].push_back(&r);

  IngestInvocation outcome;
  for (auto& [shard, list] : by_shard) {
    std::stable_sort(list.begin(), list.end(), [](const auto* a, const auto* b) {
      return kinesis::CompareSequence(a->sequence, b->sequence) < 0;
    });
    StreamBatch batch;
    batch.shard = shard;
    batch.first_sequence = list.front()->sequence;
    batch.last_sequence = list.back()->sequence;
    std::vector<const KinesisEventRecord*> undecodable;
    for (const KinesisEventRecord* r : list) {
      auto bytes = Base64Decode(r->data);
      if (!bytes) {
        undecodable.push_back(r);
        continue;
      }
      batch.entries.push_back({batch.Keep(r->sequence), r->arrival, batch.Keep(std::move(*bytes))});
    }
    ++outcome.batches;
    outcome.undecodable += undecodable.size();

    Status status;
    if (!batch.entries.empty()) {
      auto done = ingestor_.ProcessBatch(batch);
      if (done) {
        outcome.counts += done->counts;
        spdlog::info("ingest {} [{}..{}]: {} received, {} accepted, {} quarantined", shard,
                     batch.first_sequence, batch.last_sequence, done->counts.received,
                     done->counts.accepted, done->counts.rejected_total());
      } else {
        status = done.status();
      }
    }
    if (status.ok() && !undecodable.empty()) {
      status = QuarantineUndecodable(batch, undecodable);
      if (status.ok()) {
        spdlog::warn("ingest {}: {} record(s) with data that is not base64 quarantined", shard,
                     undecodable.size());
      }
    }
    if (!status.ok()) {
      // The whole batch again: its objects are keyed by its position, so the retry rewrites them.
      spdlog::error("ingest {} [{}..{}] failed, {} record(s) handed back for retry: {}", shard,
                    batch.first_sequence, batch.last_sequence, list.size(), status.message());
      ++outcome.failed_batches;
      for (const KinesisEventRecord* r : list) outcome.failed_sequences.push_back(r->sequence);
    }
  }
  return outcome;
}

Result<std::string> IngestHandler::operator()(std::string_view event,
                                              const InvocationContext& context) {
  auto outcome = Handle(event);
  if (!outcome) return outcome.status();
  spdlog::info("invocation {}: {} batch(es), {} failed, {} ms left", context.request_id,
               outcome->batches, outcome->failed_batches, context.RemainingMs());
  return BatchItemFailures(outcome->failed_sequences);
}

}  // namespace stockpipe::lambda
