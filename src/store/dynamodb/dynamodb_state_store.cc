#include "store/dynamodb/dynamodb_state_store.h"

#include "store/dynamodb/dynamodb_api.h"

namespace stockpipe {
namespace {

using nlohmann::json;

constexpr std::string_view kStatePk = "state";

json KeyOf(std::string_view key) {
  return {{"pk", {{"S", kStatePk}}}, {"sk", {{"S", std::string(key)}}}};
}

}  // namespace

DynamoDbStateStore::DynamoDbStateStore(DynamoDbOptions options)
    : options_(std::move(options)), client_(options_.client) {}

Status DynamoDbStateStore::Explained(Status status) {
  return dynamodb::ExplainMissingTable(
      client_, std::move(status),
      {{options_.state_table, "the state table", "DYNAMODB_STATE_TABLE"}});
}

Status DynamoDbStateStore::CreateTableIfMissing() {
  return dynamodb::EnsureTable(client_, options_.state_table, "pk", "sk");
}

Result<std::optional<std::string>> DynamoDbStateStore::Get(std::string_view key) {
  if (key.empty()) return Status::Error("state key is empty");
  auto answer = dynamodb::Call(
      client_, "GetItem",
      json{{"TableName", options_.state_table}, {"Key", KeyOf(key)}, {"ConsistentRead", true}});
  if (!answer) return Explained(answer.status());
  const auto item = answer->find("Item");
  if (item == answer->end()) return std::optional<std::string>();
  const auto value = item->find("value");
  if (value == item->end() || !value->contains("S") || !(*value)["S"].is_string()) {
    return Status::Error("DynamoDB table " + options_.state_table + ": state item " +
                         std::string(key) + " has no string value");
  }
  return std::optional<std::string>((*value)["S"].get<std::string>());
}

Status DynamoDbStateStore::Put(std::string_view key, std::string_view value) {
  if (key.empty()) return Status::Error("state key is empty");
  json item = KeyOf(key);
  item["value"] = {{"S", std::string(value)}};
  auto answer =
      dynamodb::Call(client_, "PutItem", json{{"TableName", options_.state_table}, {"Item", item}});
  return answer ? Status::Ok() : Explained(answer.status());
}

}  // namespace stockpipe
