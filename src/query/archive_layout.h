// The columns of the archive tables and how one decoded value is held: the vocabulary the
// readers (archive_decoder.h, archive_plain_reader.h), the grouping (archive_grouping.h) and the
// virtual table (archive_table.cc) share. Internal to the archive table: include it only from
// src/query/archive_*.
//
// A table's JSON columns come first, in layout order, so a decoded row is an array of Slots indexed
// by column number, followed by one slot for `extra`; `dt` and `object` are the same on every row
// of an object and are not stored per row, and `line` is the row's place in its object.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace stockpipe::query::archive {

enum class Kind : std::uint8_t { kJson, kDt, kExtra, kObject, kLine };

struct Column {
  const char* name;
  const char* decl;
  Kind kind;
};

struct Layout {
  std::string_view area;
  std::vector<Column> columns;
  int json_columns = 0;  // the kJson columns come first, in this order
};

const Layout& RawLayout();
const Layout& RejectedLayout();

// The names of the layout's JSON columns, compared per member: no strlen per comparison.
std::vector<std::string_view> JsonNames(const Layout& layout);

// One parsed value. Text lives in the batch's arena (offsets, since the arena grows).
struct Slot {
  enum class Type : std::uint8_t { kNull, kText, kReal, kInteger };
  Type type = Type::kNull;
  std::uint32_t length = 0;  // text; a number's DecimalCode from the plain reader, or 0
  union {                    // 16 bytes a value: every row of every used column is one
    double real = 0;
    std::int64_t integer;
    std::uint32_t offset;  // text, in the arena
  };
};

// The columns a query uses, so the readers parse only those.
struct Need {
  std::uint32_t json_mask = 0;  // bit i: json column i is used
  bool extra = false;
  bool any() const { return json_mask != 0 || extra; }
};

}  // namespace stockpipe::query::archive
