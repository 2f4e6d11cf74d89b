// Grouping one object of a grouped scan (GROUP BY / DISTINCT on archive columns): on the helper
// thread that decodes it, the object's rows are bucketed by the group key, so the query thread
// (archive_grouped_scan.h) merges a few groups per object instead of touching every row. Plain
// objects go straight from the plain reader into their groups; others through a Batch (simdjson).
// Only the columns the query uses are kept. Internal to the archive table.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "query/archive_decoder.h"
#include "query/archive_layout.h"
#include "query/block_arena.h"

namespace stockpipe::query::archive {

// A value of a grouped scan: numbers as their bits; text as an index into a text table (key
// columns) or as offset << 32 | length into a Partial's `texts` (other columns).
struct Packed {
  Slot::Type type = Slot::Type::kNull;
  std::uint64_t bits = 0;
};

// Which columns a grouped scan buckets by and which it keeps per row (table column numbers).
struct GroupSpec {
  std::vector<int> key_columns, row_columns;
};

// The rows of one group within one object: the row columns' values, rows x row_columns.
struct PartGroup {
  std::vector<Packed> key;        // the group's first row; text as an index into Partial::key_texts
  std::uint64_t* bits = nullptr;  // in the scan's BlockArena
  Slot::Type* types = nullptr;
  std::uint32_t* codes = nullptr;  // instead of bits/types: one REAL column, all DecimalCodes
                                   // (read as reals, integers too)
  bool compact = false;            // while bucketing: every value so far has a DecimalCode
  std::size_t rows = 0;
};

// One object's rows bucketed by the group key, built on the helper thread that decoded it, so the
// query thread merges a few groups per object instead of touching every row.
struct Partial {
  std::string texts;  // text values of the row columns
  std::vector<std::string> key_texts;
  std::vector<PartGroup> groups;  // in order of first appearance
  std::size_t rows = 0;
};

// Appends one key value to `key` as SQLite groups it: 1 and 1.0 are the same group.
void AppendKey(Packed p, std::string& key);

// Reads and buckets one object (`gz`) into `p`, its rows in `arena`; errors (naming the object) go
// to b.error. `spec` must list the columns `need` parses.
void DecodeGrouped(const std::string& gz, const Layout& layout, Need need, const GroupSpec& spec,
                   const std::atomic<bool>& stop, Scratch& s, Batch& b, Partial& p,
                   BlockArena& arena);

}  // namespace stockpipe::query::archive
