// What /api/events sends one client, tick by tick (docs/dashboard.md, "server-sent events"):
// `series` when a symbol's newest CLEAN point moves, `alert` for each new alert message (oldest
// first), then `status`. The first tick only takes the baseline: what the page loaded already is
// not announced again. The HTTP layer owns the timing and the socket; this owns the contents.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "serve/dashboard.h"

namespace stockpipe::serve {

// Ingest samples for records per second, shared by every request: the rate is taken over the
// ~10 s before now, whoever asks, however often.
class IngestRate {
 public:
  // Takes a sample when the newest is over a second old, and returns the newest sample at least
  // 10 s old (else the oldest one before now; none when there is none yet).
  std::optional<IngestSample> Since(Dashboard& dashboard, Micros now);

 private:
  std::mutex mu_;
  std::deque<IngestSample> ring_;  // oldest first, a minute at most
};

// One SSE event: `event: NAME` and the data, one `data:` line per line of it.
std::string FormatEvent(std::string_view name, std::string_view data);

class EventStream {
 public:
  EventStream(Dashboard& dashboard, IngestRate& rate) : dashboard_(dashboard), rate_(rate) {}

  // The events due at `now` (empty when the dashboard could not be read this time).
  std::string Tick(Micros now);

 private:
  Dashboard& dashboard_;
  IngestRate& rate_;
  std::optional<Dashboard::Fingerprint> last_;
};

}  // namespace stockpipe::serve
