// `stockpipe candles`: the bars the store keeps, printed as a table, CSV or JSON; and
// `stockpipe candles rebuild`: bars recomputed from the ticks (after a bug, a manual edit of the
// store, or to check them). Exit codes: 0 done, 1 the store failed, 2 a bad option.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>

#include "cli/commands.h"
#include "pipeline/backends.h"
#include "producers/csv/progress.h"
#include "query/result_format.h"

namespace stockpipe {
namespace {

bool TimeOf(const std::string& text, std::string_view flag, std::optional<Micros>& out) {
  if (text.empty()) return true;
  out = ParseTimestampText(text);
  if (!out) {
    spdlog::error("candles: {} must be a time like 2025-08-14T14:38:00Z, got \"{}\"", flag, text);
  }
  return out.has_value();
}

Status Print(const std::vector<Candle>& bars, RowSink& sink) {
  static const std::vector<std::string> kColumns = {"symbol", "interval", "start",  "open", "high",
                                                    "low",    "close",    "volume", "ticks"};
  if (Status s = sink.Columns(kColumns); !s.ok()) return s;
  char start[kCanonicalTimestampSize];
  for (const Candle& bar : bars) {
    FormatCanonical(bar.start, start);
    const auto real = [](double v) { return Cell{Cell::Type::kReal, 0, v, {}}; };
    const Cell cells[] = {{Cell::Type::kText, 0, 0, bar.symbol},
                          {Cell::Type::kText, 0, 0, bar.interval},
                          {Cell::Type::kText, 0, 0, std::string_view(start, sizeof start)},
                          real(bar.open),
                          real(bar.high),
                          real(bar.low),
                          real(bar.close),
                          bar.volume ? real(*bar.volume) : Cell{},
                          {Cell::Type::kInteger, static_cast<std::int64_t>(bar.ticks), 0, {}}};
    if (Status s = sink.Row(cells); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace

int RunCandles(const Config& config, const CandlesOptions& o) {
  CandleQuery query;
  query.symbol = o.symbol;
  for (char& c : query.symbol) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  query.interval = o.interval.empty() ? config.candles.intervals.front().name : o.interval;
  query.limit = o.limit;
  if (!TimeOf(o.from, "--from", query.from) || !TimeOf(o.to, "--to", query.to)) return 2;
  if (auto interval = FindInterval(config.candles.intervals, query.interval); !interval) {
    spdlog::error("candles: --interval: {}", interval.error());
    return 2;
  }
  auto store = OpenStore(config);
  if (!store) {
    spdlog::error("candles: {}", store.error());
    return 1;
  }
  auto bars = (*store)->Candles(query);
  if (!bars) {
    spdlog::error("candles: {}", bars.error());
    return 1;
  }
  Status printed;
  if (o.format == "csv") {
    CsvWriter csv(std::cout);
    printed = Print(*bars, csv);
  } else if (o.format == "json") {
    JsonWriter json(std::cout);
    printed = Print(*bars, json);
    json.Finish();
  } else {
    TableWriter table(std::cout);
    printed = Print(*bars, table);
    table.Finish();
  }
  if (!printed.ok()) {
    spdlog::error("candles: {}", printed.message());
    return 1;
  }
  return 0;
}

int RunCandlesRebuild(const Config& config, const CandlesRebuildOptions& o) {
  CandleRebuild scope;
  for (std::string symbol : o.symbols) {
    for (char& c : symbol) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    scope.symbols.push_back(std::move(symbol));
  }
  if (!TimeOf(o.from, "--from", scope.from) || !TimeOf(o.to, "--to", scope.to)) return 2;
  auto store = OpenStore(config);
  if (!store) {
    spdlog::error("candles rebuild: {}", store.error());
    return 1;
  }
  csv::Progress progress(std::cerr, ::isatty(STDERR_FILENO) == 1, "candles rebuild", 100, NowMicros,
                         "symbols");
  std::size_t symbols = 0;
  scope.progress = [&](std::size_t done, std::size_t total) {
    symbols = total;
    progress.Update(done * 100 / std::max<std::size_t>(total, 1), done);
  };
  const Micros started = NowMicros();
  auto written = (*store)->RebuildCandles(scope);
  if (!written) {
    spdlog::error("candles rebuild: {}", written.error());
    return 1;
  }
  progress.Finish(100, symbols);
  std::string intervals;
  for (const Interval& i : (*store)->CandleIntervals()) {
    intervals += (intervals.empty() ? "" : ",") + i.name;
  }
  std::cout << fmt::format("rebuilt {} bars of {} symbols at {} in {:.1f} s\n", *written, symbols,
                           intervals, static_cast<double>(NowMicros() - started) / 1e6);
  return 0;
}

}  // namespace stockpipe
