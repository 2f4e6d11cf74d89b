// The Yahoo Finance producer: polls the chart API for each symbol and sends each completed
// 1-minute bar once, as a reference record
// `{"symbol","timestamp","price","volume","currency","source":"yahoo"}`, where timestamp is the
// bar's start and price its close (rounded to the instrument's `priceHint` decimals, because
// Yahoo's closes carry float noise such as 189.30999755859375).
//
// Guarantees:
// - Only completed bars: bar start + granularity <= now. Yahoo's live last element (stamped with
//   the latest trade, not the minute) is treated as the bar it falls in.
// - Each bar once per symbol: the newest sent bar is remembered per symbol, and in the state store
//   (when one is given) after the stream accepted it, so a restart does not resend. A crash between
//   the two can resend one pass's bars: CLEAN upserts by (symbol, timestamp) absorb that.
// - Market hours from `meta.currentTradingPeriod.regular` (so each exchange's hours and holidays
//   come from Yahoo, not from a calendar of ours). Outside it nothing is sent, except the last bars
//   of a session this producer was following, which only complete at the close; a fresh start at
//   night sends nothing. "market closed for AAPL until ..." is logged once per closed period.
//   `any_hours` sends every completed bar regardless (24 h instruments, tests). While closed,
//   passes go on at the poll period: Yahoo moves currentTradingPeriod to the next session only
//   when it comes near, and a pass is what notices it.
// - A fresh start during the session sends the session's completed bars so far (a catch-up).
// - A symbol that fails (unknown, empty, retries exhausted) is reported once per distinct problem
//   and the other symbols go on. A stream write that fails leaves the bars unsent; the next pass
//   sends them again.
//
// Time comes from the injected `now`; waits go through the injected `sleep` (false = stop).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/state_store.h"
#include "core/stream.h"
#include "core/timestamp.h"
#include "producers/yahoo/chart_client.h"

namespace stockpipe::yahoo {

struct PollerOptions {
  std::vector<std::string> symbols;
  Micros poll = 60'000'000;
  bool any_hours = false;
  std::function<Micros()> now = NowMicros;
  std::function<bool(Micros)> sleep;  // required for Run: waits; false means stop
  std::function<bool()> stopping = [] { return false; };  // checked between symbols
};

// What one pass did, per symbol and in total.
struct PassResult {
  std::uint64_t sent = 0;
  std::map<std::string, std::uint64_t> sent_by_symbol;
  std::vector<std::string> closed;  // symbols outside their regular session
  std::vector<std::string> failed;  // messages of symbols that failed (unknown, exhausted, ...)
  std::vector<std::string> empty;   // symbols with an empty chart
  Status stream;                    // the stream write's status
  bool stopped = false;             // a backoff was interrupted by stop
};

// The state store key holding the newest bar sent for `symbol` (epoch seconds as text).
std::string LastBarKey(std::string_view symbol);

class Poller {
 public:
  using Send = std::function<Status(std::span<const StreamRecord>)>;
  // `state` may be null (nothing persisted); `client` and `state` must outlive the poller.
  Poller(ChartClient& client, Send send, StateStore* state, PollerOptions options);

  // One pass over every symbol: fetch, pick the new completed bars, send them in one write.
  PassResult PollOnce();

  // Passes until `sleep` says stop; returns the records sent. Passes start on multiples of the
  // poll period plus 2 s (bars complete on the minute; Yahoo needs a moment to publish them).
  std::uint64_t Run();

 private:
  struct SymbolState {
    std::int64_t last_sent = -1;  // bar start, epoch seconds; -1 = none
    bool loaded = false;
    std::string problem;              // the last reported problem, so each is said once
    std::int64_t closed_period = -1;  // start of the closed period already announced
  };
  SymbolState& StateOf(const std::string& symbol);
  void Report(SymbolState& s, const std::string& symbol, const std::string& problem, bool error);
  void Select(const std::string& symbol, const Chart& chart, std::int64_t now_s,
              std::vector<StreamRecord>& out, std::int64_t& newest, PassResult& pass);

  ChartClient& client_;
  Send send_;
  StateStore* state_;
  PollerOptions options_;
  std::map<std::string, SymbolState> symbols_;
};

// A bar as a reference record (price rounded to `price_hint` decimals).
std::string BarRecord(const std::string& symbol, std::int64_t bar_start, double close,
                      const std::optional<std::int64_t>& volume, const ChartMeta& meta);

}  // namespace stockpipe::yahoo
