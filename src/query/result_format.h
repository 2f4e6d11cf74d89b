// RowSinks that print a query result: an aligned table, CSV (RFC 4180) or JSON, and a tee.
//
// CSV and JSON stream row by row; the table keeps the rows to size its columns. Reals print as
// the shortest text that reads back to the same double; NULL prints as empty (CSV), `NULL`
// (table) or `null` (JSON, also for non-finite reals).
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/query_engine.h"

namespace stockpipe {

// The text of one cell as the table and CSV show it.
std::string CellText(const Cell& cell);

class CsvWriter final : public RowSink {
 public:
  explicit CsvWriter(std::ostream& out) : out_(out) {}
  Status Columns(std::span<const std::string> names) override;
  Status Row(std::span<const Cell> cells) override;

 private:
  void Field(std::string_view text, bool first);
  std::ostream& out_;
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

// Columns padded to their widest value, numbers right-aligned; `Finish` prints it all.
class TableWriter final : public RowSink {
 public:
  explicit TableWriter(std::ostream& out) : out_(out) {}
  Status Columns(std::span<const std::string> names) override;
  Status Row(std::span<const Cell> cells) override;
  void Finish();

 private:
  std::ostream& out_;
  std::vector<std::string> names_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> numeric_;  // every non-NULL value of the column is a number
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
