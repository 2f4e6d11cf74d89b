#include "store/sqlite/ticks_table.h"

#include <fmt/format.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/timestamp.h"
#include "store/sqlite/tick_chunk.h"

namespace stockpipe {
namespace {

enum Column { kSymbol, kTimestamp, kPrice, kVolume, kOpen, kHigh, kLow };

// The statements a cursor reads tick_chunks with. The listings read the index and the small
// columns only; a chunk's BLOB is read by rowid once the listing says it holds wanted rows, so a
// pruned chunk costs an index entry, not its pages.
enum Statement {
  kAll,           // every chunk, by (symbol, first)
  kSymbolOldest,  // one symbol's chunks, oldest first
  kSymbolNewest,  // newest first
  kSymbolFrom,    // oldest first, from the chunk holding a time on
  kSymbolUntil,   // newest first, from the last chunk starting at or before a time
  kLooseOldest,   // symbol = a number: see Filter
  kLooseNewest,
  kData,  // one chunk's BLOB
  kStatements
};

constexpr std::string_view kListColumns = "SELECT symbol, first, last, rows, rowid FROM \"%w\".";
constexpr std::array<std::string_view, kStatements> kSql = {
    "tick_chunks ORDER BY symbol, first",
    "tick_chunks WHERE symbol = ?1 ORDER BY first",
    "tick_chunks WHERE symbol = ?1 ORDER BY first DESC",
    // Chunks never overlap: the one holding ?2 is the last starting at or before it.
    "tick_chunks WHERE symbol = ?1 AND first >= coalesce((SELECT max(first) FROM \"%w\"."
    "tick_chunks WHERE symbol = ?1 AND first <= ?2), ?2) ORDER BY first",
    "tick_chunks WHERE symbol = ?1 AND first <= ?2 ORDER BY first DESC",
    "tick_chunks WHERE symbol = ?1 OR CAST(symbol AS NUMERIC) = ?1 ORDER BY symbol, first",
    "tick_chunks WHERE symbol = ?1 OR CAST(symbol AS NUMERIC) = ?1 ORDER BY symbol, first DESC",
    "SELECT data FROM \"%w\".tick_chunks WHERE rowid = ?1",
};

// idxNum bits (xBestIndex -> xFilter).
constexpr int kOneSymbol = 1;  // argv[0] is the symbol
constexpr int kNewestFirst = 2;
constexpr int kNeedsData = 4;  // a column beyond the symbol, or a timestamp bound, is used

struct Table : sqlite3_vtab {
  sqlite3* db = nullptr;
  std::string schema;
  TicksTableStats own_stats;
  TicksTableStats* stats = nullptr;
  // Prepared statements no cursor holds: a cursor takes them on first use and gives them back
  // when it closes (a self-join holds two cursors at once).
  std::array<std::vector<sqlite3_stmt*>, kStatements> spare;

  ~Table() {
    for (auto& list : spare) {
      for (sqlite3_stmt* s : list) sqlite3_finalize(s);
    }
  }
};

// The tightest bound of one side, as the text SQLite compares the column with.
struct Bound {
  bool set = false;
  bool inclusive = false;
  std::string text;
};

std::string_view TextOf(sqlite3_value* v) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v)))
           : std::string_view();
}

struct Cursor : sqlite3_vtab_cursor {
  std::array<sqlite3_stmt*, kStatements> held{};
  sqlite3_stmt* list = nullptr;
  bool one_symbol = false;  // `list` holds one symbol's chunks in time order: may stop early
  bool newest_first = false;
  bool needs_data = false;
  bool eof = true;
  Bound lower, upper;

  // The current chunk.
  std::string_view symbol;  // valid while `list` stays on the chunk
  std::int64_t chunk_rowid = 0;
  std::int64_t rows = 0;
  bool has_view = false;
  ChunkView view;  // valid while held[kData] stays on the chunk
  std::size_t begin = 0, end = 0, row = 0;
  char formatted[kCanonicalTimestampSize];

  Table* table() const { return static_cast<Table*>(pVtab); }

  int Error(const std::string& message) {
    sqlite3_free(pVtab->zErrMsg);
    pVtab->zErrMsg = sqlite3_mprintf("%s", message.c_str());
    return SQLITE_ERROR;
  }

  int Take(Statement which, sqlite3_stmt** out) {
    if (held[which] == nullptr) {
      auto& spare = table()->spare[which];
      if (!spare.empty()) {
        held[which] = spare.back();
        spare.pop_back();
      } else {
        // Every %w is the schema (a statement names it once or twice).
        const std::string text = which == kData
                                     ? std::string(kSql[which])
                                     : std::string(kListColumns) + std::string(kSql[which]);
        const char* schema = table()->schema.c_str();
        char* sql = sqlite3_mprintf(text.c_str(), schema, schema);
        if (sql == nullptr) return SQLITE_NOMEM;
        const int rc = sqlite3_prepare_v3(table()->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                          &held[which], nullptr);
        sqlite3_free(sql);
        if (rc != SQLITE_OK) {
          return Error(fmt::format("ticks: cannot read {}.tick_chunks: {}", table()->schema,
                                   sqlite3_errmsg(table()->db)));
        }
      }
    }
    sqlite3_reset(held[which]);
    sqlite3_clear_bindings(held[which]);
    *out = held[which];
    return SQLITE_OK;
  }

  void GiveBack() {
    for (int i = 0; i < kStatements; ++i) {
      if (held[i] == nullptr) continue;
      sqlite3_reset(held[i]);
      sqlite3_clear_bindings(held[i]);
      table()->spare[i].push_back(held[i]);
      held[i] = nullptr;
    }
  }

  bool PassesLower(std::string_view text) const {
    if (!lower.set) return true;
    const int c = text.compare(lower.text);
    return c > 0 || (c == 0 && lower.inclusive);
  }
  bool PassesUpper(std::string_view text) const {
    if (!upper.set) return true;
    const int c = text.compare(upper.text);
    return c < 0 || (c == 0 && upper.inclusive);
  }
  std::string_view Format(Micros t) {
    FormatCanonical(t, formatted);
    return {formatted, kCanonicalTimestampSize};
  }
  // The first row of the chunk whose timestamp text is above `bound` (`strict`) or at least it.
  // Canonical text orders as time does, so the rows' texts are sorted.
  std::size_t FirstFrom(std::string_view bound, bool strict) {
    std::size_t lo = 0, hi = view.rows();
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      const int c = Format(view.timestamp(mid)).compare(bound);
      if (c < 0 || (c == 0 && strict)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  int LoadView() {
    sqlite3_stmt* data = nullptr;
    if (int rc = Take(kData, &data); rc != SQLITE_OK) return rc;
    sqlite3_bind_int64(data, 1, chunk_rowid);
    const int rc = sqlite3_step(data);
    if (rc != SQLITE_ROW) {
      return Error(fmt::format("ticks: cannot read chunk {} of {} in {}.tick_chunks: {}",
                               chunk_rowid, symbol, table()->schema,
                               rc == SQLITE_DONE ? "gone" : sqlite3_errmsg(table()->db)));
    }
    const auto* p = static_cast<const char*>(sqlite3_column_blob(data, 0));
    auto chunk = ChunkView::Of(
        std::string_view(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(data, 0))));
    if (!chunk) {
      return Error(fmt::format("ticks: chunk {} of {} in {}.tick_chunks is damaged: {}",
                               chunk_rowid, symbol, table()->schema, chunk.error()));
    }
    view = *chunk;
    has_view = true;
    ++table()->stats->chunks_read;
    return SQLITE_OK;
  }

  // Ends the reads: a statement left on a row would keep its pages pinned.
  int End() {
    eof = true;
    has_view = false;
    for (sqlite3_stmt* s : held) {
      if (s) sqlite3_reset(s);
    }
    return SQLITE_OK;
  }

  // Moves to the next chunk holding wanted rows (eof when none), on its first row.
  int NextChunk() {
    for (;;) {
      has_view = false;
      const int rc = sqlite3_step(list);
      if (rc == SQLITE_DONE) return End();
      if (rc != SQLITE_ROW) {
        return Error(fmt::format("ticks: cannot read {}.tick_chunks: {}", table()->schema,
                                 sqlite3_errmsg(table()->db)));
      }
      ++table()->stats->chunks_listed;
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(list, 0));
      symbol =
          std::string_view(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(list, 0)));
      chunk_rowid = sqlite3_column_int64(list, 4);
      rows = sqlite3_column_int64(list, 3);
      if (lower.set || upper.set) {
        const bool after_lower = PassesLower(Format(sqlite3_column_int64(list, 2)));
        const bool before_upper = PassesUpper(Format(sqlite3_column_int64(list, 1)));
        if (!after_lower || !before_upper) {
          // One symbol's chunks come in time order: past the bound in the reading direction,
          // no later chunk can hold a wanted row.
          if (one_symbol && (newest_first ? !after_lower : !before_upper)) return End();
          continue;
        }
      }
      if (!needs_data) {
        if (rows <= 0) continue;
        begin = 0;
        end = static_cast<std::size_t>(rows);
      } else {
        if (int rc = LoadView(); rc != SQLITE_OK) return rc;
        begin = lower.set ? FirstFrom(lower.text, !lower.inclusive) : 0;
        end = upper.set ? FirstFrom(upper.text, upper.inclusive) : view.rows();
        if (begin >= end) continue;
      }
      row = newest_first ? end - 1 : begin;
      return SQLITE_OK;
    }
  }
};

int Connect(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
            char** error) {
  if (argc > 3) {
    *error = sqlite3_mprintf("stockpipe_ticks takes no arguments");
    return SQLITE_ERROR;
  }
  const int rc = sqlite3_declare_vtab(db,
                                      "CREATE TABLE x(symbol TEXT, timestamp TEXT, price REAL, "
                                      "volume REAL, open REAL, high REAL, low REAL)");
  if (rc != SQLITE_OK) return rc;
  // Reads only its own file's chunks, with no side effect: safe wherever SQL may name it.
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  auto* table = new Table{};
  table->db = db;
  table->schema = argv[1];
  table->stats = aux ? static_cast<TicksTableStats*>(aux) : &table->own_stats;
  *out = table;
  return SQLITE_OK;
}

// Distinct from xConnect, so the module is no eponymous table: `ticks` exists where a schema
// declares it. Creating stores nothing (the chunks are the writer's).
int Create(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
           char** error) {
  return Connect(db, aux, argc, argv, out, error);
}

int Disconnect(sqlite3_vtab* vtab) {
  delete static_cast<Table*>(vtab);
  return SQLITE_OK;
}

// idxStr: one letter per xFilter argument: s symbol =, then timestamp = e, > g, >= G, < l, <= L.
int BestIndex(sqlite3_vtab*, sqlite3_index_info* info) {
  int symbol = -1;
  std::vector<std::pair<int, char>> bounds;
  bool exact_time = false;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable) continue;
    const char* collation = sqlite3_vtab_collation(info, i);
    if (collation && sqlite3_stricmp(collation, "BINARY") != 0) continue;
    if (c.iColumn == kSymbol && c.op == SQLITE_INDEX_CONSTRAINT_EQ && symbol < 0) {
      symbol = i;
      continue;
    }
    if (c.iColumn != kTimestamp) continue;
    switch (c.op) {
      case SQLITE_INDEX_CONSTRAINT_EQ:
        bounds.emplace_back(i, 'e');
        exact_time = true;
        break;
      case SQLITE_INDEX_CONSTRAINT_GT:
        bounds.emplace_back(i, 'g');
        break;
      case SQLITE_INDEX_CONSTRAINT_GE:
        bounds.emplace_back(i, 'G');
        break;
      case SQLITE_INDEX_CONSTRAINT_LT:
        bounds.emplace_back(i, 'l');
        break;
      case SQLITE_INDEX_CONSTRAINT_LE:
        bounds.emplace_back(i, 'L');
        break;
      default:
        break;
    }
  }
  // SQLite still checks every constraint on every row (omit = 0): the plan only narrows.
  std::string ops;
  int flags = 0;
  if (symbol >= 0) {
    ops += 's';
    info->aConstraintUsage[symbol].argvIndex = static_cast<int>(ops.size());
    flags |= kOneSymbol;
  }
  for (const auto& [i, op] : bounds) {
    ops += op;
    info->aConstraintUsage[i].argvIndex = static_cast<int>(ops.size());
  }
  if (!bounds.empty() || (info->colUsed & ~sqlite3_uint64{1 << kSymbol}) != 0) {
    flags |= kNeedsData;
  }

  // The orders rows come in: (symbol, timestamp) ascending for any scan; one symbol's rows in
  // time order either way.
  bool consumed = false;
  if (info->nOrderBy > 0) {
    if (symbol >= 0) {
      consumed = true;
      int time_terms = 0;
      for (int i = 0; i < info->nOrderBy; ++i) {
        const auto& term = info->aOrderBy[i];
        if (term.iColumn == kSymbol) continue;  // one value: orders nothing
        if (term.iColumn == kTimestamp && time_terms++ == 0) {
          if (term.desc) flags |= kNewestFirst;
          continue;
        }
        consumed = false;
      }
      if (!consumed) flags &= ~kNewestFirst;
    } else {
      const auto* t = info->aOrderBy;
      consumed = t[0].iColumn == kSymbol && !t[0].desc &&
                 (info->nOrderBy == 1 ||
                  (info->nOrderBy == 2 && t[1].iColumn == kTimestamp && !t[1].desc));
    }
  }
  info->orderByConsumed = consumed ? 1 : 0;
  info->idxNum = flags;
  if (!ops.empty()) {
    info->idxStr = sqlite3_mprintf("%s", ops.c_str());
    info->needToFreeIdxStr = 1;
  }
  // Rough sizes of a store of millions of ticks over some hundred symbols: what matters is that
  // one symbol beats all, and a time bound beats none.
  if (symbol >= 0 && exact_time) {
    info->estimatedRows = 1;
    info->estimatedCost = 10;
    info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  } else if (symbol >= 0) {
    info->estimatedRows = bounds.empty() ? 100'000 : 1'000;
    info->estimatedCost = bounds.empty() ? 100'000 : 2'000;
  } else {
    info->estimatedRows = exact_time ? 100 : bounds.empty() ? 10'000'000 : 1'000'000;
    info->estimatedCost = exact_time ? 100'000 : bounds.empty() ? 10'000'000 : 2'000'000;
  }
  return SQLITE_OK;
}

int Open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  *out = new Cursor{};
  return SQLITE_OK;
}

int Close(sqlite3_vtab_cursor* base) {
  auto* cursor = static_cast<Cursor*>(base);
  cursor->GiveBack();
  delete cursor;
  return SQLITE_OK;
}

// The time `text` is the canonical form of, if it is one.
std::optional<Micros> CanonicalTime(std::string_view text) {
  if (text.size() != kCanonicalTimestampSize) return std::nullopt;
  const std::optional<Micros> t = ParseTimestampText(text);
  if (!t) return std::nullopt;
  char again[kCanonicalTimestampSize];
  FormatCanonical(*t, again);
  if (text != std::string_view(again, kCanonicalTimestampSize)) return std::nullopt;
  return t;
}

void Tighten(Bound& bound, std::string_view text, bool inclusive, bool is_lower) {
  const int c = bound.set ? text.compare(bound.text) : 0;
  if (!bound.set || (is_lower ? c > 0 : c < 0)) {
    bound.set = true;
    bound.text.assign(text);
    bound.inclusive = inclusive;
  } else if (c == 0) {
    bound.inclusive = bound.inclusive && inclusive;
  }
}

int Filter(sqlite3_vtab_cursor* base, int idx_num, const char* idx_str, int argc,
           sqlite3_value** argv) {
  auto* c = static_cast<Cursor*>(base);
  c->End();
  c->lower = {};
  c->upper = {};
  c->newest_first = (idx_num & kNewestFirst) != 0;
  c->needs_data = (idx_num & kNeedsData) != 0;
  const std::string_view ops = idx_str ? idx_str : "";
  sqlite3_value* symbol = nullptr;
  for (int i = 0; i < argc && static_cast<std::size_t>(i) < ops.size(); ++i) {
    sqlite3_value* v = argv[i];
    // Every comparison with NULL is false.
    if (sqlite3_value_type(v) == SQLITE_NULL) return SQLITE_OK;
    const char op = ops[static_cast<std::size_t>(i)];
    if (op == 's') {
      symbol = v;
      continue;
    }
    // Text is what SQL compares the column's text with as is; other values order by type (or
    // by affinity, against another column), so they only skip nothing.
    if (sqlite3_value_type(v) != SQLITE_TEXT) continue;
    const std::string_view text = TextOf(v);
    if (op == 'e' || op == 'g' || op == 'G') Tighten(c->lower, text, op != 'g', true);
    if (op == 'e' || op == 'l' || op == 'L') Tighten(c->upper, text, op != 'l', false);
  }
  Statement which = kAll;
  c->one_symbol = false;
  if (symbol != nullptr && sqlite3_value_type(symbol) == SQLITE_TEXT) {
    which = c->newest_first ? kSymbolNewest : kSymbolOldest;
    c->one_symbol = true;
  } else if (symbol != nullptr) {
    // A number: `symbol = 5` compares as text '5', but against a numeric column SQLite compares
    // the symbol as a number (so '05' matches too). Read both kinds; SQLite keeps the right one.
    which = c->newest_first ? kLooseNewest : kLooseOldest;
  } else {
    c->newest_first = false;
  }
  // A bound in canonical form compares as its time does: the listing can start at it instead of
  // walking the symbol's chunks up to it.
  std::optional<Micros> start;
  if (c->one_symbol) {
    const Bound& from = c->newest_first ? c->upper : c->lower;
    if (from.set) start = CanonicalTime(from.text);
    if (start) which = c->newest_first ? kSymbolUntil : kSymbolFrom;
  }
  if (int rc = c->Take(which, &c->list); rc != SQLITE_OK) return rc;
  if (symbol != nullptr) sqlite3_bind_value(c->list, 1, symbol);
  if (start) sqlite3_bind_int64(c->list, 2, *start);
  c->eof = false;
  return c->NextChunk();
}

int Next(sqlite3_vtab_cursor* base) {
  auto* c = static_cast<Cursor*>(base);
  if (c->newest_first) {
    if (c->row > c->begin) {
      --c->row;
      return SQLITE_OK;
    }
  } else if (++c->row < c->end) {
    return SQLITE_OK;
  }
  return c->NextChunk();
}

int Eof(sqlite3_vtab_cursor* base) {
  return static_cast<Cursor*>(base)->eof ? 1 : 0;
}

int ColumnValue(sqlite3_vtab_cursor* base, sqlite3_context* ctx, int column) {
  auto* c = static_cast<Cursor*>(base);
  if (column == kSymbol) {
    // Copied: the text lives in the listing's row, which moves on while SQLite may still hold
    // the value (GROUP BY keeps the previous key).
    sqlite3_result_text(ctx, c->symbol.data(), static_cast<int>(c->symbol.size()),
                        SQLITE_TRANSIENT);
    return SQLITE_OK;
  }
  if (!c->has_view) {
    // Planned without the chunk's BLOB (a column SQLite was not expected to ask for).
    if (int rc = c->LoadView(); rc != SQLITE_OK) return rc;
  }
  const ChunkView& view = c->view;
  const std::size_t i = c->row;
  if (i >= view.rows()) {
    return c->Error(fmt::format("ticks: chunk {} of {} in {}.tick_chunks holds {} rows, not {}",
                                c->chunk_rowid, c->symbol, c->table()->schema, view.rows(),
                                c->rows));
  }
  switch (column) {
    case kTimestamp:
      FormatCanonical(view.timestamp(i), c->formatted);
      sqlite3_result_text(ctx, c->formatted, static_cast<int>(kCanonicalTimestampSize),
                          SQLITE_TRANSIENT);
      break;
    case kPrice:
      sqlite3_result_double(ctx, view.price(i));
      break;
    case kVolume:
      if (auto v = view.volume(i)) sqlite3_result_double(ctx, *v);
      break;
    case kOpen:
    case kHigh:
    case kLow:
      if (auto bar = view.bar(i)) {
        sqlite3_result_double(ctx, column == kOpen   ? bar->open
                                   : column == kHigh ? bar->high
                                                     : bar->low);
      }
      break;
    default:
      break;
  }
  return SQLITE_OK;
}

int Rowid(sqlite3_vtab_cursor* base, sqlite3_int64* rowid) {
  auto* c = static_cast<Cursor*>(base);
  // Unique per tick while chunks hold fewer than 2^32 rows and rowids stay below 2^31.
  *rowid = static_cast<sqlite3_int64>((static_cast<std::uint64_t>(c->chunk_rowid) << 32) |
                                      static_cast<std::uint64_t>(c->row));
  return SQLITE_OK;
}

sqlite3_module MakeModule() {
  sqlite3_module m{};
  m.iVersion = 0;
  m.xCreate = Create;
  m.xConnect = Connect;
  m.xBestIndex = BestIndex;
  m.xDisconnect = Disconnect;
  m.xDestroy = Disconnect;
  m.xOpen = Open;
  m.xClose = Close;
  m.xFilter = Filter;
  m.xNext = Next;
  m.xEof = Eof;
  m.xColumn = ColumnValue;
  m.xRowid = Rowid;
  return m;
}

const sqlite3_module kModule = MakeModule();

}  // namespace

Status RegisterTicksTable(sqlite3* db, TicksTableStats* stats) {
  const int rc = sqlite3_create_module_v2(db, "stockpipe_ticks", &kModule, stats, nullptr);
  if (rc != SQLITE_OK) {
    return Status::Error(fmt::format("cannot register the ticks table: {}", sqlite3_errstr(rc)));
  }
  return Status::Ok();
}

}  // namespace stockpipe
