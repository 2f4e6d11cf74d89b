#include "store/dynamodb/dynamodb_clean_store.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <limits>
#include <numeric>
#include <system_error>
#include <thread>

#include "codec/backoff.h"
#include "codec/json_write.h"
#include "store/dynamodb/dynamodb_api.h"

namespace stockpipe {
namespace {

using nlohmann::json;

constexpr std::size_t kItemsPerBatch = 25;  // BatchWriteItem's limit, all tables together
constexpr std::string_view kRegistryPk = "symbols";

// The shortest fixed-point decimal that reads back as exactly `price`: DynamoDB numbers are
// decimal, so this stores the double itself, not a rounding of it.
void AppendNumber(double price, std::string& out) {
  char buf[512];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, price, std::chars_format::fixed);
  out.append(buf, ec == std::errc() ? end : buf);
}

void AppendTickPut(const Tick& tick, std::string& out) {
  out += R"({"PutRequest":{"Item":{"symbol":{"S":)";
  AppendJsonString(tick.symbol, out);
  out += R"(},"timestamp":{"S":")";
  const std::size_t at = out.size();
  out.resize(at + kCanonicalTimestampSize);
  FormatCanonical(tick.timestamp, out.data() + at);
  out += R"("},"price":{"N":")";
  AppendNumber(tick.price, out);
  out += R"("}}}})";
}

void AppendRegistryPut(std::string_view symbol, std::string& out) {
  out += R"({"PutRequest":{"Item":{"pk":{"S":"symbols"},"sk":{"S":)";
  AppendJsonString(symbol, out);
  out += "}}}}";
}

// The last tick of each (symbol, timestamp), in input order: the last price wins.
std::vector<const Tick*> LastPerKey(std::span<const Tick> ticks) {
  std::vector<std::size_t> order(ticks.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Tick& x = ticks[a];
    const Tick& y = ticks[b];
    return x.symbol != y.symbol ? x.symbol < y.symbol : x.timestamp < y.timestamp;
  });
  std::vector<bool> keep(ticks.size(), false);
  for (std::size_t i = 0; i < order.size(); ++i) {
    const bool last = i + 1 == order.size() ||
                      ticks[order[i]].symbol != ticks[order[i + 1]].symbol ||
                      ticks[order[i]].timestamp != ticks[order[i + 1]].timestamp;
    if (last) keep[order[i]] = true;
  }
  std::vector<const Tick*> unique;
  unique.reserve(ticks.size());
  for (std::size_t i = 0; i < ticks.size(); ++i) {
    if (keep[i]) unique.push_back(&ticks[i]);
  }
  return unique;
}

// The string value of attribute `name` of type `type` ("S", "N") in a DynamoDB item, or null.
const std::string* Attribute(const json& item, const char* name, const char* type) {
  const auto attribute = item.find(name);
  if (attribute == item.end() || !attribute->is_object()) return nullptr;
  const auto value = attribute->find(type);
  if (value == attribute->end() || !value->is_string()) return nullptr;
  return &value->get_ref<const std::string&>();
}

Result<PricePoint> ReadPoint(const json& item, std::string_view symbol) {
  const std::string* stamp = Attribute(item, "timestamp", "S");
  const auto time = stamp ? ParseTimestampText(*stamp) : std::nullopt;
  if (!time) {
    return Status::Error("DynamoDB item of " + std::string(symbol) + " has no valid timestamp");
  }
  PricePoint point;
  point.timestamp = *time;
  const std::string* price = Attribute(item, "price", "N");
  if (!price || std::from_chars(price->data(), price->data() + price->size(), point.price).ec !=
                    std::errc()) {
    return Status::Error("DynamoDB item " + std::string(symbol) + " " + FormatCanonical(*time) +
                         " has no numeric price");
  }
  return point;
}

}  // namespace

DynamoDbCleanStore::DynamoDbCleanStore(DynamoDbOptions options)
    : options_(std::move(options)), client_(options_.client) {}

Status DynamoDbCleanStore::CreateTablesIfMissing() {
  if (Status s = dynamodb::EnsureTable(client_, options_.table, "symbol", "timestamp"); !s.ok()) {
    return s;
  }
  return dynamodb::EnsureTable(client_, options_.state_table, "pk", "sk");
}

Result<std::vector<std::string>> DynamoDbCleanStore::Symbols() {
  std::vector<std::string> symbols;
  json query = {{"TableName", options_.state_table},
                {"KeyConditionExpression", "pk = :pk"},
                {"ExpressionAttributeValues", {{":pk", {{"S", kRegistryPk}}}}},
                {"ProjectionExpression", "sk"},
                {"ConsistentRead", true}};
  while (true) {
    auto page = dynamodb::Call(client_, "Query", query);
    if (!page) return page.status();
    for (const auto& item : page->value("Items", json::array())) {
      const std::string* symbol = Attribute(item, "sk", "S");
      if (!symbol) {
        return Status::Error("DynamoDB table " + options_.state_table +
                             ": a symbols registry item has no string sk");
      }
      symbols.push_back(*symbol);
    }
    if (!page->contains("LastEvaluatedKey")) break;
    query["ExclusiveStartKey"] = (*page)["LastEvaluatedKey"];
  }
  std::sort(symbols.begin(), symbols.end());
  std::lock_guard lock(known_mutex_);
  known_.insert(symbols.begin(), symbols.end());
  known_loaded_ = true;
  return symbols;
}

Result<std::vector<std::string>> DynamoDbCleanStore::NewSymbols(
    std::span<const Tick* const> ticks) {
  bool loaded;
  {
    std::lock_guard lock(known_mutex_);
    loaded = known_loaded_;
  }
  if (!loaded) {
    if (auto registry = Symbols(); !registry) return registry.status();
  }
  std::vector<std::string> fresh;
  std::lock_guard lock(known_mutex_);
  std::string_view previous;
  for (const Tick* tick : ticks) {
    if (tick->symbol == previous) continue;  // runs of one symbol are common
    previous = tick->symbol;
    if (!known_.contains(tick->symbol) &&
        std::find(fresh.begin(), fresh.end(), tick->symbol) == fresh.end()) {
      fresh.push_back(tick->symbol);
    }
  }
  return fresh;
}

Status DynamoDbCleanStore::Upsert(std::span<const Tick> ticks) {
  if (ticks.empty()) return Status::Ok();
  const std::vector<const Tick*> unique = LastPerKey(ticks);
  auto fresh = NewSymbols(unique);
  if (!fresh) return fresh.status();

  // Registry puts first, then ticks, cut into calls of 25: the registry rides in the first call
  // and costs a call of its own only when that call would otherwise be full.
  const std::size_t total = fresh->size() + unique.size();
  std::string table_key;
  std::string state_key;
  AppendJsonString(options_.table, table_key);
  AppendJsonString(options_.state_table, state_key);
  std::vector<std::string> bodies;
  for (std::size_t start = 0; start < total; start += kItemsPerBatch) {
    const std::size_t end = std::min(total, start + kItemsPerBatch);
    std::string body = R"({"RequestItems":{)";
    if (start < fresh->size()) {
      body += state_key + ":[";
      for (std::size_t i = start; i < std::min(end, fresh->size()); ++i) {
        if (i != start) body += ',';
        AppendRegistryPut((*fresh)[i], body);
      }
      body += ']';
    }
    if (end > fresh->size()) {
      if (start < fresh->size()) body += ',';
      body += table_key + ":[";
      for (std::size_t i = std::max(start, fresh->size()); i < end; ++i) {
        if (body.back() != '[') body += ',';
        AppendTickPut(*unique[i - fresh->size()], body);
      }
      body += ']';
    }
    body += "}}";
    bodies.push_back(std::move(body));
  }

  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  Status error;
  const auto work = [&] {
    while (!failed) {
      const std::size_t i = next++;
      if (i >= bodies.size()) return;
      if (Status s = WriteBatch(std::move(bodies[i])); !s.ok()) {
        std::lock_guard lock(error_mutex);
        if (error.ok()) error = s;
        failed = true;
      }
    }
  };
  {
    std::vector<std::jthread> helpers;
    const std::size_t threads = std::clamp<std::size_t>(options_.write_concurrency, 1, 16);
    try {
      for (std::size_t t = 1; t < std::min(threads, bodies.size()); ++t) helpers.emplace_back(work);
    } catch (const std::system_error& e) {
      spdlog::warn("DynamoDB Upsert: writing with fewer threads ({})", e.what());
    }
    work();
  }
  if (!error.ok()) return error;

  std::lock_guard lock(known_mutex_);
  known_.insert(fresh->begin(), fresh->end());
  return Status::Ok();
}

Status DynamoDbCleanStore::WriteBatch(std::string body) {
  // Unprocessed items get the client's retry budget: same rounds, same backoff.
  const aws::RetryPolicy& policy = options_.client.retry;
  for (int round = 1;; ++round) {
    auto answer = dynamodb::Call(client_, "BatchWriteItem", std::move(body));
    if (!answer) return answer.status();
    const auto unprocessed = answer->find("UnprocessedItems");
    if (unprocessed == answer->end() || !unprocessed->is_object() || unprocessed->empty()) {
      return Status::Ok();
    }
    std::size_t left = 0;
    for (const auto& [table, requests] : unprocessed->items()) left += requests.size();
    if (round >= policy.max_attempts) {
      return Status::Error(fmt::format(
          "DynamoDB BatchWriteItem: {} items still unprocessed after {} rounds (write capacity "
          "of {} exhausted?); the batch failed and must be retried",
          left, round, options_.table));
    }
    const std::int64_t wait = BackoffWait(
        {.base_delay_us = policy.base_delay_us, .max_delay_us = policy.max_delay_us}, round - 1);
    spdlog::warn("DynamoDB BatchWriteItem: {} items unprocessed; resending them in {} ms ({}/{})",
                 left, wait / 1000, round, policy.max_attempts);
    std::this_thread::sleep_for(std::chrono::microseconds(wait));
    body = dynamodb::Dump(json{{"RequestItems", std::move(*unprocessed)}});
  }
}

Result<std::vector<PricePoint>> DynamoDbCleanStore::LastN(std::string_view symbol, std::size_t n) {
  std::vector<PricePoint> points;
  if (n == 0) return points;
  json query = {
      {"TableName", options_.table},
      {"KeyConditionExpression", "#s = :s"},
      {"ExpressionAttributeNames", {{"#s", "symbol"}, {"#t", "timestamp"}, {"#p", "price"}}},
      {"ExpressionAttributeValues", {{":s", {{"S", std::string(symbol)}}}}},
      {"ProjectionExpression", "#t, #p"},
      {"ScanIndexForward", false},
      {"ConsistentRead", true}};
  constexpr std::size_t kMaxLimit = std::numeric_limits<std::int32_t>::max();
  while (points.size() < n) {
    query["Limit"] = std::min(n - points.size(), kMaxLimit);
    auto page = dynamodb::Call(client_, "Query", query);
    if (!page) return page.status();
    for (const auto& item : page->value("Items", json::array())) {
      auto point = ReadPoint(item, symbol);
      if (!point) return point.status();
      points.push_back(*point);
    }
    if (!page->contains("LastEvaluatedKey")) break;
    query["ExclusiveStartKey"] = (*page)["LastEvaluatedKey"];
  }
  if (points.size() > n) points.resize(n);
  std::reverse(points.begin(), points.end());
  return points;
}

}  // namespace stockpipe
