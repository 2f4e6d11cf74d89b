// A chunk: a run of one symbol's ticks in time order, stored as one BLOB of columns.
//
// The local CLEAN store keeps a symbol's ticks as a few such chunks (store/sqlite/tick_chunks.h)
// instead of one B-tree row per tick: writing a batch costs one row per symbol, and a read of a
// symbol's history decodes arrays instead of walking rows.
//
// Layout, little-endian, fixed width so a reader indexes it in place:
//   u32 magic "SPC1" | u32 rows | u32 flags (bit 0: volume column, bit 1: open/high/low columns)
//   i64 timestamp[rows] (microseconds, strictly increasing) | f64 price[rows]
//   when flags bit 0 or bit 1: u8 present[rows] (bit 0: volume, bit 1: open/high/low)
//   when flags bit 0: f64 volume[rows]
//   when flags bit 1: f64 open[rows] | f64 high[rows] | f64 low[rows]
// Absent members are stored as 0 and marked absent in `present`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/record.h"
#include "core/result.h"

namespace stockpipe {

// One tick as a chunk holds it: the symbol is the chunk's.
struct StoredTick {
  Micros timestamp = 0;
  double price = 0;
  std::optional<double> volume;
  std::optional<TickBar> bar;
  friend bool operator==(const StoredTick&, const StoredTick&) = default;
};

// `ticks` (in strictly increasing time order) as a chunk.
std::string EncodeChunk(std::span<const StoredTick> ticks);
// The same, appended to `out`.
void AppendChunk(std::span<const StoredTick> ticks, std::string& out);

// A chunk read in place: valid while the bytes it was made from are.
class ChunkView {
 public:
  // An error names what is wrong with `blob` (a file damaged or written by something else).
  static Result<ChunkView> Of(std::string_view blob);

  std::size_t rows() const { return rows_; }
  Micros timestamp(std::size_t i) const { return Load<std::int64_t>(timestamps_, i); }
  double price(std::size_t i) const { return Load<double>(prices_, i); }
  std::optional<double> volume(std::size_t i) const;
  std::optional<TickBar> bar(std::size_t i) const;
  StoredTick tick(std::size_t i) const { return {timestamp(i), price(i), volume(i), bar(i)}; }
  Micros first() const { return timestamp(0); }
  Micros last() const { return timestamp(rows_ - 1); }
  // The first row whose timestamp is >= t (rows() when none).
  std::size_t LowerBound(Micros t) const;

 private:
  template <typename T>
  static T Load(const char* column, std::size_t i) {
    T v;
    __builtin_memcpy(&v, column + i * sizeof(T), sizeof(T));
    return v;
  }
  std::size_t rows_ = 0;
  const char* timestamps_ = nullptr;
  const char* prices_ = nullptr;
  const char* present_ = nullptr;  // null when the chunk has no optional members
  const char* volumes_ = nullptr;
  const char* opens_ = nullptr;
  const char* highs_ = nullptr;
  const char* lows_ = nullptr;
};

}  // namespace stockpipe
