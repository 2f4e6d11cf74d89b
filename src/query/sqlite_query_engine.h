// The local QueryEngine: SQLite over one data folder, read-only.
//
// Names, as in the AWS shape (Glue database `stock_raw_db`, Athena):
//   stock_raw_db.raw        the RAW archive   (symbol, timestamp, price, dt; hidden extra, object,
//                           line)
//   stock_raw_db.rejected   the quarantine    (reason, message, shard, sequence, arrival, record,
//   dt) clean.ticks             the CLEAN store   (symbol, timestamp, price), attached read-only
// Unqualified names resolve too (`raw`, `ticks`). `SHOW TABLES [IN db]`, `SHOW DATABASES` and
// `DESCRIBE table` are rewritten to queries over the schema.
//
// Read-only by construction: the main database is in memory, the CLEAN file is attached with
// mode=ro, extension loading is off, no further database can be attached, and an authorizer
// refuses every statement that would write, ATTACH/DETACH, change a PRAGMA or create anything.
// Table-valued pragma functions that only read (`pragma_table_info('ticks')`, `pragma_index_list`,
// ... the PRAGMAs of the read-only list) answer like the PRAGMA statements.
// Functions that expose the engine's internals (`fts3_tokenizer`, which returns a native pointer,
// and FTS5's debugging functions) are refused.
//
// Bounded: a progress handler stops a statement that runs past the time limit; no value may be
// longer than `max_value_bytes` (SQLITE_LIMIT_LENGTH, so `randomblob(1e9)` fails at once instead
// of running for seconds in one step the progress handler cannot interrupt; printf/format refuse
// a width or precision over it before they start, see query/bounded_printf.h); and SQLite's heap is
// capped at `heap_limit_bytes` with sqlite3_hard_heap_limit64. That cap is process-wide (SQLite
// has no per-connection one): `Open` lowers it to the option's value, never raises it, so it
// also bounds every other SQLite connection of the process (the stream, the CLEAN store), which
// normally need far less. Both failures are `QueryFailure::kTooLarge` with a message naming the
// limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "archive/local/file_archive.h"
#include "core/query_engine.h"
#include "query/archive_table.h"

struct sqlite3;

namespace stockpipe {

inline constexpr std::int64_t kMaxValueBytes = 16 << 20;    // 16 MiB, any one value
inline constexpr std::int64_t kQueryHeapBytes = 256 << 20;  // 256 MiB, SQLite's whole heap

struct SqliteQueryOptions {
  std::string data_dir;
  std::chrono::milliseconds time_limit{0};  // 0 = none
  std::int64_t max_value_bytes = kMaxValueBytes;
  std::int64_t heap_limit_bytes = kQueryHeapBytes;  // process-wide, see above; 0 = leave it
};

class SqliteQueryEngine final : public QueryEngine {
 public:
  static Result<std::unique_ptr<SqliteQueryEngine>> Open(const SqliteQueryOptions& options);
  ~SqliteQueryEngine() override;
  SqliteQueryEngine(const SqliteQueryEngine&) = delete;
  SqliteQueryEngine& operator=(const SqliteQueryEngine&) = delete;

  QueryOutcome Run(std::string_view sql, RowSink& sink) override;

  // Whether the CLEAN store was found and attached as `clean`.
  bool has_clean() const { return has_clean_; }

 private:
  explicit SqliteQueryEngine(const SqliteQueryOptions& options);
  Status Setup();
  static int Authorize(void* self, int action, const char* a, const char* b, const char* db,
                       const char* trigger);

  SqliteQueryOptions options_;
  FileArchive archive_;
  query::ScanLog log_;
  sqlite3* db_ = nullptr;
  bool has_clean_ = false;
  std::string refusal_;  // why the authorizer refused the statement being prepared
  std::chrono::steady_clock::time_point deadline_{};
};

// The SQL a Athena-style meta statement stands for (SHOW TABLES, SHOW DATABASES, DESCRIBE), or
// the statement itself.
std::string RewriteMetaStatement(std::string_view sql);

}  // namespace stockpipe
