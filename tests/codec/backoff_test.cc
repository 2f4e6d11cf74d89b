// The retry wait: full jitter under a doubling cap, Retry-After instead when the server sent one,
// and the same draws from the same seed (the Yahoo client's tests rely on that).
#include "codec/backoff.h"

#include <gtest/gtest.h>

#include <limits>

namespace stockpipe {
namespace {

TEST(Backoff, CeilingDoublesPerRetryUpToTheCap) {
  const BackoffPolicy p{.base_delay_us = 100, .max_delay_us = 1'000};
  EXPECT_EQ(BackoffCeiling(p, 0), 100);
  EXPECT_EQ(BackoffCeiling(p, 1), 200);
  EXPECT_EQ(BackoffCeiling(p, 3), 800);
  EXPECT_EQ(BackoffCeiling(p, 4), 1'000);
  EXPECT_EQ(BackoffCeiling(p, std::numeric_limits<int>::max()), 1'000) << "no overflow";
  const BackoffPolicy huge{.base_delay_us = 1,
                           .max_delay_us = std::numeric_limits<std::int64_t>::max()};
  EXPECT_EQ(BackoffCeiling(huge, 62), std::int64_t{1} << 62);
  EXPECT_EQ(BackoffCeiling(huge, 200), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(BackoffCeiling({.base_delay_us = 0, .max_delay_us = 1'000}, 5), 0);
  EXPECT_EQ(BackoffCeiling({.base_delay_us = 100, .max_delay_us = 0}, 5), 0);
}

TEST(Backoff, WaitsAreFullJitterBelowTheCeilingAndReachBothEnds) {
  const BackoffPolicy p{.base_delay_us = 10, .max_delay_us = 40};
  std::mt19937_64 random(1);
  for (int retry = 0; retry < 5; ++retry) {
    std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = -1;
    for (int i = 0; i < 2000; ++i) {
      const std::int64_t wait = BackoffWait(p, retry, random);
      lo = std::min(lo, wait);
      hi = std::max(hi, wait);
    }
    EXPECT_EQ(lo, 0) << "retry " << retry;
    EXPECT_EQ(hi, BackoffCeiling(p, retry)) << "retry " << retry;
  }
  EXPECT_EQ(BackoffWait({.base_delay_us = 0, .max_delay_us = 0}, 3, random), 0);
}

TEST(Backoff, TheSameSeedGivesTheSameWaits) {
  const BackoffPolicy p{.base_delay_us = 1'000, .max_delay_us = 1'000'000};
  std::mt19937_64 a(42), b(42);
  for (int retry = 0; retry < 20; ++retry) {
    EXPECT_EQ(BackoffWait(p, retry, a), BackoffWait(p, retry, b));
  }
}

TEST(Backoff, RetryAfterReplacesTheJitterAndIsCut) {
  const BackoffPolicy p{.base_delay_us = 10, .max_delay_us = 40, .max_retry_after_us = 5'000};
  std::mt19937_64 random(1);
  EXPECT_EQ(BackoffWait(p, 0, random, 3'000), 3'000);
  EXPECT_EQ(BackoffWait(p, 0, random, 60'000), 5'000);
  EXPECT_EQ(BackoffWait(p, 0, random, 0), 0);
  EXPECT_EQ(BackoffWait(p, 0, random, -7), 0);
  const std::int64_t drawn = BackoffWait(p, 2, std::nullopt);  // the per-thread generator
  EXPECT_GE(drawn, 0);
  EXPECT_LE(drawn, 40);
}

}  // namespace
}  // namespace stockpipe
