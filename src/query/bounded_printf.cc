#include "query/bounded_printf.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace stockpipe::query {
namespace {

// The largest width or precision in `format`, with `*` read from the argument it takes (as
// SQLite does: width, then precision, then the value, in order).
std::int64_t WidestField(std::string_view format, int argc, sqlite3_value** argv) {
  std::int64_t widest = 0;
  int next_arg = 0;
  const auto from_arg = [&]() -> std::int64_t {
    if (next_arg >= argc) return 0;
    return std::llabs(sqlite3_value_int64(argv[next_arg++]));
  };
  const auto number = [&](std::size_t& i) -> std::int64_t {
    std::int64_t n = 0;
    while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
      n = std::min<std::int64_t>(n * 10 + (format[i] - '0'), INT64_MAX / 20);
      ++i;
    }
    return n;
  };
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    ++i;
    while (i < format.size() &&
           std::string_view("-+ #!0,").find(format[i]) != std::string_view::npos)
      ++i;
    // A width, then a precision after '.': each written out or `*` (the next argument).
    const auto field = [&] {
      if (i < format.size() && format[i] == '*') {
        ++i;
        return from_arg();
      }
      return number(i);
    };
    widest = std::max(widest, field());
    if (i < format.size() && format[i] == '.') {
      ++i;
      widest = std::max(widest, field());
    }
    while (i < format.size() && format[i] == 'l') ++i;
    if (i < format.size() && format[i] != '%' && format[i] != 'n') ++next_arg;
  }
  return widest;
}

// SQLite's own printf, on a connection of its own: one statement per argument count.
class Formatter {
 public:
  Formatter(std::int64_t max_bytes) : max_bytes_(max_bytes) {}
  ~Formatter() {
    for (auto& [argc, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  Status Open() {
    if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      return Status::Error("query engine: cannot open SQLite for printf");
    }
    sqlite3_limit(db_, SQLITE_LIMIT_LENGTH,
                  static_cast<int>(std::min<std::int64_t>(max_bytes_, INT32_MAX)));
    return Status::Ok();
  }

  static void Call(sqlite3_context* context, int argc, sqlite3_value** argv) {
    auto* self = static_cast<Formatter*>(sqlite3_user_data(context));
    if (argc >= 1) {
      const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
      const std::string_view format =
          text ? std::string_view(text, static_cast<std::size_t>(sqlite3_value_bytes(argv[0])))
               : std::string_view();
      if (WidestField(format, argc - 1, argv + 1) > self->max_bytes_) {
        sqlite3_result_error_toobig(context);
        return;
      }
    }
    sqlite3_stmt* stmt = self->Statement(argc);
    if (stmt == nullptr) {
      sqlite3_result_error(context, sqlite3_errmsg(self->db_), -1);
      return;
    }
    for (int i = 0; i < argc; ++i) sqlite3_bind_value(stmt, i + 1, argv[i]);
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      sqlite3_result_value(context, sqlite3_column_value(stmt, 0));
    } else if ((rc & 0xFF) == SQLITE_TOOBIG) {
      sqlite3_result_error_toobig(context);
    } else if ((rc & 0xFF) == SQLITE_NOMEM) {
      sqlite3_result_error_nomem(context);
    } else {
      sqlite3_result_error(context, sqlite3_errmsg(self->db_), -1);
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }

 private:
  sqlite3_stmt* Statement(int argc) {
    auto it = statements_.find(argc);
    if (it != statements_.end()) return it->second;
    std::string sql = "SELECT printf(";
    for (int i = 1; i <= argc; ++i) sql += fmt::format("{}?{}", i > 1 ? "," : "", i);
    sql += ")";
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) return nullptr;
    statements_.emplace(argc, stmt);
    return stmt;
  }

  std::int64_t max_bytes_;
  sqlite3* db_ = nullptr;
  std::map<int, sqlite3_stmt*> statements_;
};

}  // namespace

Status RegisterBoundedPrintf(sqlite3* db, std::int64_t max_bytes) {
  auto formatter = std::make_unique<Formatter>(max_bytes);
  if (Status s = formatter->Open(); !s.ok()) return s;
  Formatter* raw = formatter.release();
  // printf's registration owns the formatter (freed when the connection closes); format shares it.
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  if (sqlite3_create_function_v2(db, "printf", -1, flags, raw, &Formatter::Call, nullptr, nullptr,
                                 [](void* p) { delete static_cast<Formatter*>(p); }) != SQLITE_OK ||
      sqlite3_create_function_v2(db, "format", -1, flags, raw, &Formatter::Call, nullptr, nullptr,
                                 nullptr) != SQLITE_OK) {
    return Status::Error(
        fmt::format("query engine: cannot register printf: {}", sqlite3_errmsg(db)));
  }
  return Status::Ok();
}

}  // namespace stockpipe::query
