#include "migrate/table_migration.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/timestamp.h"
#include "store/dynamodb/dynamodb_api.h"
#include "store/dynamodb/dynamodb_clean_store.h"

namespace stockpipe::migrate {
namespace {

using nlohmann::json;

constexpr double kMaxPrice = 1e9;  // as ingest (core/record.h RecordLimits)

std::optional<double> Price(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string Number(double price) {
  std::string text;
  dynamodb::AppendNumber(price, text);
  return text;
}

std::string NormalSymbol(std::string_view symbol) {
  while (!symbol.empty() && std::isspace(static_cast<unsigned char>(symbol.front())))
    symbol.remove_prefix(1);
  while (!symbol.empty() && std::isspace(static_cast<unsigned char>(symbol.back())))
    symbol.remove_suffix(1);
  std::string out(symbol);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

json Key(const std::string& symbol, const std::string& timestamp) {
  return {{"symbol", {{"S", symbol}}}, {"timestamp", {{"S", timestamp}}}};
}

// One old-form item and where it goes.
struct Move {
  json old_key;
  json item;  // the canonical item: every attribute of the old one, key and price rewritten
  std::string symbol, timestamp;  // canonical
  double price = 0;
  std::string stored_symbol, stored_timestamp, stored_price;
};

class TableMigration {
 public:
  TableMigration(aws::Client& client, const TableMigrationOptions& options,
                 const TableReportSink& report)
      : client_(client), options_(options), report_(report) {}

  Status Page(const json& items) {
    std::vector<Move> moves;
    for (const json& item : items) {
      ++counts_.scanned;
      Move move;
      move.stored_symbol = dynamodb::AttributeText(item, "symbol");
      move.stored_timestamp = dynamodb::AttributeText(item, "timestamp");
      move.stored_price = dynamodb::AttributeText(item, "price");
      const bool numeric = dynamodb::Attribute(item, "price", "N") != nullptr;
      move.symbol = NormalSymbol(move.stored_symbol);
      const auto time = ParseTimestampText(move.stored_timestamp);
      const auto price = Price(move.stored_price);
      std::string reason;
      if (move.symbol.empty()) {
        reason = "missing_symbol";
      } else if (move.stored_timestamp.empty() || !time || *time < 31'536'000'000'000) {
        reason = "invalid_timestamp";
      } else if (move.stored_price.empty() || !price) {
        reason = "invalid_price";
      } else if (!std::isfinite(*price)) {
        reason = "price_not_finite";
      } else if (*price <= 0) {
        reason = "price_not_positive";
      } else if (*price > kMaxPrice) {
        reason = "price_out_of_range";
      }
      if (!reason.empty()) {
        ++counts_.bad;
        report_({move.stored_symbol, move.stored_timestamp, move.stored_price, reason,
                 "left in the table"});
        continue;
      }
      move.timestamp = FormatCanonical(*time);
      move.price = *price;
      if (move.symbol == move.stored_symbol && move.timestamp == move.stored_timestamp && numeric) {
        const bool ours = written_ahead_.erase(move.symbol + '\t' + move.timestamp) > 0;
        ++(ours ? counts_.written_by_run : counts_.canonical);
        continue;
      }
      move.old_key = Key(move.stored_symbol, move.stored_timestamp);
      move.item = item;
      move.item["symbol"] = {{"S", move.symbol}};
      move.item["timestamp"] = {{"S", move.timestamp}};
      move.item["price"] = {{"N", Number(move.price)}};
      moves.push_back(std::move(move));
    }
    return Apply(moves);
  }

  TableMigrationCounts& counts() { return counts_; }

 private:
  // Which canonical keys of `moves` already hold an item, with its price.
  Result<std::map<std::string, std::string>> Existing(const std::vector<Move>& moves) {
    std::map<std::string, std::string> existing;  // "symbol\ttimestamp" -> price text
    std::set<std::string> asked;
    std::vector<json> keys;
    for (const Move& move : moves) {
      if (move.symbol == move.stored_symbol && move.timestamp == move.stored_timestamp) continue;
      if (!asked.insert(move.symbol + '\t' + move.timestamp).second) continue;
      keys.push_back(Key(move.symbol, move.timestamp));
    }
    auto items =
        dynamodb::GetAll(client_, options_.table, keys,
                         {{"ProjectionExpression", "#s, #t, price"},
                          {"ExpressionAttributeNames", {{"#s", "symbol"}, {"#t", "timestamp"}}}});
    if (!items) return items.status();
    for (const json& item : *items) {
      existing[dynamodb::AttributeText(item, "symbol") + '\t' +
               dynamodb::AttributeText(item, "timestamp")] = dynamodb::AttributeText(item, "price");
    }
    return existing;
  }

  Status Apply(std::vector<Move>& moves) {
    if (moves.empty()) return Status::Ok();
    auto existing = Existing(moves);
    if (!existing) return existing.status();
    std::vector<json> puts, deletes;
    for (Move& move : moves) {
      const std::string key = move.symbol + '\t' + move.timestamp;
      if (move.symbol == move.stored_symbol && move.timestamp == move.stored_timestamp) {
        // Only the price was text: rewritten where it is (it is its own "existing" item).
        ++counts_.rewritten;
        puts.push_back({{"PutRequest", {{"Item", std::move(move.item)}}}});
        continue;
      }
      deletes.push_back({{"DeleteRequest", {{"Key", move.old_key}}}});
      if (const auto it = existing->find(key); it != existing->end()) {
        ++counts_.merged;
        const auto kept = Price(it->second);
        if (!kept || *kept != move.price) {
          ++counts_.price_conflicts;
          report_({move.stored_symbol, move.stored_timestamp, move.stored_price, "price_conflict",
                   fmt::format("deleted; {} {} keeps price {}", move.symbol, move.timestamp,
                               it->second)});
        }
        continue;
      }
      (*existing)[key] = Number(move.price);  // a later form of this instant merges into it
      ++counts_.rewritten;
      // The scan meets this item again when it sorts after the old one: not a source item then.
      if (move.symbol != move.stored_symbol || move.timestamp > move.stored_timestamp) {
        written_ahead_.insert(key);
      }
      puts.push_back({{"PutRequest", {{"Item", std::move(move.item)}}}});
    }
    if (options_.dry_run) return Status::Ok();
    // Every canonical item is durable before any old one goes: a kill in between leaves both
    // forms, which the rerun merges.
    if (Status s = WriteAll(options_.table, puts); !s.ok()) return s;
    return WriteAll(options_.table, deletes);
  }

  // BatchWriteItem in calls of 25, unprocessed items resent (dynamodb::WriteAll).
  Status WriteAll(const std::string& table, const std::vector<json>& requests) {
    dynamodb::WriteBodies bodies;
    for (const json& request : requests) bodies.Add(table) += dynamodb::Dump(request);
    Status written = dynamodb::WriteAll(client_, bodies.Take());
    if (written.ok()) return written;
    return Status::Error(written.message() + "; run the migration again to finish");
  }

  aws::Client& client_;
  const TableMigrationOptions& options_;
  const TableReportSink& report_;
  TableMigrationCounts counts_;
  std::set<std::string> written_ahead_;
};

}  // namespace

Result<TableMigrationCounts> MigrateTable(aws::Client& client, const TableMigrationOptions& options,
                                          const TableReportSink& report,
                                          const TableProgress& progress) {
  TableMigration migration(client, options, report);
  json start;
  do {
    json scan = {{"TableName", options.table},
                 {"Limit", std::max(1, options.page_size)},
                 {"ConsistentRead", true}};
    if (!start.is_null()) scan["ExclusiveStartKey"] = start;
    auto page = dynamodb::Call(client, "Scan", scan);
    if (!page) return page.status();
    if (Status s = migration.Page(page->value("Items", json::array())); !s.ok()) return s;
    start = page->value("LastEvaluatedKey", json());
    if (start.is_object() && start.empty()) start = json();
    if (progress) progress(migration.counts());
  } while (!start.is_null());
  TableMigrationCounts& counts = migration.counts();
  if (options.dry_run) return counts;
  // The registry the store rebuilds from one Scan of the symbols when it has none (and marks
  // complete): the table's symbols now, for trends and the dashboard (a viewer cannot rebuild).
  DynamoDbOptions store;
  store.client = client.options();
  store.table = options.table;
  store.state_table = options.state_table;
  if (Status s = dynamodb::EnsureTable(client, options.state_table, "pk", "sk"); !s.ok()) return s;
  auto symbols = DynamoDbCleanStore(store).Symbols();
  if (!symbols) return symbols.status();
  counts.symbols = symbols->size();
  return counts;
}

}  // namespace stockpipe::migrate
