#include "stream/kinesis/checkpoint.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace stockpipe::kinesis {
namespace {

using nlohmann::json;

bool ReadCount(const json& object, const char* name, std::uint64_t& out) {
  if (!object.contains(name)) return true;
  const json& value = object[name];
  if (!value.is_number_unsigned()) return false;
  out = value.get<std::uint64_t>();
  return true;
}

int ReasonIndex(std::string_view code) {
  for (int i = 0; i < kRejectReasonCount; ++i) {
    if (ReasonCode(static_cast<RejectReason>(i)) == code) return i;
  }
  return -1;
}

int IgnoredIndex(std::string_view code) {
  for (int i = 0; i < kIgnoredFieldCount; ++i) {
    if (IgnoredCode(static_cast<IgnoredField>(i)) == code) return i;
  }
  return -1;
}

}  // namespace

std::string CheckpointKey(std::string_view stream, std::string_view consumer,
                          std::string_view shard) {
  return fmt::format("kinesis/{}/{}/{}", stream, consumer, shard);
}

std::string EncodeCheckpoint(const ShardCheckpoint& checkpoint) {
  json out = json::object();
  if (!checkpoint.shard_start.empty()) out["start"] = checkpoint.shard_start;
  out["seq"] = checkpoint.sequence;
  if (checkpoint.has_claim()) {
    out["claim"] = {{"first", checkpoint.claim_first},
                    {"last", checkpoint.claim_last},
                    {"count", checkpoint.claim_count}};
  }
  out["finished"] = checkpoint.finished;
  json rejected = json::object();
  for (int i = 0; i < kRejectReasonCount; ++i) {
    const std::uint64_t n = checkpoint.counts.rejected[static_cast<std::size_t>(i)];
    if (n > 0) rejected[std::string(ReasonCode(static_cast<RejectReason>(i)))] = n;
  }
  out["counts"] = {{"received", checkpoint.counts.received},
                   {"accepted", checkpoint.counts.accepted},
                   {"rejected", std::move(rejected)}};
  json ignored = json::object();
  for (int i = 0; i < kIgnoredFieldCount; ++i) {
    const std::uint64_t n = checkpoint.counts.ignored[static_cast<std::size_t>(i)];
    if (n > 0) ignored[std::string(IgnoredCode(static_cast<IgnoredField>(i)))] = n;
  }
  if (!ignored.empty()) out["counts"]["ignored"] = std::move(ignored);
  return out.dump();
}

Result<ShardCheckpoint> DecodeCheckpoint(std::string_view text) {
  const json in = json::parse(text, nullptr, false);
  const auto bad = [&](std::string_view what) {
    return Status::Error(fmt::format("Kinesis checkpoint {} is unreadable: {}", text, what));
  };
  if (!in.is_object()) return bad("not a JSON object");
  ShardCheckpoint out;
  if (in.contains("start")) {
    if (!in["start"].is_string()) return bad("\"start\" is not a string");
    out.shard_start = in["start"].get<std::string>();
  }
  if (in.contains("seq")) {
    if (!in["seq"].is_string()) return bad("\"seq\" is not a string");
    out.sequence = in["seq"].get<std::string>();
  }
  if (in.contains("claim")) {
    const json& claim = in["claim"];
    if (!claim.is_object() || !claim.contains("first") || !claim["first"].is_string() ||
        !claim.contains("last") || !claim["last"].is_string() ||
        !ReadCount(claim, "count", out.claim_count)) {
      return bad("\"claim\" needs string \"first\" and \"last\" and a count");
    }
    out.claim_first = claim["first"].get<std::string>();
    out.claim_last = claim["last"].get<std::string>();
    if (out.claim_first.empty() || out.claim_last.empty()) return bad("empty claim bounds");
  }
  if (in.contains("finished")) {
    if (!in["finished"].is_boolean()) return bad("\"finished\" is not a boolean");
    out.finished = in["finished"].get<bool>();
  }
  if (in.contains("counts")) {
    const json& counts = in["counts"];
    if (!counts.is_object() || !ReadCount(counts, "received", out.counts.received) ||
        !ReadCount(counts, "accepted", out.counts.accepted)) {
      return bad("\"counts\" needs unsigned \"received\" and \"accepted\"");
    }
    if (counts.contains("rejected")) {
      if (!counts["rejected"].is_object()) return bad("\"counts.rejected\" is not an object");
      for (const auto& [code, value] : counts["rejected"].items()) {
        const int index = ReasonIndex(code);
        if (index < 0) {
          return bad(
              fmt::format("unknown reject reason \"{}\" (written by a newer stockpipe?)", code));
        }
        if (!value.is_number_unsigned()) return bad("a rejected count is not unsigned");
        out.counts.rejected[static_cast<std::size_t>(index)] = value.get<std::uint64_t>();
      }
    }
    if (counts.contains("ignored")) {
      if (!counts["ignored"].is_object()) return bad("\"counts.ignored\" is not an object");
      for (const auto& [code, value] : counts["ignored"].items()) {
        const int index = IgnoredIndex(code);
        if (index < 0) {
          return bad(fmt::format(
              "unknown ignored-member reason \"{}\" (written by a newer stockpipe?)", code));
        }
        if (!value.is_number_unsigned()) return bad("an ignored count is not unsigned");
        out.counts.ignored[static_cast<std::size_t>(index)] = value.get<std::uint64_t>();
      }
    }
  }
  return out;
}

int CompareSequence(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace stockpipe::kinesis
