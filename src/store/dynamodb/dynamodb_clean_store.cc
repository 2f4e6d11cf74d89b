#include "store/dynamodb/dynamodb_clean_store.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>

#include "codec/json_write.h"
#include "store/dynamodb/dynamodb_api.h"
#include "store/dynamodb/dynamodb_items.h"

namespace stockpipe {
namespace {

using nlohmann::json;

constexpr std::string_view kRegistryPk = "symbols";
// A state item (pk=state) saying the registry holds every symbol of the tick table: written when
// this store created the table, or after a scan rebuilt the registry.
constexpr std::string_view kRegistryCompleteKey = "symbols/registry_complete";

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
  bool new_candles = false;
  bool new_state = false;
  if (Status s = dynamodb::EnsureTable(client_, options_.table, "symbol", "timestamp", &new_table);
      !s.ok()) {
    return s;
  }
  if (Status s =
          dynamodb::EnsureTable(client_, options_.candles_table, "series", "start", &new_candles);
      !s.ok()) {
    return s;
  }
  if (Status s = dynamodb::EnsureTable(client_, options_.state_table, "pk", "sk", &new_state);
      !s.ok()) {
    return s;
  }
  if (created && new_table) created->push_back(options_.table);
  if (created && new_candles) created->push_back(options_.candles_table);
  if (created && new_state) created->push_back(options_.state_table);
  if (new_candles && !new_table) {
    spdlog::warn(
        "DynamoDB table {} (candles) is new beside the existing tick table {}: run `stockpipe "
        "candles rebuild` to compute the bars of the ticks already there",
        options_.candles_table, options_.table);
  }
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

Status DynamoDbCleanStore::ExplainedBars(Status status) {
  return dynamodb::ExplainMissingTable(
      client_, std::move(status),
      {{options_.candles_table, "the candles table", "DYNAMODB_CANDLES_TABLE"},
       {options_.table, "the CLEAN tick table", "DYNAMODB_TABLE"}});
}

void DynamoDbCleanStore::CountSkipped(std::string_view why, std::uint64_t count) {
  std::lock_guard lock(known_mutex_);
  skipped_[std::string(why)] += count;
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
  // Registry puts in calls of 25, the completion marker last.
  dynamodb::WriteBodies bodies;
  for (const std::string& symbol : fresh)
    AppendRegistryPut(symbol, bodies.Add(options_.state_table));
  std::string& marker = bodies.Add(options_.state_table);
  marker += R"({"PutRequest":{"Item":{"pk":{"S":"state"},"sk":{"S":")";
  marker += kRegistryCompleteKey;
  marker += R"("},"value":{"S":")" + FormatCanonical(NowMicros()) + R"("}}}})";
  // One call at a time, in order: the marker goes out after every entry before it.
  if (Status s = dynamodb::WriteAll(client_, bodies.Take()); !s.ok()) return Explained(s);
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
  dynamodb::WriteBodies bodies;
  for (const std::string& symbol : *fresh)
    AppendRegistryPut(symbol, bodies.Add(options_.state_table));
  for (const Tick* tick : unique) dynamodb::AppendTickPut(*tick, bodies.Add(options_.table));
  if (Status s = dynamodb::WriteAll(client_, bodies.Take(), options_.write_concurrency); !s.ok()) {
    return Explained(s);
  }
  {
    std::lock_guard lock(known_mutex_);
    known_.insert(fresh->begin(), fresh->end());
  }
  // After the ticks, so that a replay repairs whatever a failure here leaves (see the header).
  return UpdateBars(unique);
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
      Tick tick;
      std::string_view stamp;
      const std::string_view why = dynamodb::ReadTickItem(item, tick, stamp);
      const PricePoint point{tick.timestamp, tick.price};
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

}  // namespace stockpipe
