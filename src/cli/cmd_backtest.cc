// `stockpipe backtest`: every symbol's history (CLEAN store or RAW archive) replayed through its
// configured rule; every signal and a summary per symbol (see backtest/backtest.h for how the
// returns are counted). Exit codes: 0 done, 1 the history could not be read, 2 a bad option.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "backtest/backtest.h"
#include "cli/commands.h"
#include "pipeline/backends.h"
#include "serve/dashboard_stores.h"
#include "trends/trends_job.h"

namespace stockpipe {
namespace {

using History = std::map<std::string, std::vector<PricePoint>, std::less<>>;

bool Wanted(const BacktestOptions& o, std::string_view symbol) {
  return o.symbols.empty() ||
         std::find(o.symbols.begin(), o.symbols.end(), symbol) != o.symbols.end();
}

// The local CLEAN store, read-only: a backtest never creates or changes a file.
Result<History> ReadLocalClean(const Config& config, const BacktestOptions& o) {
  serve::DataFolder folder(config.data_dir);
  auto symbols = folder.Symbols();
  if (!symbols) return symbols.status();
  History history;
  for (const SymbolSummary& s : *symbols) {
    if (!Wanted(o, s.symbol)) continue;
    auto points = folder.Newest(s.symbol, std::nullopt, std::nullopt, std::size_t{1} << 40);
    if (!points) return points.status();
    history[s.symbol] = std::move(*points);
  }
  return history;
}

Result<History> ReadClean(const Config& config, const BacktestOptions& o) {
  if (config.backends.store != "dynamodb") return ReadLocalClean(config, o);
  auto store = OpenStore(config);
  if (!store) return store.status();
  auto symbols = (*store)->Symbols();
  if (!symbols) return symbols.status();
  History history;
  for (const std::string& symbol : *symbols) {
    if (!Wanted(o, symbol)) continue;
    // The whole series: LastN with a bound no store holds.
    auto points = (*store)->LastN(symbol, std::size_t{1} << 40);
    if (!points) return points.status();
    history[symbol] = std::move(*points);
  }
  return history;
}

// Collects (symbol, timestamp, price) rows of the RAW archive.
class RawRows final : public RowSink {
 public:
  RawRows(const BacktestOptions& options, History& history)
      : options_(options), history_(history) {}
  Status Columns(std::span<const std::string>) override { return Status::Ok(); }
  Status Row(std::span<const Cell> cells) override {
    if (cells.size() < 3 || cells[0].type != Cell::Type::kText) return Status::Ok();
    if (!Wanted(options_, cells[0].text)) return Status::Ok();
    const auto time = ParseTimestampText(cells[1].text);
    const double price = cells[2].type == Cell::Type::kInteger
                             ? static_cast<double>(cells[2].integer)
                             : cells[2].real;
    if (!time) return Status::Ok();
    history_[std::string(cells[0].text)].push_back({*time, price});
    return Status::Ok();
  }

 private:
  const BacktestOptions& options_;
  History& history_;
};

Result<History> ReadRaw(const Config& config, const BacktestOptions& o, std::optional<Micros> to) {
  auto engine = OpenQueryEngine(config, "sqlite", /*timeout_seconds=*/0);
  if (!engine) return engine.status();
  std::string sql = "SELECT symbol, timestamp, price FROM stock_raw_db.raw";
  // Partitions after --to are never opened.
  if (to) sql += fmt::format(" WHERE dt <= '{}'", FormatDate(*to));
  History history;
  RawRows rows(o, history);
  const QueryOutcome outcome = (*engine)->Run(sql, rows);
  if (!outcome.ok()) return outcome.status;
  // RAW keeps every delivery: order by time and keep one point per timestamp (the last read,
  // as the CLEAN store's upsert does).
  for (auto& [symbol, points] : history) {
    std::stable_sort(points.begin(), points.end(), [](const PricePoint& a, const PricePoint& b) {
      return a.timestamp < b.timestamp;
    });
    std::vector<PricePoint> unique;
    for (const PricePoint& p : points) {
      if (!unique.empty() && unique.back().timestamp == p.timestamp) {
        unique.back() = p;
      } else {
        unique.push_back(p);
      }
    }
    points = std::move(unique);
  }
  return history;
}

// Shortest round-trip digits for csv; 6 significant digits for a table a person reads.
std::string NumbersText(const rules::Decision& d, bool exact) {
  std::string out;
  for (const rules::Number& n : d.Numbers()) {
    out += exact ? fmt::format("{}{}={}", out.empty() ? "" : " ", n.name, n.value)
                 : fmt::format("{}{}={:.6g}", out.empty() ? "" : " ", n.name, n.value);
  }
  return out;
}

void PrintTable(const std::vector<backtest::SymbolReport>& reports, Micros cooldown) {
  std::cout << fmt::format("{:<10} {:<27} {:<6} {:>12}  {:<20} {:<7} {}\n", "symbol", "time",
                           "action", "price", "reason", "alerted", "numbers");
  for (const auto& r : reports) {
    for (const auto& s : r.signals) {
      std::cout << fmt::format("{:<10} {:<27} {:<6} {:>12}  {:<20} {:<7} {}\n", r.summary.symbol,
                               FormatCanonical(s.time), ActionName(s.action), s.price,
                               s.decision.reason, s.alerted ? "yes" : "no",
                               NumbersText(s.decision, false));
    }
  }
  std::cout << "\n"
            << fmt::format(
                   "{:<10} {:>7} {:>7} {:>4} {:>5} {:>6} {:>4} {:>10} {:>7} {:>10} {:>10}  {}\n",
                   "symbol", "points", "signals", "buys", "sells", "trades", "open", "return%",
                   "alerted", "alerted%", "hold%", "rule");
  for (const auto& r : reports) {
    const auto& s = r.summary;
    std::cout << fmt::format(
        "{:<10} {:>7} {:>7} {:>4} {:>5} {:>6} {:>4} {:>10.2f} {:>7} {:>10.2f} {:>10.2f}  {}\n",
        s.symbol, s.points, s.signals, s.buys, s.sells, s.trades, s.open_position ? "yes" : "no",
        s.return_pct, s.alerted, s.alerted_return_pct, s.buy_and_hold_pct, s.rule);
  }
  std::cout << fmt::format(
      "\nreturn%: long-only, buy at a BUY, sell at the next SELL, an open position marked at the "
      "last price, no fees. alerted: the signals a cooldown of {} s lets through, and their "
      "return. hold%: buy and hold over the range.\n",
      cooldown / 1'000'000);
}

void PrintCsv(const std::vector<backtest::SymbolReport>& reports) {
  std::cout << "symbol,time,action,price,rule,reason,alerted,numbers\n";
  for (const auto& r : reports) {
    for (const auto& s : r.signals) {
      std::cout << fmt::format("{},{},{},{},{},{},{},{}\n", r.summary.symbol,
                               FormatCanonical(s.time), ActionName(s.action), s.price,
                               r.summary.rule, s.decision.reason, s.alerted,
                               NumbersText(s.decision, true));
    }
  }
  std::cout << "\nsymbol,rule,points,signals,buys,sells,trades,open_position,return_pct,alerted,"
               "alerted_trades,alerted_return_pct,buy_and_hold_pct,first_price,last_price\n";
  for (const auto& r : reports) {
    const auto& s = r.summary;
    std::cout << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", s.symbol, s.rule,
                             s.points, s.signals, s.buys, s.sells, s.trades, s.open_position,
                             s.return_pct, s.alerted, s.alerted_trades, s.alerted_return_pct,
                             s.buy_and_hold_pct, s.first_price, s.last_price);
  }
}

void PrintJson(const std::vector<backtest::SymbolReport>& reports, const BacktestOptions& o,
               Micros cooldown) {
  nlohmann::json signals = nlohmann::json::array();
  nlohmann::json summary = nlohmann::json::array();
  for (const auto& r : reports) {
    for (const auto& s : r.signals) {
      nlohmann::json numbers = nlohmann::json::object();
      for (const rules::Number& n : s.decision.Numbers()) numbers[std::string(n.name)] = n.value;
      signals.push_back({{"symbol", r.summary.symbol},
                         {"time", FormatCanonical(s.time)},
                         {"action", ActionName(s.action)},
                         {"price", s.price},
                         {"rule", r.summary.rule},
                         {"reason", s.decision.reason},
                         {"alerted", s.alerted},
                         {"numbers", numbers}});
    }
    const auto& s = r.summary;
    summary.push_back({{"symbol", s.symbol},
                       {"rule", s.rule},
                       {"points", s.points},
                       {"signals", s.signals},
                       {"buys", s.buys},
                       {"sells", s.sells},
                       {"trades", s.trades},
                       {"open_position", s.open_position},
                       {"return_pct", s.return_pct},
                       {"alerted", s.alerted},
                       {"alerted_trades", s.alerted_trades},
                       {"alerted_return_pct", s.alerted_return_pct},
                       {"buy_and_hold_pct", s.buy_and_hold_pct},
                       {"first_price", s.first_price},
                       {"last_price", s.last_price}});
  }
  const nlohmann::json out = {{"source", o.source},
                              {"cooldown_seconds", cooldown / 1'000'000},
                              {"signals", signals},
                              {"summary", summary}};
  std::cout << out.dump() << "\n";
}

}  // namespace

int RunBacktest(const Config& config, const BacktestOptions& o) {
  backtest::Options options;
  const auto time_of = [](const std::string& text, std::string_view flag,
                          std::optional<Micros>& out) {
    if (text.empty()) return true;
    out = ParseTimestampText(text);
    if (!out)
      spdlog::error("backtest: {} must be a time like 2025-08-14T14:38:00Z, got \"{}\"", flag,
                    text);
    return out.has_value();
  };
  if (!time_of(o.from, "--from", options.from) || !time_of(o.to, "--to", options.to)) return 2;
  auto settings = TrendsSettingsFrom(config.trends, config.candles.intervals);
  if (!settings) {
    spdlog::error("configuration: {}", settings.error());
    return 2;
  }
  options.cooldown = settings->cooldown;
  auto history = o.source == "raw" ? ReadRaw(config, o, options.to) : ReadClean(config, o);
  if (!history) {
    spdlog::error("backtest: cannot read the {} history: {}", o.source, history.error());
    return 1;
  }
  for (const std::string& symbol : o.symbols) {
    if (!history->contains(symbol))
      spdlog::warn("backtest: no {} history for {}", o.source, symbol);
  }
  std::vector<backtest::SymbolReport> reports;
  for (const auto& [symbol, points] : *history) {
    reports.push_back(backtest::Replay(symbol, points, settings->rules->For(symbol), options));
  }
  if (o.format == "json") {
    PrintJson(reports, o, options.cooldown);
  } else if (o.format == "csv") {
    PrintCsv(reports);
  } else {
    PrintTable(reports, options.cooldown);
  }
  return 0;
}

}  // namespace stockpipe
