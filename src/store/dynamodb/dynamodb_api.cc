#include "store/dynamodb/dynamodb_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <mutex>
#include <system_error>
#include <thread>

#include "codec/backoff.h"
#include "codec/json_write.h"

namespace stockpipe::dynamodb {
namespace {

constexpr std::string_view kTarget = "DynamoDB_20120810";
// A real table takes seconds to become ACTIVE; minutes means something is wrong.
constexpr auto kActiveDeadline = std::chrono::minutes(5);
constexpr auto kFirstPoll = std::chrono::milliseconds(20);
constexpr auto kMaxPoll = std::chrono::seconds(2);

// "symbol (HASH), timestamp (RANGE)" from a DescribeTable answer's KeySchema.
std::string KeySchemaText(const nlohmann::json& table) {
  std::string text;
  const auto& schema = table.value("KeySchema", nlohmann::json::array());
  for (const auto& key : schema) {
    if (!text.empty()) text += ", ";
    text += key.value("AttributeName", "?") + " (" + key.value("KeyType", "?") + ")";
  }
  return text;
}

// Waits before retry `retry` (0 = the first) of unprocessed items, as the client waits between
// attempts.
void WaitBeforeRetry(const aws::Client& client, int retry) {
  const aws::RetryPolicy& policy = client.options().retry;
  std::this_thread::sleep_for(std::chrono::microseconds(BackoffWait(
      {.base_delay_us = policy.base_delay_us, .max_delay_us = policy.max_delay_us}, retry)));
}

// Sends one BatchWriteItem body, then its unprocessed items until none are left.
Status WriteOne(aws::Client& client, std::string body) {
  const int max_attempts = client.options().retry.max_attempts;
  for (int round = 1;; ++round) {
    auto answer = Call(client, "BatchWriteItem", std::move(body));
    if (!answer) return answer.status();
    const auto unprocessed = answer->find("UnprocessedItems");
    if (unprocessed == answer->end() || !unprocessed->is_object() || unprocessed->empty()) {
      return Status::Ok();
    }
    std::size_t left = 0;
    std::string tables;
    for (const auto& [table, requests] : unprocessed->items()) {
      left += requests.size();
      tables += (tables.empty() ? "" : ", ") + table;
    }
    if (round >= max_attempts) {
      return Status::Error(fmt::format(
          "DynamoDB BatchWriteItem: {} items still unprocessed after {} rounds (write capacity "
          "of {} exhausted?); the batch failed and must be retried",
          left, round, tables));
    }
    spdlog::warn("DynamoDB BatchWriteItem: {} items unprocessed; resending them ({}/{})", left,
                 round, max_attempts);
    WaitBeforeRetry(client, round - 1);
    body = Dump(nlohmann::json{{"RequestItems", std::move(*unprocessed)}});
  }
}

}  // namespace

std::string& WriteBodies::Add(std::string_view table) {
  if (count_ == kWritesPerCall) Close();
  const bool open = !tables_.empty() && tables_.back() == table;
  // A table already closed in this body cannot be opened again (one key per table).
  if (!open && std::find(tables_.begin(), tables_.end(), table) != tables_.end()) Close();
  if (count_ == 0) body_ = R"({"RequestItems":{)";
  if (tables_.empty() || tables_.back() != table) {
    if (!tables_.empty()) body_ += "],";
    AppendJsonString(table, body_);
    body_ += ":[";
    tables_.emplace_back(table);
  } else {
    body_ += ',';
  }
  ++count_;
  return body_;
}

void WriteBodies::Close() {
  if (count_ == 0) return;
  body_ += "]}}";
  bodies_.push_back(std::move(body_));
  body_.clear();
  tables_.clear();
  count_ = 0;
}

std::vector<std::string> WriteBodies::Take() {
  Close();
  return std::exchange(bodies_, {});
}

Status WriteAll(aws::Client& client, std::vector<std::string> bodies, std::size_t concurrency) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  Status error;
  const auto work = [&] {
    while (!failed) {
      const std::size_t i = next++;
      if (i >= bodies.size()) return;
      if (Status s = WriteOne(client, std::move(bodies[i])); !s.ok()) {
        std::lock_guard lock(error_mutex);
        if (error.ok()) error = s;
        failed = true;
      }
    }
  };
  std::vector<std::jthread> helpers;
  const std::size_t threads = std::clamp<std::size_t>(concurrency, 1, 16);
  try {
    for (std::size_t t = 1; t < std::min(threads, bodies.size()); ++t) helpers.emplace_back(work);
  } catch (const std::system_error& e) {
    spdlog::warn("DynamoDB BatchWriteItem: writing with fewer threads ({})", e.what());
  }
  work();
  for (std::jthread& helper : helpers) helper.join();
  return error;
}

Result<std::vector<nlohmann::json>> GetAll(aws::Client& client, const std::string& table,
                                           const std::vector<nlohmann::json>& keys,
                                           const nlohmann::json& extra) {
  std::vector<nlohmann::json> items;
  const int max_attempts = client.options().retry.max_attempts;
  for (std::size_t at = 0; at < keys.size(); at += kReadsPerCall) {
    nlohmann::json request = extra;
    request["ConsistentRead"] = true;
    request["Keys"] = nlohmann::json::array();
    for (std::size_t i = at; i < std::min(keys.size(), at + kReadsPerCall); ++i) {
      request["Keys"].push_back(keys[i]);
    }
    nlohmann::json pending = {{table, std::move(request)}};
    for (int round = 1;; ++round) {
      auto answer = Call(client, "BatchGetItem", nlohmann::json{{"RequestItems", pending}});
      if (!answer) return answer.status();
      const auto responses = answer->find("Responses");
      if (responses != answer->end() && responses->is_object()) {
        for (auto& item : responses->value(table, nlohmann::json::array())) {
          items.push_back(std::move(item));
        }
      }
      pending = answer->value("UnprocessedKeys", nlohmann::json::object());
      if (!pending.is_object() || pending.empty()) break;
      if (round >= max_attempts) {
        return Status::Error(fmt::format(
            "DynamoDB BatchGetItem: keys of {} still unprocessed after {} rounds (read capacity "
            "exhausted?)",
            table, round));
      }
      WaitBeforeRetry(client, round - 1);
    }
  }
  return items;
}

const std::string* Attribute(const nlohmann::json& item, const char* name, const char* type) {
  const auto attribute = item.find(name);
  if (attribute == item.end() || !attribute->is_object()) return nullptr;
  const auto value = attribute->find(type);
  if (value == attribute->end() || !value->is_string()) return nullptr;
  return &value->get_ref<const std::string&>();
}

std::string AttributeText(const nlohmann::json& item, const char* name) {
  const std::string* text = Attribute(item, name, "S");
  if (!text) text = Attribute(item, name, "N");
  return text ? *text : std::string();
}

void AppendNumber(double value, std::string& out) {
  char buf[512];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed);
  out.append(buf, ec == std::errc() ? end : buf);
}

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<nlohmann::json> Call(aws::Client& client, std::string_view op, std::string body) {
  auto text = client.CallJson(kTarget, op, std::move(body), "1.0");
  if (!text) return Status::Error("DynamoDB " + text.error());
  auto answer = nlohmann::json::parse(*text, nullptr, false);
  if (!answer.is_object()) {
    return Status::Error("DynamoDB " + std::string(op) + ": the answer is not a JSON object");
  }
  return answer;
}

Result<nlohmann::json> Call(aws::Client& client, std::string_view op, const nlohmann::json& body) {
  return Call(client, op, Dump(body));
}

bool IsError(const Status& status, std::string_view code) {
  return !status.ok() && status.message().find(": " + std::string(code) + ":") != std::string::npos;
}

Status ExplainMissingTable(aws::Client& client, Status status,
                           std::initializer_list<TableRole> tables) {
  if (!IsError(status, "ResourceNotFoundException")) return status;
  for (const TableRole& table : tables) {
    auto found = Call(client, "DescribeTable", nlohmann::json{{"TableName", table.name}});
    if (found || !IsError(found.status(), "ResourceNotFoundException")) continue;
    return Status::Error(
        "DynamoDB table " + table.name + " (" + std::string(table.what) + ") does not exist" +
        (client.options().region.empty() ? "" : " in region " + client.options().region) +
        ": create it with `stockpipe init --store dynamodb` (or Terraform, infra/dynamodb.tf), or "
        "set " +
        std::string(table.setting) + " to the table that holds it (" + status.message() + ")");
  }
  return status;
}

Status EnsureTable(aws::Client& client, const std::string& name, const std::string& hash,
                   const std::string& range, bool* created) {
  if (created) *created = false;
  const nlohmann::json describe = {{"TableName", name}};
  auto found = Call(client, "DescribeTable", describe);
  if (!found && !IsError(found.status(), "ResourceNotFoundException")) return found.status();
  if (!found) {
    const nlohmann::json create = {{"TableName", name},
                                   {"AttributeDefinitions",
                                    {{{"AttributeName", hash}, {"AttributeType", "S"}},
                                     {{"AttributeName", range}, {"AttributeType", "S"}}}},
                                   {"KeySchema",
                                    {{{"AttributeName", hash}, {"KeyType", "HASH"}},
                                     {{"AttributeName", range}, {"KeyType", "RANGE"}}}},
                                   {"BillingMode", "PAY_PER_REQUEST"}};
    auto made = Call(client, "CreateTable", create);
    // ResourceInUse: another process created it meanwhile, which is what we wanted.
    if (!made && !IsError(made.status(), "ResourceInUseException")) return made.status();
    const bool created_ok = made.ok();
    if (created) *created = created_ok;
    spdlog::info("DynamoDB table {} created ({} hash, {} range)", name, hash, range);
    found = Call(client, "DescribeTable", describe);
    if (!found) return found.status();
  }

  const auto& table = (*found)["Table"];
  const std::string expected = hash + " (HASH), " + range + " (RANGE)";
  if (!table.is_object() || KeySchemaText(table) != expected) {
    return Status::Error("DynamoDB table " + name + " has key schema [" +
                         (table.is_object() ? KeySchemaText(table) : std::string("?")) +
                         "], expected [" + expected + "]: use another table name or drop it");
  }
  const auto deadline = std::chrono::steady_clock::now() + kActiveDeadline;
  auto poll = std::chrono::duration_cast<std::chrono::milliseconds>(kFirstPoll);
  while (true) {
    const std::string state = (*found)["Table"].value("TableStatus", "");
    if (state == "ACTIVE") return Status::Ok();
    if (state != "CREATING" && state != "UPDATING") {
      return Status::Error("DynamoDB table " + name + " is " + state + ", not ACTIVE");
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::Error("DynamoDB table " + name + " is still " + state + " after 5 minutes");
    }
    // Polling a remote state change: the service offers no way to wait on it.
    std::this_thread::sleep_for(poll);
    poll = std::min<std::chrono::milliseconds>(poll * 2, kMaxPoll);
    found = Call(client, "DescribeTable", describe);
    if (!found) return found.status();
  }
}

}  // namespace stockpipe::dynamodb
