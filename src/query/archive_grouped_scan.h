// All rows of a grouped scan (GROUP BY / DISTINCT on archive columns), as the query thread holds
// them: each object's groups (archive_grouping.h) merged by key, then put in the query's ORDER BY
// order, so rows of one group come out adjacent and SQLite aggregates without sorting. The rows
// stay in the objects' blocks; a group is a list of chunks, one per object it appears in. Only the
// columns the query uses are kept; the group columns once per group. Internal to the archive table.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "query/archive_grouping.h"
#include "query/archive_plain_reader.h"
#include "query/block_arena.h"

namespace stockpipe::query::archive {

// A group of a grouped scan: its rows are those of its chunks, in object order.
struct Group {
  struct Chunk {
    std::uint32_t part, group;  // Grouped::parts[part]->groups[group]
  };
  std::vector<Packed> key;  // the first row's key values; text as an index into Grouped::texts
  std::vector<Chunk> chunks;
  std::size_t rows = 0;
};

// The scan's groups and, while SQLite reads them, the current row.
struct Grouped {
  std::shared_ptr<const GroupSpec> spec;
  std::shared_ptr<BlockArena> arena;  // the parts' rows
  std::vector<std::unique_ptr<Partial>> parts;
  std::vector<std::string> texts;  // key texts
  std::unordered_map<std::string, std::uint32_t> interned;
  std::unordered_map<std::string, std::uint32_t> group_of;  // encoded key -> group
  std::vector<Group> groups;
  std::vector<std::uint32_t> order;           // groups in output order
  std::size_t position = 0;                   // in `order`
  std::size_t group = 0, chunk = 0, row = 0;  // the current row while emitting

  std::uint32_t Intern(std::string_view text) {
    auto [it, added] = interned.try_emplace(std::string(text), 0);
    if (added) {
      it->second = static_cast<std::uint32_t>(texts.size());
      texts.emplace_back(text);
    }
    return it->second;
  }
  // What xColumn reads, set by Enter() for the current chunk: SQLite asks for every column of
  // every row, so each answer is one or two loads.
  static constexpr int kRowColumn = 1 << 16;  // source: kRowColumn + index in row_columns
  std::vector<int> source;                    // per table column: key index, row column or -1
  const Packed* key = nullptr;
  const std::uint64_t* bits = nullptr;
  const Slot::Type* types = nullptr;
  const std::uint32_t* codes = nullptr;
  const char* row_texts = nullptr;
  std::size_t chunk_rows = 0, width = 0;

  void Enter() {
    const Group& g = groups[group];
    const Group::Chunk& c = g.chunks[chunk];
    const Partial& part = *parts[c.part];
    const PartGroup& pg = part.groups[c.group];
    key = g.key.data();
    bits = pg.bits;
    types = pg.types;
    codes = pg.codes;
    row_texts = part.texts.data();
    chunk_rows = pg.rows;
  }
};

// Adds one object's groups to `g`: a few look-ups per object, the rows stay where they are.
void Merge(Grouped& g, std::unique_ptr<Partial> part);

// Once every object is merged: puts the groups in the order of `order_terms` (pairs of a column
// digit and `a`/`d`, as xBestIndex wrote them), compared as SQLite does (NULL < numbers < text
// bytes), and enters the first row of a `table_columns` wide table. False when there is no row.
bool Order(Grouped& g, std::string_view order_terms, std::size_t table_columns);

// Sets the result of `ctx` to a packed value (`text` when it is text).
inline void ResultPacked(sqlite3_context* ctx, Slot::Type type, std::uint64_t bits,
                         std::string_view text) {
  switch (type) {
    case Slot::Type::kNull:
      sqlite3_result_null(ctx);
      break;
    case Slot::Type::kReal: {
      double d;
      std::memcpy(&d, &bits, 8);
      sqlite3_result_double(ctx, d);
      break;
    }
    case Slot::Type::kInteger: {
      std::int64_t i;
      std::memcpy(&i, &bits, 8);
      sqlite3_result_int64(ctx, i);
      break;
    }
    case Slot::Type::kText:
      sqlite3_result_text(ctx, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
      break;
  }
}

// What xColumn answers for `column` of the current row. Inline: SQLite asks for every column of
// every row.
inline int GroupedColumn(const Grouped& g, sqlite3_context* ctx, int column) {
  const int source = g.source[static_cast<std::size_t>(column)];
  if (source >= Grouped::kRowColumn && g.codes) {
    sqlite3_result_double(ctx, FromDecimalCode(g.codes[g.row]));
  } else if (source >= Grouped::kRowColumn) {
    const std::size_t at = g.row * g.width + static_cast<std::size_t>(source - Grouped::kRowColumn);
    const std::uint64_t bits = g.bits[at];
    std::string_view text;
    if (g.types[at] == Slot::Type::kText) {
      text = std::string_view(g.row_texts + (bits >> 32), bits & 0xffffffffu);
    }
    ResultPacked(ctx, g.types[at], bits, text);
  } else if (source >= 0) {
    const Packed& p = g.key[source];
    ResultPacked(ctx, p.type, p.bits,
                 p.type == Slot::Type::kText ? std::string_view(g.texts[p.bits]) : "");
  } else {
    sqlite3_result_null(ctx);
  }
  return SQLITE_OK;
}

}  // namespace stockpipe::query::archive
