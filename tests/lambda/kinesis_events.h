// Kinesis events as the Lambda event source mapping delivers them (the documented shape: one
// `Records[]` entry per record, data base64, shard in `eventID`).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "codec/base64.h"

namespace stockpipe::testing {

inline constexpr double kArrivalSeconds = 1755182292.5;  // 2025-08-14T14:38:12.5Z

struct KinesisTestRecord {
  KinesisTestRecord(std::string shard_id, std::string sequence_number, std::string bytes,
                    double arrival = kArrivalSeconds)
      : shard(std::move(shard_id)),
        sequence(std::move(sequence_number)),
        data(std::move(bytes)),
        arrival_seconds(arrival) {}
  // A record whose `data` member is `text` as is, not base64 of anything.
  static KinesisTestRecord NotBase64(std::string shard_id, std::string sequence_number,
                                     std::string text) {
    KinesisTestRecord r(std::move(shard_id), std::move(sequence_number), "");
    r.raw_data = std::move(text);
    return r;
  }

  std::string shard;     // "shardId-000000000000"
  std::string sequence;  // decimal text
  std::string data;      // the record's bytes (base64-encoded into the event)
  double arrival_seconds = kArrivalSeconds;
  std::optional<std::string> raw_data;  // sent as `data` instead of base64(data)
  std::string partition_key = "AAPL";
};

inline std::string KinesisEvent(const std::vector<KinesisTestRecord>& records) {
  nlohmann::json list = nlohmann::json::array();
  for (const KinesisTestRecord& r : records) {
    list.push_back({
        {"kinesis",
         {{"kinesisSchemaVersion", "1.0"},
          {"partitionKey", r.partition_key},
          {"sequenceNumber", r.sequence},
          {"data", r.raw_data ? *r.raw_data : Base64Encode(r.data)},
          {"approximateArrivalTimestamp", r.arrival_seconds}}},
        {"eventSource", "aws:kinesis"},
        {"eventVersion", "1.0"},
        {"eventID", r.shard + ":" + r.sequence},
        {"eventName", "aws:kinesis:record"},
        {"invokeIdentityArn", "arn:aws:iam::123456789012:role/stockpipe-ingest"},
        {"awsRegion", "eu-central-1"},
        {"eventSourceARN", "arn:aws:kinesis:eu-central-1:123456789012:stream/stock-stream"},
    });
  }
  return nlohmann::json{{"Records", list}}.dump();
}

// A 56-digit Kinesis-looking sequence number ending in `n`.
inline std::string Sequence(int n) {
  std::string tail = std::to_string(n);
  return "4963" + std::string(52 - tail.size(), '0') + tail;
}

inline std::string Tick(const std::string& symbol, const std::string& timestamp, double price) {
  return nlohmann::json{{"symbol", symbol}, {"timestamp", timestamp}, {"price", price}}.dump();
}

}  // namespace stockpipe::testing
