#include "query/sqlite_query_engine.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <regex>

#include "query/bounded_printf.h"
#include "sqlite/database.h"
#include "store/sqlite/ticks_table.h"

namespace stockpipe {
namespace {

// PRAGMAs that only describe the schema, whatever their argument.
constexpr std::array<std::string_view, 13> kReadOnlyPragmas = {
    "table_info",     "table_xinfo",     "table_list",      "index_list",  "index_info",
    "index_xinfo",    "database_list",   "function_list",   "module_list", "pragma_list",
    "collation_list", "compile_options", "foreign_key_list"};

// Functions that hand out the engine's internals: fts3_tokenizer('simple') returns the address of
// a C structure (with SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER off it can no longer register one,
// but the one-argument form still reads), the fts5_* ones decode FTS5's private records.
constexpr std::array<std::string_view, 4> kInternalFunctions = {"fts3_tokenizer", "fts5_decode",
                                                                "fts5_decode_none", "fts5_rowid"};

std::string ReadOnlyRefusal(std::string_view what) {
  return fmt::format("refused: the query engine is read-only; {} is not allowed", what);
}

std::string MiB(std::int64_t bytes) {
  return fmt::format("{} MiB", bytes >> 20);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// What an authorizer action would do, for the refusal message.
std::string Describe(int action, const char* a, const char* b) {
  const std::string x = a ? a : "", y = b ? b : "";
  switch (action) {
    case SQLITE_INSERT:
      return fmt::format("INSERT into {}", x);
    case SQLITE_UPDATE:
      return fmt::format("UPDATE of {}.{}", x, y);
    case SQLITE_DELETE:
      return fmt::format("DELETE from {}", x);
    case SQLITE_ATTACH:
      return "ATTACH";
    case SQLITE_DETACH:
      return "DETACH";
    case SQLITE_PRAGMA:
      return y.empty() ? fmt::format("PRAGMA {}", x) : fmt::format("PRAGMA {} = {}", x, y);
    case SQLITE_FUNCTION:
      return fmt::format("the function {}()", y);
    case SQLITE_ALTER_TABLE:
      return fmt::format("ALTER TABLE {}", y);
    case SQLITE_ANALYZE:
      return "ANALYZE";
    case SQLITE_REINDEX:
      return "REINDEX";
    case SQLITE_CREATE_VTABLE:
      return fmt::format("CREATE VIRTUAL TABLE {}", x);
    case SQLITE_DROP_VTABLE:
      return fmt::format("DROP VIRTUAL TABLE {}", x);
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
      return fmt::format("CREATE {}", x);
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
      return fmt::format("DROP {}", x);
    default:
      return fmt::format("statement kind {}", action);
  }
}

// "at line 2, column 7" plus the line and a caret under the column.
std::string Position(std::string_view sql, int offset) {
  if (offset < 0 || static_cast<std::size_t>(offset) > sql.size()) return {};
  const auto at = static_cast<std::size_t>(offset);
  const std::size_t line_start = sql.rfind('\n', at == 0 ? 0 : at - 1);
  const std::size_t begin = line_start == std::string_view::npos || at == 0 ? 0 : line_start + 1;
  const std::size_t end = std::min(sql.find('\n', at), sql.size());
  const long line = 1 + std::count(sql.begin(), sql.begin() + static_cast<long>(at), '\n');
  const std::size_t column = at - begin + 1;
  return fmt::format(" at line {}, column {} (offset {})\n  {}\n  {}^", line, column, offset,
                     sql.substr(begin, end - begin), std::string(column - 1, ' '));
}

int OnProgress(void* deadline) {
  const auto& d = *static_cast<std::chrono::steady_clock::time_point*>(deadline);
  return std::chrono::steady_clock::now() > d ? 1 : 0;
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s.front()))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

std::string RewriteMetaStatement(std::string_view sql) {
  static const std::regex show_tables(R"(^\s*SHOW\s+TABLES(?:\s+(?:IN|FROM)\s+(\w+))?\s*;?\s*$)",
                                      std::regex::icase);
  static const std::regex show_databases(R"(^\s*SHOW\s+(?:DATABASES|SCHEMAS)\s*;?\s*$)",
                                         std::regex::icase);
  static const std::regex describe(R"(^\s*(?:DESCRIBE|DESC)\s+(?:(\w+)\.)?(\w+)\s*;?\s*$)",
                                   std::regex::icase);
  const std::string text(sql);
  std::smatch m;
  if (std::regex_match(text, m, show_tables)) {
    // sqlite_* is SQLite's own, stockpipe_identity the data folder's stamp (store/data_folder.h).
    std::string where =
        "type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "AND name <> 'stockpipe_identity'";
    if (m[1].matched) where += fmt::format(" AND database = '{}'", Lower(m[1].str()));
    // Only the attached databases exist: list them from pragma_database_list.
    return fmt::format(
        "SELECT name AS tab_name, database FROM ("
        "SELECT 'stock_raw_db' AS database, name, type FROM stock_raw_db.sqlite_schema "
        "UNION ALL SELECT 'clean', name, type FROM clean.sqlite_schema) "
        "WHERE {} ORDER BY database DESC, name",
        where);
  }
  // Table-valued pragma functions go through the authorizer as schema updates; the PRAGMA
  // statements themselves are on the read-only list.
  if (std::regex_match(text, m, show_databases)) return "PRAGMA database_list";
  if (std::regex_match(text, m, describe) && IsIdentifier(m[2].str()) &&
      (!m[1].matched || IsIdentifier(m[1].str()))) {
    return m[1].matched ? fmt::format("PRAGMA {}.table_xinfo({})", m[1].str(), m[2].str())
                        : fmt::format("PRAGMA table_xinfo({})", m[2].str());
  }
  return text;
}

SqliteQueryEngine::SqliteQueryEngine(const SqliteQueryOptions& options)
    : options_(options), archive_(options.data_dir) {}

SqliteQueryEngine::~SqliteQueryEngine() {
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<SqliteQueryEngine>> SqliteQueryEngine::Open(
    const SqliteQueryOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_directory(options.data_dir, ec)) {
    return Status::Error(fmt::format("data folder {} does not exist", options.data_dir));
  }
  if (options.heap_limit_bytes > 0) {
    const std::int64_t now = sqlite3_hard_heap_limit64(-1);
    if (now == 0 || now > options.heap_limit_bytes) {
      sqlite3_hard_heap_limit64(options.heap_limit_bytes);
    }
  }
  std::unique_ptr<SqliteQueryEngine> engine(new SqliteQueryEngine(options));
  if (Status s = engine->Setup(); !s.ok()) return s;
  return engine;
}

Status SqliteQueryEngine::Setup() {
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(":memory:", &db_, flags, nullptr) != SQLITE_OK) {
    return Status::Error(fmt::format("query engine: cannot open SQLite: {}",
                                     db_ ? sqlite3_errmsg(db_) : "out of memory"));
  }
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, nullptr);
  sqlite3_busy_timeout(db_, 5'000);
  if (Status s = query::RegisterArchiveModule(db_, archive_, log_); !s.ok()) return s;
  if (Status s = RegisterTicksTable(db_); !s.ok()) return s;
  const auto exec = [this](const std::string& sql) -> Status {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK) return Status::Ok();
    Status s = Status::Error(fmt::format("query engine setup: {} (in \"{}\")",
                                         error ? error : sqlite3_errmsg(db_), sql));
    sqlite3_free(error);
    return s;
  };
  for (const char* sql :
       {"ATTACH ':memory:' AS stock_raw_db",
        "CREATE VIRTUAL TABLE stock_raw_db.raw USING stockpipe_archive(raw)",
        "CREATE VIRTUAL TABLE stock_raw_db.rejected USING stockpipe_archive(rejected)"}) {
    if (Status s = exec(sql); !s.ok()) return s;
  }
  const std::filesystem::path clean = std::filesystem::path(options_.data_dir) / "clean.db";
  std::error_code ec;
  if (std::filesystem::exists(clean, ec)) {
    // Read-only whatever the folder's permissions, and leaving no -wal/-shm behind.
    const std::string uri = sqlite::ReadOnlyUri(clean.string());
    sqlite3_stmt* attach = nullptr;
    sqlite3_prepare_v2(db_, "ATTACH ?1 AS clean", -1, &attach, nullptr);
    sqlite3_bind_text(attach, 1, uri.c_str(), -1, SQLITE_TRANSIENT);
    const int rc = sqlite3_step(attach);
    sqlite3_finalize(attach);
    if (rc != SQLITE_DONE) {
      return Status::Error(fmt::format("query engine: cannot attach the CLEAN store {}: {}",
                                       clean.string(), sqlite3_errmsg(db_)));
    }
    has_clean_ = true;
  } else {
    // Keep the names resolvable so `SHOW TABLES`, `clean.ticks` and `clean.candles` give an
    // answer, not an error: empty, with the columns of store/sqlite/sqlite_clean_store.h.
    for (const char* sql :
         {"ATTACH ':memory:' AS clean",
          "CREATE TABLE clean.ticks(symbol TEXT NOT NULL, timestamp TEXT NOT NULL, "
          "price REAL NOT NULL, volume REAL, open REAL, high REAL, low REAL, "
          "PRIMARY KEY (symbol, timestamp))",
          "CREATE TABLE clean.candles(symbol TEXT, interval TEXT, start TEXT, open REAL, "
          "high REAL, low REAL, close REAL, volume REAL, ticks INTEGER)"}) {
      if (Status s = exec(sql); !s.ok()) return s;
    }
  }
  // From here on nothing more can be attached, and every statement passes the authorizer.
  sqlite3_limit(db_, SQLITE_LIMIT_ATTACHED, 0);
  if (options_.max_value_bytes > 0) {
    sqlite3_limit(db_, SQLITE_LIMIT_LENGTH,
                  static_cast<int>(std::min<std::int64_t>(options_.max_value_bytes, INT32_MAX)));
    if (Status s = query::RegisterBoundedPrintf(db_, options_.max_value_bytes); !s.ok()) return s;
  }
  sqlite3_set_authorizer(db_, &SqliteQueryEngine::Authorize, this);
  return Status::Ok();
}

int SqliteQueryEngine::Authorize(void* self, int action, const char* a, const char* b,
                                 const char* db, const char*) {
  auto* engine = static_cast<SqliteQueryEngine*>(self);
  switch (action) {
    case SQLITE_UPDATE:
      // The first use of an eponymous virtual table (`pragma_table_info`, `json_each`) on a
      // connection makes SQLite authorize an internal UPDATE of main.sqlite_master's columns
      // while it connects the table; nothing is written. `main` is this engine's empty in-memory
      // scratch database, DEFENSIVE mode refuses any statement that writes sqlite_master ("may
      // not be modified"), and Run refuses every statement sqlite3_stmt_readonly calls a write.
      if (a && db && Lower(a) == "sqlite_master" && std::string_view(db) == "main") {
        return SQLITE_OK;
      }
      break;
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
      return SQLITE_OK;
    case SQLITE_FUNCTION: {
      const std::string name = b ? Lower(b) : "";
      if (std::find(kInternalFunctions.begin(), kInternalFunctions.end(), name) !=
          kInternalFunctions.end()) {
        if (engine->refusal_.empty()) {
          engine->refusal_ =
              fmt::format("refused: {}() exposes the engine's internals and is off", name);
        }
        return SQLITE_DENY;
      }
      if (!name.empty() && name != "load_extension") return SQLITE_OK;
      break;
    }
    case SQLITE_PRAGMA:
      if (a && std::find(kReadOnlyPragmas.begin(), kReadOnlyPragmas.end(), Lower(a)) !=
                   kReadOnlyPragmas.end()) {
        return SQLITE_OK;
      }
      break;
    default:
      break;
  }
  if (engine->refusal_.empty()) engine->refusal_ = ReadOnlyRefusal(Describe(action, a, b));
  return SQLITE_DENY;
}

QueryOutcome SqliteQueryEngine::Run(std::string_view sql_in, RowSink& sink) {
  QueryOutcome outcome;
  const auto started = std::chrono::steady_clock::now();
  log_.Clear();
  refusal_.clear();
  const auto fail = [&](QueryFailure failure, std::string message) {
    outcome.failure = failure;
    outcome.status = Status::Error(std::move(message));
  };
  const std::string sql = RewriteMetaStatement(sql_in);

  sqlite3_stmt* raw_stmt = nullptr;
  const char* tail = nullptr;
  const int prepared =
      sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &raw_stmt, &tail);
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw_stmt, &sqlite3_finalize);
  if (prepared != SQLITE_OK) {
    // SQLite refuses a write to the archive's virtual tables (they have no xUpdate) before the
    // authorizer sees it, as "table raw may not be modified": a refusal, not a mistake in the SQL.
    const std::string_view error = sqlite3_errmsg(db_);
    constexpr std::string_view kTable = "table ", kNotModified = " may not be modified";
    if (refusal_.empty() && error.starts_with(kTable) && error.ends_with(kNotModified)) {
      refusal_ = ReadOnlyRefusal(fmt::format(
          "writing to {}",
          error.substr(kTable.size(), error.size() - kTable.size() - kNotModified.size())));
    }
    if (!refusal_.empty()) {
      fail(QueryFailure::kRefused, refusal_);
    } else {
      fail(QueryFailure::kInvalid,
           fmt::format("{}{}", sqlite3_errmsg(db_), Position(sql, sqlite3_error_offset(db_))));
    }
    return outcome;
  }
  if (!stmt) {
    fail(QueryFailure::kInvalid, "the query is empty");
    return outcome;
  }
  // One statement per query: a second one would run unseen.
  {
    sqlite3_stmt* next = nullptr;
    const char* rest = tail;
    const int rc = sqlite3_prepare_v2(db_, rest, static_cast<int>(sql.data() + sql.size() - rest),
                                      &next, nullptr);
    const bool more = next != nullptr || rc != SQLITE_OK;
    sqlite3_finalize(next);
    if (more) {
      fail(QueryFailure::kInvalid, fmt::format("one statement per query; more SQL follows{}",
                                               Position(sql, static_cast<int>(rest - sql.data()))));
      return outcome;
    }
    refusal_.clear();
  }
  if (!sqlite3_stmt_readonly(stmt.get())) {
    fail(QueryFailure::kRefused,
         "refused: the query engine is read-only; this statement would write");
    return outcome;
  }

  const int columns = sqlite3_column_count(stmt.get());
  std::vector<std::string> names;
  for (int i = 0; i < columns; ++i) {
    const char* name = sqlite3_column_name(stmt.get(), i);
    names.emplace_back(name ? name : "");
  }
  if (Status s = sink.Columns(names); !s.ok()) {
    fail(QueryFailure::kFailed, s.message());
    return outcome;
  }

  if (options_.time_limit.count() > 0) {
    deadline_ = started + options_.time_limit;
    log_.deadline = deadline_;
    sqlite3_progress_handler(db_, 10'000, &OnProgress, &deadline_);
  }
  std::vector<Cell> cells(static_cast<std::size_t>(columns));
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    for (int i = 0; i < columns; ++i) {
      Cell& cell = cells[static_cast<std::size_t>(i)];
      switch (sqlite3_column_type(stmt.get(), i)) {
        case SQLITE_INTEGER:
          cell.type = Cell::Type::kInteger;
          cell.integer = sqlite3_column_int64(stmt.get(), i);
          break;
        case SQLITE_FLOAT:
          cell.type = Cell::Type::kReal;
          cell.real = sqlite3_column_double(stmt.get(), i);
          break;
        case SQLITE_NULL:
          cell.type = Cell::Type::kNull;
          break;
        case SQLITE_BLOB: {
          const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt.get(), i));
          cell.type = Cell::Type::kText;
          cell.text = std::string_view(
              p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), i)));
          break;
        }
        default: {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), i));
          cell.type = Cell::Type::kText;
          cell.text = std::string_view(
              p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), i)));
          break;
        }
      }
    }
    ++outcome.stats.rows;
    if (Status s = sink.Row(cells); !s.ok()) {
      fail(QueryFailure::kFailed, s.message());
      rc = SQLITE_DONE;
      break;
    }
  }
  sqlite3_progress_handler(db_, 0, nullptr, nullptr);
  if (rc == SQLITE_INTERRUPT) {
    fail(QueryFailure::kTimedOut,
         fmt::format("the query ran longer than the limit of {:.1f} s and was stopped",
                     static_cast<double>(options_.time_limit.count()) / 1000.0));
  } else if (rc != SQLITE_DONE && !refusal_.empty()) {
    // A table-valued pragma prepares its PRAGMA when it runs: a refused one fails the step.
    fail(QueryFailure::kRefused, refusal_);
  } else if ((rc & 0xFF) == SQLITE_TOOBIG) {
    fail(QueryFailure::kTooLarge,
         fmt::format("a value is over the {} limit for one value ({}); select less, e.g. "
                     "substr(x, 1, 1000)",
                     MiB(options_.max_value_bytes), sqlite3_errmsg(db_)));
  } else if ((rc & 0xFF) == SQLITE_NOMEM) {
    fail(QueryFailure::kTooLarge,
         fmt::format("the query needs more memory than the {} SQLite may use and was stopped "
                     "({}); select fewer or smaller values",
                     MiB(sqlite3_hard_heap_limit64(-1)), sqlite3_errmsg(db_)));
  } else if (rc != SQLITE_DONE) {
    fail(QueryFailure::kFailed, sqlite3_errmsg(db_));
  }
  stmt.reset();  // closes the cursors: their helper threads are done before the log is read
  outcome.stats.objects_opened = log_.objects;
  outcome.stats.bytes_scanned = log_.bytes;
  outcome.stats.records_scanned = log_.records;
  outcome.stats.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return outcome;
}

}  // namespace stockpipe
