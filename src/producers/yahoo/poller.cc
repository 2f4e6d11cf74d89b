#include "producers/yahoo/poller.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <map>

#include "codec/json_write.h"
#include "producers/synthetic.h"

namespace stockpipe::yahoo {
namespace {

constexpr Micros kSecond = 1'000'000;
constexpr Micros kPublishDelay = 2 * kSecond;

// "2026-11-26 09:30 EST (14:30Z)": exchange time first, since that is how markets are quoted.
std::string ExchangeTime(std::int64_t t, const TradingPeriod& p) {
  const std::string local = FormatCanonical((t + p.gmtoffset) * kSecond);
  const std::string utc = FormatCanonical(t * kSecond);
  return fmt::format("{} {}{} ({}Z)", local.substr(0, 10), local.substr(11, 5),
                     p.timezone.empty() ? "" : " " + p.timezone, utc.substr(11, 5));
}

std::int64_t FloorTo(std::int64_t t, std::int64_t step) {
  const std::int64_t r = t % step;
  return r < 0 ? t - r - step : t - r;
}

}  // namespace

std::string LastBarKey(std::string_view symbol) {
  return fmt::format("producer.yahoo.last_bar.{}", symbol);
}

std::string BarRecord(const std::string& symbol, std::int64_t bar_start, double close,
                      const std::optional<std::int64_t>& volume, const ChartMeta& meta) {
  const double scale = std::pow(10.0, meta.price_hint);
  const double price = std::round(close * scale) / scale;
  std::string out = R"({"symbol":)";
  AppendJsonString(symbol, out);
  out += R"(,"timestamp":")";
  out += ReferenceTimestamp(bar_start * kSecond);
  out += R"(","price":)";
  AppendShortestDouble(price, out);
  if (volume) out += fmt::format(R"(,"volume":{})", *volume);
  if (!meta.currency.empty()) {
    out += R"(,"currency":)";
    AppendJsonString(meta.currency, out);
  }
  out += R"(,"source":"yahoo"})";
  return out;
}

Poller::Poller(ChartClient& client, Send send, StateStore* state, PollerOptions options)
    : client_(client), send_(std::move(send)), state_(state), options_(std::move(options)) {}

Poller::SymbolState& Poller::StateOf(const std::string& symbol) {
  SymbolState& s = symbols_[symbol];
  if (s.loaded) return s;
  s.loaded = true;
  if (!state_) return s;
  auto value = state_->Get(LastBarKey(symbol));
  if (!value) {
    spdlog::warn(
        "yahoo {}: cannot read the last sent bar from the state store ({}); bars of "
        "this session may be sent again",
        symbol, value.error());
  } else if (*value) {
    try {
      s.last_sent = std::stoll(**value);
    } catch (...) {
      spdlog::warn("yahoo {}: ignoring a bad last-sent bar '{}' in the state store", symbol,
                   **value);
    }
  }
  return s;
}

void Poller::Report(SymbolState& s, const std::string& symbol, const std::string& problem,
                    bool error) {
  if (problem.empty()) {
    if (!s.problem.empty()) spdlog::info("yahoo {}: data again", symbol);
  } else if (problem != s.problem) {
    if (error) {
      spdlog::error("yahoo {}", problem);
    } else {
      spdlog::warn("yahoo {}", problem);
    }
  }
  s.problem = problem;
}

void Poller::Select(const std::string& symbol, const Chart& chart, std::int64_t now_s,
                    std::vector<StreamRecord>& out, std::int64_t& newest, PassResult& pass) {
  SymbolState& s = StateOf(symbol);
  const std::int64_t step = chart.meta.granularity_s > 0 ? chart.meta.granularity_s : 60;
  const auto& regular = chart.meta.regular;
  const bool check_hours = !options_.any_hours && regular.has_value();
  if (check_hours && !regular->Contains(now_s)) {
    pass.closed.push_back(symbol);
    if (s.closed_period != regular->start) {
      s.closed_period = regular->start;
      if (now_s < regular->start) {
        spdlog::info("market closed for {} until {}", symbol,
                     ExchangeTime(regular->start, *regular));
      } else {
        spdlog::info("market closed for {} since {}; waiting for the next regular session", symbol,
                     ExchangeTime(regular->end, *regular));
      }
    }
    // Only the tail of a session we were following: its last bars complete at the close.
    const bool following = now_s >= regular->end && s.last_sent >= regular->start;
    if (!following) return;
  } else if (check_hours && s.closed_period != -1) {
    s.closed_period = -1;
    spdlog::info("market open for {} until {}", symbol, ExchangeTime(regular->end, *regular));
  }

  // Yahoo's live last element is stamped with the latest trade: it belongs to its minute's bar,
  // and the later element of a bar is the fresher one.
  std::map<std::int64_t, const ChartBar*> bars;
  for (const ChartBar& bar : chart.bars) bars[FloorTo(bar.time, step)] = &bar;
  newest = s.last_sent;
  for (const auto& [start, bar] : bars) {
    if (start <= s.last_sent || start + step > now_s) continue;
    if (check_hours && !regular->Contains(start)) continue;  // pre/post-market
    out.push_back({symbol, BarRecord(symbol, start, bar->close, bar->volume, chart.meta)});
    newest = start;
  }
}

PassResult Poller::PollOnce() {
  PassResult pass;
  std::vector<StreamRecord> records;
  std::map<std::string, std::int64_t> newest;
  for (const std::string& symbol : options_.symbols) {
    if (options_.stopping()) {
      pass.stopped = true;
      break;
    }
    ChartFetch fetch = client_.Fetch(symbol);
    SymbolState& s = StateOf(symbol);
    if (fetch.kind == FetchKind::kStopped) {
      pass.stopped = true;
      break;
    }
    if (fetch.kind == FetchKind::kUnknownSymbol || fetch.kind == FetchKind::kFailed) {
      pass.failed.push_back(fetch.message);
      Report(s, symbol, fetch.message, true);
      continue;
    }
    if (fetch.kind == FetchKind::kEmpty) {
      pass.empty.push_back(symbol);
      Report(s, symbol, fetch.message, false);
      continue;
    }
    Report(s, symbol, "", false);
    if (fetch.chart.null_bars > 0) {
      spdlog::debug("yahoo {}: {} minutes without trades skipped", symbol, fetch.chart.null_bars);
    }
    const std::size_t before = records.size();
    std::int64_t last = -1;
    Select(symbol, fetch.chart, options_.now() / kSecond, records, last, pass);
    if (records.size() > before) {
      newest[symbol] = last;
      pass.sent_by_symbol[symbol] = records.size() - before;
    }
  }
  if (records.empty()) return pass;
  pass.stream = send_(records);
  if (!pass.stream.ok()) {
    pass.sent_by_symbol.clear();
    spdlog::error("yahoo: the stream refused {} bars ({}); they are sent again next pass",
                  records.size(), pass.stream.message());
    return pass;
  }
  pass.sent = records.size();
  for (const auto& [symbol, start] : newest) {
    symbols_[symbol].last_sent = start;
    if (!state_) continue;
    if (Status st = state_->Put(LastBarKey(symbol), std::to_string(start)); !st.ok()) {
      spdlog::warn("yahoo {}: cannot save the last sent bar ({}); a restart may resend it", symbol,
                   st.message());
    }
  }
  return pass;
}

std::uint64_t Poller::Run() {
  const Micros poll = std::max<Micros>(options_.poll, kSecond);
  std::uint64_t total = 0;
  while (true) {
    const PassResult pass = PollOnce();
    total += pass.sent;
    if (pass.stopped) return total;
    if (pass.sent > 0) {
      std::string detail;
      for (const auto& [symbol, n] : pass.sent_by_symbol) {
        detail += fmt::format("{}{} {}", detail.empty() ? "" : ", ", symbol, n);
      }
      spdlog::info("yahoo: sent {} bars ({})", pass.sent, detail);
    }
    const Micros now = options_.now();
    const Micros next = FloorTo(now - kPublishDelay, poll) + poll + kPublishDelay;
    if (!options_.sleep(next - now)) return total;
  }
}

}  // namespace stockpipe::yahoo
