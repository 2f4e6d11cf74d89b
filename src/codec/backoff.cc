#include "codec/backoff.h"

#include <algorithm>

namespace stockpipe {

std::int64_t BackoffCeiling(const BackoffPolicy& policy, int retry) {
  if (policy.base_delay_us <= 0 || policy.max_delay_us <= 0) return 0;
  std::int64_t ceiling = policy.base_delay_us;
  for (int i = 0; i < retry && ceiling < policy.max_delay_us; ++i) {
    ceiling = ceiling > policy.max_delay_us / 2 ? policy.max_delay_us : ceiling * 2;
  }
  return std::min(ceiling, policy.max_delay_us);
}

std::int64_t BackoffWait(const BackoffPolicy& policy, int retry, std::mt19937_64& random,
                         std::optional<std::int64_t> retry_after_us) {
  if (retry_after_us) {
    return std::max<std::int64_t>(0, std::min(*retry_after_us, policy.max_retry_after_us));
  }
  const std::int64_t ceiling = BackoffCeiling(policy, retry);
  if (ceiling <= 0) return 0;
  return std::uniform_int_distribution<std::int64_t>(0, ceiling)(random);
}

std::int64_t BackoffWait(const BackoffPolicy& policy, int retry,
                         std::optional<std::int64_t> retry_after_us) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return BackoffWait(policy, retry, random, retry_after_us);
}

}  // namespace stockpipe
