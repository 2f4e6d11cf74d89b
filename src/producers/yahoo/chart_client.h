// A libcurl client for the Yahoo Finance chart API: one GET per symbol,
// `{endpoint}/v8/finance/chart/{SYMBOL}?interval=1m&range=1d`, with a browser-like User-Agent
// (Yahoo answers 429 to clients without one).
//
// Guarantees: HTTP 429, 5xx and transport failures are retried with exponential backoff and full
// jitter (a random wait in [0, min(max_delay, base_delay * 2^retry)]), at most `max_attempts`
// tries; a Retry-After header (seconds or an HTTP date) is honoured instead, up to
// `max_retry_after`. Each retry is logged once with the symbol, the reason and the wait. An
// unknown symbol (404 with the API's "Not Found" error), an empty chart and other 4xx answers come
// back as their own outcomes with a message naming the symbol; nothing throws.
//
// Waits go through the injected `sleep`, so tests control time; a `sleep` that returns false
// (Ctrl-C) ends the fetch as `kStopped`. Not thread-safe: one client per thread (it keeps one
// connection open between calls).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "core/timestamp.h"
#include "producers/yahoo/chart.h"

namespace stockpipe::yahoo {

inline constexpr std::string_view kDefaultEndpoint = "https://query1.finance.yahoo.com";
inline constexpr std::string_view kBrowserUserAgent =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36";

struct Backoff {
  int max_attempts = 5;  // the first try included
  Micros base_delay = 1'000'000;
  Micros max_delay = 60'000'000;
  Micros max_retry_after = 300'000'000;  // a longer Retry-After is cut to this
};

struct ChartClientOptions {
  std::string endpoint = std::string(kDefaultEndpoint);  // scheme://host[:port], no trailing /
  std::string user_agent = std::string(kBrowserUserAgent);
  long connect_timeout_ms = 10'000;
  long request_timeout_ms = 30'000;
  Backoff backoff;
  std::function<bool(Micros)> sleep;  // required: waits; false means stop
  std::uint64_t seed = 0;             // jitter; 0 = from std::random_device
};

enum class FetchKind {
  kOk,             // bars (possibly none completed yet) and meta
  kEmpty,          // Yahoo answered without any timestamps; meta is still filled
  kUnknownSymbol,  // 404 "Not Found": no such symbol, or delisted
  kFailed,         // retries exhausted, another 4xx, or a body that is not a chart
  kStopped,        // the injected sleep said stop during a backoff
};

struct ChartFetch {
  FetchKind kind = FetchKind::kFailed;
  Chart chart;
  std::string message;  // for everything but kOk: what happened, naming the symbol
  int attempts = 0;     // HTTP requests sent
};

class ChartClient {
 public:
  explicit ChartClient(ChartClientOptions options);
  ~ChartClient();
  ChartClient(const ChartClient&) = delete;
  ChartClient& operator=(const ChartClient&) = delete;

  ChartFetch Fetch(std::string_view symbol);

  // The URL fetched for `symbol` (the symbol percent-encoded: `^GSPC`, `EURUSD=X`).
  std::string UrlFor(std::string_view symbol) const;

 private:
  struct Reply;
  Reply Get(const std::string& url);

  ChartClientOptions options_;
  void* curl_ = nullptr;  // CURL*, kept for connection reuse
  std::mt19937_64 rng_;
};

}  // namespace stockpipe::yahoo
