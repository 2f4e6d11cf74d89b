// The retry wait every client uses: capped exponential backoff with full jitter.
//
// Retry n (0 for the first retry) waits a uniformly random time in
// [0, min(max_delay, base_delay * 2^n)] ("full jitter": clients that failed together do not
// retry together). A server's Retry-After, when the caller has one, replaces the random wait, cut
// to `max_retry_after`. Waits are in microseconds; nothing here sleeps, so callers keep their own
// (injectable) clock. The doubling saturates at the cap, so no retry count overflows.
#pragma once

#include <cstdint>
#include <optional>
#include <random>

namespace stockpipe {

struct BackoffPolicy {
  std::int64_t base_delay_us = 0;
  std::int64_t max_delay_us = 0;
  std::int64_t max_retry_after_us = 0;  // a longer Retry-After is cut to this
};

// min(max_delay, base_delay * 2^retry), and 0 when either is not positive.
std::int64_t BackoffCeiling(const BackoffPolicy& policy, int retry);

// The wait before retry `retry`: `retry_after_us` (cut to max_retry_after) when the server sent
// one, else a full-jitter draw from `random`.
std::int64_t BackoffWait(const BackoffPolicy& policy, int retry, std::mt19937_64& random,
                         std::optional<std::int64_t> retry_after_us = std::nullopt);

// The same with a per-thread generator seeded from std::random_device, for callers that need
// no reproducible sequence.
std::int64_t BackoffWait(const BackoffPolicy& policy, int retry,
                         std::optional<std::int64_t> retry_after_us = std::nullopt);

}  // namespace stockpipe
