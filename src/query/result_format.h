// RowSinks that print a query result: an aligned table, CSV (RFC 4180) or JSON, and a tee.
//
// All three stream: CSV and JSON row by row, the table chunk by chunk (see TableWriter), so
// printing a result of any length holds at most one chunk. Reals print as
// the shortest text that reads back to the same double; NULL prints as empty (CSV), `NULL`
// (table) or `null` (JSON, also for non-finite reals).
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/query_engine.h"

namespace stockpipe {

// The text of one cell as the table and CSV show it.
std::string CellText(const Cell& cell);

// With `max_bytes` > 0 the output stops before the first row that would take it past that many
// bytes: it ends on a whole row, the query goes on (a tee keeps feeding the other sink), and
// `truncated()` says so.
class CsvWriter final : public RowSink {
 public:
  explicit CsvWriter(std::ostream& out, std::uint64_t max_bytes = 0)
      : out_(out), max_bytes_(max_bytes) {}
  Status Columns(std::span<const std::string> names) override;
  Status Row(std::span<const Cell> cells) override;

  bool truncated() const { return truncated_; }
  std::uint64_t rows_written() const { return rows_written_; }
  std::uint64_t bytes_written() const { return bytes_; }

 private:
  void Field(std::string_view text, bool first);
  Status Emit();
  std::ostream& out_;
  std::uint64_t max_bytes_;
  std::uint64_t bytes_ = 0;
  std::uint64_t rows_written_ = 0;
  bool truncated_ = false;
  std::string line_;
};

// A JSON array of objects, one per row, keyed by column name; `Finish` closes the array.
class JsonWriter final : public RowSink {
 public:
  explicit JsonWriter(std::ostream& out) : out_(out) {}
  Status Columns(std::span<const std::string> names) override;
  Status Row(std::span<const Cell> cells) override;
  void Finish();

 private:
  std::ostream& out_;
  std::vector<std::string> keys_;  // `"name":` per column, already escaped
  bool any_row_ = false;
  std::string line_;
};

// Columns padded to their widest value, numbers right-aligned, then `(N rows)`.
//
// Streams in chunks: rows are kept until `kTableChunkRows` rows or `kTableChunkBytes` of text
// are held, then the chunk is printed (the header with the first one) and dropped. Widths come
// from the header and the first chunk; a later chunk only widens a column (from that chunk on,
// so the columns of two chunks can be offset), never narrows one, and nothing is cut. A column
// is right-aligned while every value so far is a number. No column is padded past
// `kTableMaxWidth`: a longer value prints in full and pushes the rest of its line right. A result
// that fits one chunk prints exactly as if it were all held. `Finish` prints the last chunk.
inline constexpr std::size_t kTableChunkRows = 1000;
inline constexpr std::size_t kTableChunkBytes = 1 << 20;
inline constexpr std::size_t kTableMaxWidth = 120;

class TableWriter final : public RowSink {
 public:
  explicit TableWriter(std::ostream& out) : out_(out) {}
  Status Columns(std::span<const std::string> names) override;
  Status Row(std::span<const Cell> cells) override;
  void Finish();

 private:
  Status Flush();
  void Print(const std::vector<std::string>& cells, bool header);
  std::ostream& out_;
  std::vector<std::string> names_;
  std::vector<std::vector<std::string>> rows_;  // the chunk being held
  std::size_t held_bytes_ = 0;
  std::uint64_t total_rows_ = 0;
  bool header_printed_ = false;
  std::vector<std::size_t> widths_;
  std::vector<bool> numeric_;  // every non-NULL value of the column so far is a number
};

// Hands every call to both sinks.
class TeeSink final : public RowSink {
 public:
  TeeSink(RowSink& a, RowSink& b) : a_(a), b_(b) {}
  Status Columns(std::span<const std::string> names) override;
  Status Row(std::span<const Cell> cells) override;

 private:
  RowSink& a_;
  RowSink& b_;
};

}  // namespace stockpipe
