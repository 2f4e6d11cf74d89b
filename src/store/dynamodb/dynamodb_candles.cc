// The bars of DynamoDbCleanStore (see dynamodb_clean_store.h for the algorithm and why it is
// exactly once): maintained after each Upsert, queried, rebuilt from the tick table.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <set>

#include "store/dynamodb/dynamodb_api.h"
#include "store/dynamodb/dynamodb_clean_store.h"
#include "store/dynamodb/dynamodb_items.h"

namespace stockpipe {
namespace {

using nlohmann::json;

constexpr Micros kSecond = 1'000'000;
// Bar puts collected by a rebuild before they are written.
constexpr std::size_t kRebuildWriteChunk = 16 * dynamodb::kWritesPerCall;

// "2025-08-14T14:38:12": the second `t` falls in (rounded up when `up`). Every ISO form of a
// time in that second (`Z`, `+00:00`, a fraction or none, naive) starts with these 19 characters,
// so they bound a key range that holds all of them whatever form other programs stored.
std::string SecondText(Micros t, bool up) {
  const Micros floor = BarStart(t, kSecond);
  return FormatCanonical(up && floor != t ? floor + kSecond : floor).substr(0, 19);
}

// The first bar start at or after `t`.
Micros BarStartFrom(Micros t, Micros length) {
  const Micros start = BarStart(t, length);
  return start == t ? start : start + length;
}

std::string BarKeyText(std::string_view series, std::string_view start) {
  std::string key(series);
  key += '\t';
  key += start;
  return key;
}

}  // namespace

Status DynamoDbCleanStore::UpdateBars(std::span<const Tick* const> ticks) {
  const std::vector<Interval>& intervals = options_.intervals;
  if (intervals.empty() || ticks.empty()) return Status::Ok();
  std::vector<const Tick*> order(ticks.begin(), ticks.end());
  std::sort(order.begin(), order.end(), [](const Tick* a, const Tick* b) {
    return a->symbol != b->symbol ? a->symbol < b->symbol : a->timestamp < b->timestamp;
  });

  // The batch's ticks of one bar: order[begin, end) at intervals[interval].
  struct Group {
    std::size_t interval, begin, end;
    Micros start;
    std::string series;
    bool remembered = false;
    std::optional<Candle> stored;
  };
  std::vector<Group> groups;
  for (std::size_t run = 0; run < order.size();) {
    std::size_t run_end = run;
    while (run_end < order.size() && order[run_end]->symbol == order[run]->symbol) ++run_end;
    for (std::size_t k = 0; k < intervals.size(); ++k) {
      const std::string series = dynamodb::SeriesKey(order[run]->symbol, intervals[k].name);
      for (std::size_t i = run; i < run_end;) {
        const Micros start = BarStart(order[i]->timestamp, intervals[k].length);
        std::size_t end = i;
        while (end < run_end && BarStart(order[end]->timestamp, intervals[k].length) == start) {
          ++end;
        }
        groups.push_back({k, i, end, start, series, false, std::nullopt});
        i = end;
      }
    }
    run = run_end;
  }

  // The stored bars: remembered ones as they were written, the others read.
  std::vector<json> keys;
  {
    std::lock_guard lock(bars_mutex_);
    for (Group& group : groups) {
      const auto known = newest_bars_.find(group.series);
      if (options_.remember_bars && known != newest_bars_.end() &&
          known->second.start == group.start) {
        group.remembered = true;
        group.stored = known->second;
        continue;
      }
      keys.push_back(dynamodb::BarKey(group.series, group.start));
    }
  }
  std::map<std::string, std::optional<Candle>> read;
  if (!keys.empty()) {
    auto bars = ReadBars(keys);
    if (!bars) return ExplainedBars(bars.status());
    read = *std::move(bars);
  }

  std::vector<Candle> bars;
  bars.reserve(groups.size());
  for (Group& group : groups) {
    const Interval& interval = intervals[group.interval];
    bool recompute = false;
    if (!group.remembered) {
      const auto found = read.find(BarKeyText(group.series, FormatCanonical(group.start)));
      if (found != read.end()) {
        group.stored = std::move(found->second);
        recompute = !group.stored;  // an item that is no readable bar: made again from the ticks
      }
    }
    // A tick inside [first, last] may be one the bar counts already: only the tick table knows.
    for (std::size_t i = group.begin; group.stored && !recompute && i < group.end; ++i) {
      recompute =
          order[i]->timestamp >= group.stored->first && order[i]->timestamp <= group.stored->last;
    }
    if (recompute) {
      auto computed = ComputeBar(order[group.begin]->symbol, interval, group.start);
      if (!computed) return computed.status();
      if (*computed) bars.push_back(**std::move(computed));
      continue;
    }
    // Every tick is outside [first, last] of the stored bar, so new to it.
    std::optional<Candle> bar = std::move(group.stored);
    for (std::size_t i = group.begin; i < group.end; ++i) {
      if (bar) {
        AddTick(*bar, *order[i]);
      } else {
        bar = CandleOf(*order[i], interval);
      }
    }
    bars.push_back(*std::move(bar));
  }

  const Status written = WriteBars(bars);
  std::lock_guard lock(bars_mutex_);
  if (!written.ok()) {
    // Some of them may be written, some not: read them again next time.
    for (const Group& group : groups) newest_bars_.erase(group.series);
    return ExplainedBars(written);
  }
  if (options_.remember_bars) {
    for (Candle& bar : bars) {
      std::string series = dynamodb::SeriesKey(bar.symbol, bar.interval);
      const auto [it, inserted] = newest_bars_.try_emplace(std::move(series), bar);
      if (!inserted && bar.start >= it->second.start) it->second = std::move(bar);
    }
  }
  return Status::Ok();
}

Result<std::map<std::string, std::optional<Candle>>> DynamoDbCleanStore::ReadBars(
    const std::vector<json>& keys) {
  auto items = dynamodb::GetAll(client_, options_.candles_table, keys);
  if (!items) return items.status();
  std::map<std::string, std::optional<Candle>> bars;
  for (const json& item : *items) {
    const std::string* series = dynamodb::Attribute(item, "series", "S");
    const std::string* start = dynamodb::Attribute(item, "start", "S");
    if (!series || !start) continue;
    Candle bar;
    if (dynamodb::ReadBarItem(item, bar)) {
      bars[BarKeyText(*series, *start)] = std::move(bar);
    } else {
      CountSkipped("bar item not readable", 1);
      spdlog::warn("DynamoDB table {}: the bar {} {} is not readable; recomputing it",
                   options_.candles_table, *series, *start);
      bars[BarKeyText(*series, *start)] = std::nullopt;
    }
  }
  return bars;
}

Result<std::optional<Candle>> DynamoDbCleanStore::ComputeBar(const std::string& symbol,
                                                             const Interval& interval,
                                                             Micros start) {
  std::optional<Candle> bar;
  Status read = ReadTicks(symbol, start, start + interval.length, [&](Tick& tick) {
    if (bar) {
      AddTick(*bar, tick);
    } else {
      bar = CandleOf(tick, interval);
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  return bar;
}

Status DynamoDbCleanStore::ReadTicks(const std::string& symbol, std::optional<Micros> from,
                                     std::optional<Micros> to,
                                     const std::function<Status(Tick&)>& sink) {
  json values = {{":s", {{"S", symbol}}}};
  std::string condition = "#s = :s";
  if (from && to) {
    condition += " AND #t BETWEEN :lo AND :hi";
  } else if (from) {
    condition += " AND #t >= :lo";
  } else if (to) {
    condition += " AND #t <= :hi";
  }
  if (from) values[":lo"] = {{"S", SecondText(*from, false)}};
  if (to) values[":hi"] = {{"S", SecondText(*to, true)}};
  if (from && to && *from >= *to) return Status::Ok();
  json query = {{"TableName", options_.table},
                {"KeyConditionExpression", condition},
                {"ExpressionAttributeNames",
                 {{"#s", "symbol"},
                  {"#t", "timestamp"},
                  {"#p", "price"},
                  {"#v", "volume"},
                  {"#o", "open"},
                  {"#h", "high"},
                  {"#l", "low"}}},
                {"ExpressionAttributeValues", std::move(values)},
                {"ProjectionExpression", "#t, #p, #v, #o, #h, #l"},
                {"ConsistentRead", true}};
  // Text order is time order between seconds; within one, the forms other programs stored sort
  // in any order, so a second's items are put in time order (one per instant, the canonical form
  // kept) before they go to `sink`.
  struct Read {
    Tick tick;
    bool canonical = false;
  };
  std::vector<Read> second;
  std::string second_text;
  std::map<std::string_view, std::uint64_t> skipped;
  const auto flush = [&]() -> Status {
    std::stable_sort(second.begin(), second.end(), [](const Read& a, const Read& b) {
      return a.tick.timestamp != b.tick.timestamp ? a.tick.timestamp < b.tick.timestamp
                                                  : a.canonical > b.canonical;
    });
    for (std::size_t i = 0; i < second.size(); ++i) {
      if (i > 0 && second[i].tick.timestamp == second[i - 1].tick.timestamp) {
        ++skipped["the same instant stored twice"];
        continue;
      }
      if (Status s = sink(second[i].tick); !s.ok()) return s;
    }
    second.clear();
    return Status::Ok();
  };
  while (true) {
    auto page = dynamodb::Call(client_, "Query", query);
    if (!page) return ExplainedBars(page.status());
    for (const auto& item : page->value("Items", json::array())) {
      Read read;
      std::string_view stamp;
      if (const std::string_view why = dynamodb::ReadTickItem(item, read.tick, stamp);
          !why.empty()) {
        ++skipped[why];
        continue;
      }
      if ((from && read.tick.timestamp < *from) || (to && read.tick.timestamp >= *to)) continue;
      if (stamp.substr(0, 19) != second_text) {
        if (Status s = flush(); !s.ok()) return s;
        second_text = std::string(stamp.substr(0, 19));
      }
      read.tick.symbol = symbol;
      read.canonical = stamp.size() == kCanonicalTimestampSize;
      second.push_back(std::move(read));
    }
    if (!page->contains("LastEvaluatedKey")) break;
    query["ExclusiveStartKey"] = (*page)["LastEvaluatedKey"];
  }
  if (Status s = flush(); !s.ok()) return s;
  if (!skipped.empty()) {
    std::string reasons;
    for (const auto& [why, count] : skipped) {
      reasons += fmt::format("{}{} {}", reasons.empty() ? "" : ", ", count, why);
      CountSkipped(why, count);
    }
    spdlog::warn("DynamoDB table {}: {}: items not read as ticks of bars ({})", options_.table,
                 symbol, reasons);
  }
  return Status::Ok();
}

Status DynamoDbCleanStore::ReadSeries(const std::string& series, std::optional<Micros> from,
                                      std::optional<Micros> to, bool newest_first, bool keys_only,
                                      const std::function<bool(const json&)>& sink) {
  if (from && to && *from >= *to) return Status::Ok();
  json values = {{":k", {{"S", series}}}};
  std::string condition = "#k = :k";
  // BETWEEN is inclusive: a bar starting at `to` is dropped below.
  if (from && to) {
    condition += " AND #st BETWEEN :from AND :to";
  } else if (from) {
    condition += " AND #st >= :from";
  } else if (to) {
    condition += " AND #st < :to";
  }
  const std::string to_text = to ? FormatCanonical(*to) : std::string();
  if (from) values[":from"] = {{"S", FormatCanonical(*from)}};
  if (to) values[":to"] = {{"S", to_text}};
  json query = {{"TableName", options_.candles_table},
                {"KeyConditionExpression", condition},
                {"ExpressionAttributeNames", {{"#k", "series"}}},
                {"ExpressionAttributeValues", std::move(values)},
                {"ScanIndexForward", !newest_first},
                {"ConsistentRead", true}};
  // DynamoDB refuses a name the expressions do not use.
  if (from || to || keys_only) query["ExpressionAttributeNames"]["#st"] = "start";
  if (keys_only) query["ProjectionExpression"] = "#st";
  while (true) {
    auto page = dynamodb::Call(client_, "Query", query);
    if (!page) return ExplainedBars(page.status());
    for (const auto& item : page->value("Items", json::array())) {
      const std::string* start = dynamodb::Attribute(item, "start", "S");
      if (to && start && *start == to_text) continue;
      if (!sink(item)) return Status::Ok();
    }
    if (!page->contains("LastEvaluatedKey")) return Status::Ok();
    query["ExclusiveStartKey"] = (*page)["LastEvaluatedKey"];
  }
}

Status DynamoDbCleanStore::WriteBars(
    const std::vector<Candle>& bars,
    const std::vector<std::pair<std::string, std::string>>& stale) {
  dynamodb::WriteBodies bodies;
  for (const Candle& bar : bars) dynamodb::AppendBarPut(bar, bodies.Add(options_.candles_table));
  for (const auto& [series, start] : stale) {
    dynamodb::AppendBarDelete(series, start, bodies.Add(options_.candles_table));
  }
  return dynamodb::WriteAll(client_, bodies.Take(), options_.write_concurrency);
}

Result<std::vector<Candle>> DynamoDbCleanStore::Candles(const CandleQuery& query) {
  auto interval = FindInterval(options_.intervals, query.interval);
  if (!interval) return interval.status();
  std::vector<Candle> bars;
  if (query.limit == 0) return bars;
  std::uint64_t unreadable = 0;
  Status read = ReadSeries(dynamodb::SeriesKey(query.symbol, query.interval), query.from, query.to,
                           true, false, [&](const json& item) {
                             Candle bar;
                             if (dynamodb::ReadBarItem(item, bar)) {
                               bars.push_back(std::move(bar));
                             } else {
                               ++unreadable;
                             }
                             return bars.size() < query.limit;
                           });
  if (!read.ok()) return read;
  if (unreadable > 0) {
    CountSkipped("bar item not readable", unreadable);
    spdlog::warn(
        "DynamoDB table {}: {} {}: {} items are not readable bars (`stockpipe candles "
        "rebuild` writes them again)",
        options_.candles_table, query.symbol, query.interval, unreadable);
  }
  std::reverse(bars.begin(), bars.end());
  return bars;
}

Result<std::uint64_t> DynamoDbCleanStore::RebuildCandles(const CandleRebuild& scope) {
  auto written =
      RebuildEachSymbol(*this, scope, [&](const std::string& symbol, std::uint64_t& count) {
        return RebuildSymbol(symbol, scope.from, scope.to, count);
      });
  std::lock_guard lock(bars_mutex_);
  newest_bars_.clear();
  return written;
}

Status DynamoDbCleanStore::RebuildSymbol(const std::string& symbol, std::optional<Micros> from,
                                         std::optional<Micros> to, std::uint64_t& written) {
  const std::vector<Interval>& intervals = options_.intervals;
  // Bars starting in [from, to) at a length hold the ticks of [lo, hi): one read covers them all.
  std::vector<std::optional<Micros>> lo(intervals.size()), hi(intervals.size());
  std::optional<Micros> read_from, read_to;
  std::vector<std::string> series(intervals.size());
  // The stored bars of the range, by series: those no tick makes any more are deleted at the end.
  std::vector<std::set<std::string>> stored(intervals.size());
  for (std::size_t k = 0; k < intervals.size(); ++k) {
    if (from) lo[k] = BarStartFrom(*from, intervals[k].length);
    if (to) hi[k] = BarStartFrom(*to, intervals[k].length);
    if (from) read_from = std::min(read_from.value_or(*lo[k]), *lo[k]);
    if (to) read_to = std::max(read_to.value_or(*hi[k]), *hi[k]);
    series[k] = dynamodb::SeriesKey(symbol, intervals[k].name);
    Status listed = ReadSeries(series[k], from, to, false, true, [&](const json& item) {
      if (const std::string* start = dynamodb::Attribute(item, "start", "S")) {
        stored[k].insert(*start);
      }
      return true;
    });
    if (!listed.ok()) return listed;
  }

  std::vector<std::optional<Candle>> open(intervals.size());
  std::vector<Candle> done;
  const auto flush = [&]() -> Status {
    for (const Candle& bar : done) {
      const std::size_t k = static_cast<std::size_t>(
          std::find_if(intervals.begin(), intervals.end(),
                       [&](const Interval& i) { return i.name == bar.interval; }) -
          intervals.begin());
      stored[k].erase(FormatCanonical(bar.start));
    }
    if (Status s = WriteBars(done); !s.ok()) return ExplainedBars(s);
    written += done.size();
    done.clear();
    return Status::Ok();
  };
  Status read = ReadTicks(symbol, read_from, read_to, [&](Tick& tick) -> Status {
    for (std::size_t k = 0; k < intervals.size(); ++k) {
      if ((lo[k] && tick.timestamp < *lo[k]) || (hi[k] && tick.timestamp >= *hi[k])) continue;
      const Micros start = BarStart(tick.timestamp, intervals[k].length);
      if (open[k] && open[k]->start == start) {
        AddTick(*open[k], tick);
        continue;
      }
      if (open[k]) done.push_back(*std::move(open[k]));
      open[k] = CandleOf(tick, intervals[k]);
    }
    return done.size() >= kRebuildWriteChunk ? flush() : Status::Ok();
  });
  if (!read.ok()) return read;
  for (std::optional<Candle>& bar : open) {
    if (bar) done.push_back(*std::move(bar));
  }
  if (Status s = flush(); !s.ok()) return s;
  std::vector<std::pair<std::string, std::string>> stale;
  for (std::size_t k = 0; k < intervals.size(); ++k) {
    for (const std::string& start : stored[k]) stale.emplace_back(series[k], start);
  }
  if (stale.empty()) return Status::Ok();
  if (Status s = WriteBars({}, stale); !s.ok()) return ExplainedBars(s);
  return Status::Ok();
}

}  // namespace stockpipe
