#include "store/dynamodb/dynamodb_api.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <thread>

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

}  // namespace

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
