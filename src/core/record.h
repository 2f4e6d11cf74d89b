// Input records: parse, validate and normalise one JSON line.
//
// The input format is the reference producers' `{"symbol":"AAPL","timestamp":"...","price":225.11}`
// byte for byte. Accepted: a leading UTF-8 BOM, price as a number or numeric string, a missing
// timestamp (the arrival time is used), any common timestamp form, extra fields (kept verbatim).
// Everything else is a `Rejection` with a stable reason code and a message a user can act on;
// nothing here throws or drops a record silently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/timestamp.h"

namespace stockpipe {

// Stable rejection codes: they name quarantine entries and counters, so never renumber or rename.
enum class RejectReason : std::uint8_t {
  kEmpty,
  kOversized,
  kInvalidUtf8,
  kMalformedJson,
  kNotAnObject,
  kMissingSymbol,
  kInvalidSymbol,
  kMissingPrice,
  kInvalidPrice,
  kPriceNotFinite,
  kPriceNotPositive,
  kPriceOutOfRange,
  kInvalidTimestamp,
  kTimestampOutOfRange,
};
inline constexpr int kRejectReasonCount = 14;

// `malformed_json`, `price_not_positive`, ...: the code written to quarantine and counters.
std::string_view ReasonCode(RejectReason reason);

struct Rejection {
  RejectReason reason;
  std::string message;
};

// Optional members a tick may carry for its candles (core/candles.h). A bad one does not reject
// the tick: the tick is accepted without it and the reason is counted (IngestCounts::ignored).
enum class IgnoredField : std::uint8_t {
  kVolumeNotANumber,  // `volume` is not a number or numeric string
  kVolumeNotFinite,   // inf, nan, or beyond a double
  kVolumeNegative,
  kBarInvalid,       // `open`/`high`/`low`: not all three, or one not a finite positive number
  kBarInconsistent,  // low above open or close, or high below them
};
inline constexpr int kIgnoredFieldCount = 5;

// `volume_negative`, ...: the code counters and `stockpipe health` show. Stable like ReasonCode.
std::string_view IgnoredCode(IgnoredField field);

// The bar a tick read from a bar file stands for: its price is the bar's close.
struct TickBar {
  double open = 0, high = 0, low = 0;
  friend bool operator==(const TickBar&, const TickBar&) = default;
};

// One valid, normalised tick.
struct Tick {
  std::string symbol;  // trimmed, upper-case
  Micros timestamp = 0;
  double price = 0;
  std::string extras;  // other members as `,"k":v` JSON text, empty when none
  // Read from the extras `volume`, `open`, `high` and `low` (also kept there verbatim).
  std::optional<double> volume;  // finite, >= 0
  std::optional<TickBar> bar;    // low <= open, price <= high
  std::uint8_t ignored = 0;      // bit (1 << IgnoredField) per member left out above

  bool Ignored(IgnoredField field) const { return (ignored >> static_cast<int>(field)) & 1; }
};

struct RecordLimits {
  std::size_t max_record_bytes = 64 * 1024;
  std::size_t max_symbol_length = 32;
  double max_price = 1e9;
  Micros min_timestamp = 31'536'000'000'000;  // 1971-01-01: epoch 0 is a default, not a time
  Micros max_future = 2 * 86'400'000'000LL;   // ahead of arrival: clocks drift, years don't
};

class RecordParser {
 public:
  explicit RecordParser(RecordLimits limits = {});
  ~RecordParser();
  RecordParser(const RecordParser&) = delete;
  RecordParser& operator=(const RecordParser&) = delete;

  // Parses one record. `arrival` stands in for a missing timestamp and anchors the future limit.
  // Reuses internal buffers: one parser per thread.
  std::variant<Tick, Rejection> Parse(std::string_view line, Micros arrival);

 private:
  std::optional<Rejection> NumberOutOfRange(std::string_view line);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends the canonical JSON line (no newline) for `tick`:
// `{"symbol":"AAPL","timestamp":"2025-08-14T14:38:12.000000Z","price":225.11,...extras}`.
void AppendTickJson(const Tick& tick, std::string& out);

}  // namespace stockpipe
