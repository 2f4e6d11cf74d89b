// Pacing the synthetic feed into a stream: real time (one round every INTERVAL_SEC, stamped with
// the wall clock) or a load run (--count / --rate: ticks stamped on a simulated clock that ends at
// the present, so every tick is plausible to ingest, sent as fast as allowed).
//
// The clock, the sleep and the stop are injected as for the CSV replay (csv/csv_replay.h); the
// `produce synthetic` command and `run --producer synthetic` hand in the process's own.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "core/result.h"
#include "core/stream.h"
#include "producers/synthetic.h"

namespace stockpipe {

struct SyntheticRunOptions {
  std::optional<std::uint64_t> count;  // stop after this many records
  double per_second = 0;               // load runs: records per second, 0 = as fast as possible
  bool load = false;                   // a load run (--count or --rate), not real time
  std::size_t batch = 5'000;           // records per stream write in a load run
  std::function<Micros()> now = NowMicros;
  std::function<bool(Micros)> sleep;  // waits up to the time given; false means stop
  std::function<bool()> stopping = [] { return false; };
};

// "--rate" as given: "" (real time), "max" or a positive number of records per second. The error
// names the flag and the value.
Status ParseSyntheticRate(std::string_view rate, double& per_second);

// Sends rounds of `params`' feed through `send` until the count, DURATION_SEC (or the planned
// rounds of a load run) is reached or `stopping()`; returns how many records were sent, or the
// first failed write.
Result<std::uint64_t> RunSynthetic(const SyntheticParams& params,
                                   const std::function<Status(std::span<const StreamRecord>)>& send,
                                   const SyntheticRunOptions& options);

}  // namespace stockpipe
