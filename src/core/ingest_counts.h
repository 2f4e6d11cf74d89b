// What ingest did with the records it received: every one is accepted or rejected for a reason.
// `ignored` counts members of accepted ticks left out of their candles (core/record.h
// IgnoredField): the tick is kept, the member is not read.
#pragma once

#include <array>
#include <cstdint>

#include "core/record.h"

namespace stockpipe {

struct IngestCounts {
  std::uint64_t received = 0;
  std::uint64_t accepted = 0;
  std::array<std::uint64_t, kRejectReasonCount> rejected{};
  std::array<std::uint64_t, kIgnoredFieldCount> ignored{};

  std::uint64_t rejected_total() const {
    std::uint64_t n = 0;
    for (auto v : rejected) n += v;
    return n;
  }
  bool balanced() const { return received == accepted + rejected_total(); }
  IngestCounts& operator+=(const IngestCounts& other) {
    received += other.received;
    accepted += other.accepted;
    for (int i = 0; i < kRejectReasonCount; ++i) rejected[i] += other.rejected[i];
    for (int i = 0; i < kIgnoredFieldCount; ++i) ignored[i] += other.ignored[i];
    return *this;
  }
};

}  // namespace stockpipe
