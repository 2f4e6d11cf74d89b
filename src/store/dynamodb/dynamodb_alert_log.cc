#include "store/dynamodb/dynamodb_alert_log.h"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "store/dynamodb/dynamodb_api.h"

namespace stockpipe {
namespace {

using nlohmann::json;

constexpr Micros kKeep = 90LL * 86'400'000'000LL;  // how long the TTL keeps a logged message
constexpr int kMaxBumps = 1000;

std::string SortKey(std::int64_t id) {
  return fmt::format("{:019}", id);
}

std::int64_t Integer(const json& item, const char* name) {
  const std::string text = dynamodb::AttributeText(item, name);
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

MessageKind KindFrom(std::string_view name) {
  for (MessageKind kind : {MessageKind::kSignals, MessageKind::kNoData, MessageKind::kRecovered}) {
    if (KindName(kind) == name) return kind;
  }
  return MessageKind::kSignals;
}

}  // namespace

DynamoDbAlertLog::DynamoDbAlertLog(DynamoDbOptions options)
    : options_(std::move(options)), client_(options_.client) {}

Status DynamoDbAlertLog::Delivered(const AlertMessage& message, std::string_view channel) {
  const Micros created = message.created ? message.created : NowMicros();
  for (std::int64_t id = created; id < created + kMaxBumps; ++id) {
    const json put = {{"TableName", options_.state_table},
                      {"Item",
                       {{"pk", {{"S", "alerts"}}},
                        {"sk", {{"S", SortKey(id)}}},
                        {"kind", {{"S", std::string(KindName(message.kind))}}},
                        {"subject", {{"S", message.subject}}},
                        {"body", {{"S", message.body}}},
                        {"channel", {{"S", std::string(channel)}}},
                        {"created", {{"N", std::to_string(created)}}},
                        {"expires", {{"N", std::to_string((created + kKeep) / 1'000'000)}}}}},
                      {"ConditionExpression", "attribute_not_exists(pk)"}};
    auto written = dynamodb::Call(client_, "PutItem", put);
    if (written) break;
    if (!dynamodb::IsError(written.status(), "ConditionalCheckFailedException")) {
      return written.status();
    }
  }
  const json update = {
      {"TableName", options_.state_table},
      {"Key", {{"pk", {{"S", "channels"}}}, {"sk", {{"S", std::string(channel)}}}}},
      {"UpdateExpression", "ADD delivered :one SET last_success = :at"},
      {"ExpressionAttributeValues",
       {{":one", {{"N", "1"}}}, {":at", {{"N", std::to_string(created)}}}}}};
  auto counted = dynamodb::Call(client_, "UpdateItem", update);
  return counted ? Status::Ok() : counted.status();
}

Status DynamoDbAlertLog::Failed(std::string_view channel, std::string_view error, Micros at) {
  const json update = {
      {"TableName", options_.state_table},
      {"Key", {{"pk", {{"S", "channels"}}}, {"sk", {{"S", std::string(channel)}}}}},
      {"UpdateExpression", "ADD failures :one SET last_error = :error, last_error_at = :at"},
      {"ExpressionAttributeValues",
       {{":one", {{"N", "1"}}},
        {":error", {{"S", error.empty() ? std::string("error") : std::string(error)}}},
        {":at", {{"N", std::to_string(at)}}}}}};
  auto counted = dynamodb::Call(client_, "UpdateItem", update);
  return counted ? Status::Ok() : counted.status();
}

Result<std::vector<LoggedAlert>> DynamoDbAlertLog::Recent(std::size_t limit,
                                                          std::int64_t after_id) {
  std::vector<LoggedAlert> alerts;
  if (limit == 0) return alerts;
  json query = {{"TableName", options_.state_table},
                {"KeyConditionExpression", "pk = :pk AND sk > :after"},
                {"ExpressionAttributeValues",
                 {{":pk", {{"S", "alerts"}}}, {":after", {{"S", SortKey(after_id)}}}}},
                {"ScanIndexForward", false},
                {"ConsistentRead", true},
                {"Limit", limit}};
  while (alerts.size() < limit) {
    auto page = dynamodb::Call(client_, "Query", query);
    if (!page) return page.status();
    for (const json& item : page->value("Items", json::array())) {
      LoggedAlert alert;
      alert.id = Integer(item, "sk");
      alert.message.kind = KindFrom(dynamodb::AttributeText(item, "kind"));
      alert.message.subject = dynamodb::AttributeText(item, "subject");
      alert.message.body = dynamodb::AttributeText(item, "body");
      alert.message.created = Integer(item, "created");
      alert.channel = dynamodb::AttributeText(item, "channel");
      alerts.push_back(std::move(alert));
      if (alerts.size() == limit) break;
    }
    const json next = page->value("LastEvaluatedKey", json());
    if (!next.is_object() || next.empty()) break;
    query["ExclusiveStartKey"] = next;
  }
  return alerts;
}

Result<ChannelRecord> DynamoDbAlertLog::Channel(std::string_view channel) {
  const json get = {{"TableName", options_.state_table},
                    {"Key", {{"pk", {{"S", "channels"}}}, {"sk", {{"S", std::string(channel)}}}}},
                    {"ConsistentRead", true}};
  auto answer = dynamodb::Call(client_, "GetItem", get);
  if (!answer) return answer.status();
  ChannelRecord record;
  record.channel = std::string(channel);
  const json item = answer->value("Item", json::object());
  record.delivered = static_cast<std::uint64_t>(Integer(item, "delivered"));
  record.failures = static_cast<std::uint64_t>(Integer(item, "failures"));
  record.last_success = Integer(item, "last_success");
  record.last_error = dynamodb::AttributeText(item, "last_error");
  record.last_error_at = Integer(item, "last_error_at");
  return record;
}

}  // namespace stockpipe
