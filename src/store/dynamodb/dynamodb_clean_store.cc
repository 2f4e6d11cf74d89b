#include "store/dynamodb/dynamodb_clean_store.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
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
// A state item (pk=state) saying the registry holds every symbol of the tick table: written when
// this store created the table, or after a scan rebuilt the registry.
constexpr std::string_view kRegistryCompleteKey = "symbols/registry_complete";

void AppendTickPut(const Tick& tick, std::string& out) {
  out += R"({"PutRequest":{"Item":{"symbol":{"S":)";
  AppendJsonString(tick.symbol, out);
  out += R"(},"timestamp":{"S":")";
  const std::size_t at = out.size();
  out.resize(at + kCanonicalTimestampSize);
  FormatCanonical(tick.timestamp, out.data() + at);
  out += R"("},"price":{"N":")";
  dynamodb::AppendNumber(tick.price, out);
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

// Why an item of the tick table cannot feed a rule; empty when it can. Tables another program
// wrote (the reference ingest stored what it was sent) hold prices as numbers or strings, some
// not positive or not numbers at all, and timestamps in several forms.
std::string_view ReadItem(const json& item, PricePoint& point, std::string_view& stamp) {
  const std::string* text = dynamodb::Attribute(item, "timestamp", "S");
  if (!text) return "no string timestamp";
  stamp = *text;
  const auto time = ParseTimestampText(*text);
  if (!time) return "timestamp is not a time";
  point.timestamp = *time;
  const std::string* price = dynamodb::Attribute(item, "price", "N");
  if (!price) price = dynamodb::Attribute(item, "price", "S");
  if (!price) return "no price";
  std::string_view digits = *price;
  while (!digits.empty() && digits.front() == ' ') digits.remove_prefix(1);
  while (!digits.empty() && digits.back() == ' ') digits.remove_suffix(1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), point.price);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    return "price is not a number";
  }
  if (!std::isfinite(point.price) || point.price <= 0) return "price is not a positive number";
  return {};
}

// "2025-08-14T14:38:12" of an ISO text stamp in UTC: the second it falls in. In every UTC form
// (`Z`, `+00:00`, with or without a fraction, naive) these 19 characters come first, so they
// order the table's text like time to the second; within a second the forms sort in any order.
std::string_view SecondOf(std::string_view stamp) {
  return stamp.substr(0, 19);
}

}  // namespace

DynamoDbCleanStore::DynamoDbCleanStore(DynamoDbOptions options)
    : options_(std::move(options)), client_(options_.client) {}

Status DynamoDbCleanStore::CreateTablesIfMissing(std::vector<std::string>* created) {
  bool new_table = false;
  bool new_state = false;
  if (Status s = dynamodb::EnsureTable(client_, options_.table, "symbol", "timestamp", &new_table);
      !s.ok()) {
    return s;
  }
  if (Status s = dynamodb::EnsureTable(client_, options_.state_table, "pk", "sk", &new_state);
      !s.ok()) {
    return s;
  }
  if (created && new_table) created->push_back(options_.table);
  if (created && new_state) created->push_back(options_.state_table);
  if (!new_table) return Status::Ok();
  // A tick table made here is empty: its registry is whole from the start, never to be scanned.
  auto put = dynamodb::Call(client_, "PutItem",
                            json{{"TableName", options_.state_table},
                                 {"Item",
                                  {{"pk", {{"S", "state"}}},
                                   {"sk", {{"S", kRegistryCompleteKey}}},
                                   {"value", {{"S", FormatCanonical(NowMicros())}}}}}});
  return put.status();
}

Status DynamoDbCleanStore::Explained(Status status) {
  return dynamodb::ExplainMissingTable(
      client_, std::move(status),
      {{options_.table, "the CLEAN tick table", "DYNAMODB_TABLE"},
       {options_.state_table, "the state table", "DYNAMODB_STATE_TABLE"}});
}

Result<std::vector<std::string>> DynamoDbCleanStore::LoadRegistry() {
  std::vector<std::string> symbols;
  json query = {{"TableName", options_.state_table},
                {"KeyConditionExpression", "pk = :pk"},
                {"ExpressionAttributeValues", {{":pk", {{"S", kRegistryPk}}}}},
                {"ProjectionExpression", "sk"},
                {"ConsistentRead", true}};
  while (true) {
    auto page = dynamodb::Call(client_, "Query", query);
    if (!page) return Explained(page.status());
    for (const auto& item : page->value("Items", json::array())) {
      const std::string* symbol = dynamodb::Attribute(item, "sk", "S");
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

Result<std::vector<std::string>> DynamoDbCleanStore::Symbols() {
  auto symbols = LoadRegistry();
  if (!symbols) return symbols;
  {
    std::lock_guard lock(known_mutex_);
    if (registry_complete_) return symbols;
  }
  auto complete = dynamodb::Call(
      client_, "GetItem",
      json{{"TableName", options_.state_table},
           {"Key", {{"pk", {{"S", "state"}}}, {"sk", {{"S", kRegistryCompleteKey}}}}},
           {"ConsistentRead", true}});
  if (!complete) return Explained(complete.status());
  if (!complete->contains("Item")) {
    auto rebuilt = RebuildRegistry(*symbols);
    if (!rebuilt) return rebuilt;
    symbols = std::move(rebuilt);
  }
  std::lock_guard lock(known_mutex_);
  registry_complete_ = true;
  return symbols;
}

Result<std::set<std::string, std::less<>>> DynamoDbCleanStore::ScanSymbols(std::size_t& items) {
  // One paginated Scan of the symbols alone: the reference trends handler's own way of listing
  // them, done once per table.
  std::set<std::string, std::less<>> found;
  json scan = {{"TableName", options_.table},
               {"ProjectionExpression", "#s"},
               {"ExpressionAttributeNames", {{"#s", "symbol"}}}};
  if (options_.scan_page_items > 0) scan["Limit"] = options_.scan_page_items;
  while (true) {
    auto page = dynamodb::Call(client_, "Scan", scan);
    if (!page) return Explained(page.status());
    for (const auto& item : page->value("Items", json::array())) {
      ++items;
      if (const std::string* symbol = dynamodb::Attribute(item, "symbol", "S"))
        found.insert(*symbol);
    }
    if (!page->contains("LastEvaluatedKey")) break;
    scan["ExclusiveStartKey"] = (*page)["LastEvaluatedKey"];
  }
  return found;
}

Result<std::vector<std::string>> DynamoDbCleanStore::RebuildRegistry(
    const std::vector<std::string>& registered) {
  std::size_t items = 0;
  auto scanned = ScanSymbols(items);
  if (!scanned) return scanned.status();
  std::set<std::string, std::less<>>& found = *scanned;
  found.insert(registered.begin(), registered.end());
  std::vector<std::string> fresh;
  for (const std::string& symbol : found) {
    if (!std::binary_search(registered.begin(), registered.end(), symbol)) fresh.push_back(symbol);
  }
  if (!fresh.empty()) {
    spdlog::warn(
        "DynamoDB table {} has symbols missing from the registry in {} (a table written by "
        "another program, such as the reference pipeline's ingest): rebuilt the registry from "
        "one scan of {} items: {} symbols added, {} in all; later runs read the registry only",
        options_.table, options_.state_table, items, fresh.size(), found.size());
  }
  std::string state_key;
  AppendJsonString(options_.state_table, state_key);
  // Registry puts in calls of 25, the completion marker in the last one.
  for (std::size_t start = 0; start <= fresh.size(); start += kItemsPerBatch) {
    const std::size_t end = std::min(fresh.size(), start + kItemsPerBatch);
    std::string body = R"({"RequestItems":{)" + state_key + ":[";
    for (std::size_t i = start; i < end; ++i) {
      if (i != start) body += ',';
      AppendRegistryPut(fresh[i], body);
    }
    if (end - start == kItemsPerBatch) {
      body += "]}}";
      if (Status s = WriteBatch(std::move(body)); !s.ok()) return s;
      continue;
    }
    if (end != start) body += ',';
    body += R"({"PutRequest":{"Item":{"pk":{"S":"state"},"sk":{"S":")";
    body += kRegistryCompleteKey;
    body += R"("},"value":{"S":")" + FormatCanonical(NowMicros()) + R"("}}}}]}})";
    if (Status s = WriteBatch(std::move(body)); !s.ok()) return s;
    break;
  }
  std::lock_guard lock(known_mutex_);
  known_.insert(fresh.begin(), fresh.end());
  return std::vector<std::string>(found.begin(), found.end());
}

Result<std::vector<std::string>> DynamoDbCleanStore::NewSymbols(
    std::span<const Tick* const> ticks) {
  bool loaded;
  {
    std::lock_guard lock(known_mutex_);
    loaded = known_loaded_;
  }
  if (!loaded) {
    if (auto registry = LoadRegistry(); !registry) return registry.status();
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
    if (!answer) return Explained(answer.status());
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
  if (n == 0) return std::vector<PricePoint>();
  // Newest first by text, which is time order only to the second (SecondOf): after the n-th
  // usable item, reading goes on to the end of its second, then everything is ordered by time.
  json query = {
      {"TableName", options_.table},
      {"KeyConditionExpression", "#s = :s"},
      {"ExpressionAttributeNames", {{"#s", "symbol"}, {"#t", "timestamp"}, {"#p", "price"}}},
      {"ExpressionAttributeValues", {{":s", {{"S", std::string(symbol)}}}}},
      {"ProjectionExpression", "#t, #p"},
      {"ScanIndexForward", false},
      {"ConsistentRead", true}};
  constexpr std::size_t kMaxLimit = std::numeric_limits<std::int32_t>::max();
  constexpr std::size_t kTail = 16;  // items a page reads once n are in: the rest of a second
  struct Read {
    PricePoint point;
    bool canonical = false;
  };
  std::vector<Read> read;
  std::set<Micros> instants;  // one tick stored in two forms is one point
  std::map<std::string_view, std::uint64_t> skipped;
  std::string example;
  std::string boundary;  // SecondOf the item that made n instants, once there are n
  for (bool done = false; !done;) {
    query["Limit"] = instants.size() < n ? std::min(n - instants.size() + 1, kMaxLimit) : kTail;
    auto page = dynamodb::Call(client_, "Query", query);
    if (!page) return Explained(page.status());
    for (const auto& item : page->value("Items", json::array())) {
      PricePoint point;
      std::string_view stamp;
      const std::string_view why = ReadItem(item, point, stamp);
      // Items of an older second than that item are older than all n instants: stop there.
      if (!boundary.empty() && !stamp.empty() && SecondOf(stamp) < boundary) {
        done = true;
        break;
      }
      if (!why.empty()) {
        if (skipped[why]++ == 0 && example.empty()) example = std::string(stamp);
        continue;
      }
      read.push_back({point, stamp.size() == kCanonicalTimestampSize});
      instants.insert(point.timestamp);
      if (instants.size() == n && boundary.empty()) boundary = std::string(SecondOf(stamp));
    }
    if (!page->contains("LastEvaluatedKey")) break;
    query["ExclusiveStartKey"] = (*page)["LastEvaluatedKey"];
  }
  // Time order; one point per instant (the same tick stored in two forms), the canonical one kept.
  std::stable_sort(read.begin(), read.end(), [](const Read& a, const Read& b) {
    return a.point.timestamp != b.point.timestamp ? a.point.timestamp > b.point.timestamp
                                                  : a.canonical > b.canonical;
  });
  std::vector<PricePoint> points;
  for (const Read& r : read) {
    if (!points.empty() && points.back().timestamp == r.point.timestamp) {
      ++skipped["the same instant stored twice"];
      continue;
    }
    points.push_back(r.point);
  }
  if (points.size() > n) points.resize(n);
  std::reverse(points.begin(), points.end());
  if (!skipped.empty()) {
    std::string reasons;
    std::uint64_t total = 0;
    std::lock_guard lock(known_mutex_);
    for (const auto& [why, count] : skipped) {
      reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", count, why);
      skipped_[std::string(why)] += count;
      total += count;
    }
    spdlog::warn("DynamoDB table {}: {}: {} items not read as points ({}){}", options_.table,
                 symbol, total, reasons,
                 example.empty() ? "" : fmt::format("; first at timestamp \"{}\"", example));
  }
  return points;
}

std::map<std::string, std::uint64_t> DynamoDbCleanStore::Skipped() const {
  std::lock_guard lock(known_mutex_);
  return skipped_;
}

Result<std::vector<Candle>> DynamoDbCleanStore::Candles(const CandleQuery&) {
  return Status::Error("candles are not kept on DynamoDB yet");
}

Result<std::uint64_t> DynamoDbCleanStore::RebuildCandles(const CandleRebuild&) {
  return Status::Error("candles are not kept on DynamoDB yet");
}

}  // namespace stockpipe
