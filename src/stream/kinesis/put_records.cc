#include "stream/kinesis/put_records.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "codec/base64.h"
#include "codec/utf8.h"

namespace stockpipe::kinesis {

using nlohmann::json;

std::string_view KinesisPartitionKey(std::string_view key) {
  if (key.empty()) return "-";
  return Utf8Prefix(key, kMaxPartitionKeyBytes);
}

std::vector<std::size_t> PlanPutCalls(std::span<const PutEntry> entries) {
  std::vector<std::size_t> ends;
  std::size_t count = 0, bytes = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::size_t size = entries[i].bytes();
    if (count > 0 && (count == kMaxPutRecords || bytes + size > kMaxPutBytes)) {
      ends.push_back(i);
      count = 0;
      bytes = 0;
    }
    ++count;
    bytes += size;
  }
  if (count > 0) ends.push_back(entries.size());
  return ends;
}

std::string PutRecordsBody(std::string_view stream, std::span<const PutEntry> entries) {
  json records = json::array();
  for (const PutEntry& e : entries) {
    records.push_back(
        {{"PartitionKey", std::string(e.partition_key)}, {"Data", Base64Encode(e.data)}});
  }
  return json{{"StreamName", std::string(stream)}, {"Records", std::move(records)}}.dump();
}

Result<PutRecordsOutcome> EntriesToResend(std::string_view response_body,
                                          std::span<const PutEntry> sent) {
  const json response = json::parse(response_body, nullptr, false);
  if (!response.is_object() || !response.contains("Records") || !response["Records"].is_array()) {
    return Status::Error(fmt::format("PutRecords answered without a Records list: {}",
                                     response_body.substr(0, 200)));
  }
  const json& records = response["Records"];
  if (records.size() != sent.size()) {
    return Status::Error(fmt::format(
        "PutRecords answered for {} entries but {} were sent; cannot tell which were accepted",
        records.size(), sent.size()));
  }
  PutRecordsOutcome outcome;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const json& r = records[i];
    const bool has_error = r.is_object() && r.contains("ErrorCode") && !r["ErrorCode"].is_null();
    const bool has_sequence =
        r.is_object() && r.contains("SequenceNumber") && r["SequenceNumber"].is_string();
    if (!has_error && has_sequence) continue;
    if (outcome.first_error.empty()) {
      const std::string code = has_error && r["ErrorCode"].is_string()
                                   ? r["ErrorCode"].get<std::string>()
                                   : "no SequenceNumber";
      const std::string message =
          r.is_object() && r.contains("ErrorMessage") && r["ErrorMessage"].is_string()
              ? r["ErrorMessage"].get<std::string>()
              : "";
      outcome.first_error = message.empty() ? code : code + ": " + message;
    }
    outcome.resend.push_back(sent[i]);
  }
  return outcome;
}

}  // namespace stockpipe::kinesis
