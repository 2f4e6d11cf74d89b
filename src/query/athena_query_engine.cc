#include "query/athena_query_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <thread>
#include <vector>

namespace stockpipe {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kTarget = "AmazonAthena";
constexpr int kMaxResults = 1000;  // the most GetQueryResults returns per page

// Trino's names for errors found while parsing or analysing the statement: the SQL is wrong, not
// the data or the service. Athena puts them in front of StateChangeReason.
constexpr std::array<std::string_view, 27> kInvalidCodes = {"SYNTAX_ERROR",
                                                            "TABLE_NOT_FOUND",
                                                            "COLUMN_NOT_FOUND",
                                                            "SCHEMA_NOT_FOUND",
                                                            "CATALOG_NOT_FOUND",
                                                            "FUNCTION_NOT_FOUND",
                                                            "TYPE_MISMATCH",
                                                            "AMBIGUOUS_NAME",
                                                            "INVALID_COLUMN_REFERENCE",
                                                            "MISSING_GROUP_BY",
                                                            "EXPRESSION_NOT_AGGREGATE",
                                                            "EXPRESSION_NOT_CONSTANT",
                                                            "EXPRESSION_NOT_SCALAR",
                                                            "INVALID_LITERAL",
                                                            "NOT_SUPPORTED",
                                                            "DUPLICATE_COLUMN_NAME",
                                                            "MISMATCHED_COLUMN_ALIASES",
                                                            "MISSING_COLUMN_NAME",
                                                            "NESTED_AGGREGATION",
                                                            "NESTED_WINDOW",
                                                            "INVALID_WINDOW_FRAME",
                                                            "COLUMN_TYPE_UNKNOWN",
                                                            "INVALID_PARAMETER_USAGE",
                                                            "INVALID_ORDER_BY",
                                                            "VIEW_IS_STALE",
                                                            "INVALID_VIEW",
                                                            "FUNCTION_IMPLEMENTATION_MISSING"};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "line 2, column 7" plus the line and a caret under the column (1-based, as Athena counts).
std::string Excerpt(std::string_view sql, long line, long column) {
  std::size_t begin = 0;
  for (long l = 1; l < line; ++l) {
    begin = sql.find('\n', begin);
    if (begin == std::string_view::npos) return {};
    ++begin;
  }
  const std::size_t end = std::min(sql.find('\n', begin), sql.size());
  const std::string_view text = sql.substr(begin, end - begin);
  if (column < 1 || static_cast<std::size_t>(column) > text.size() + 1) return {};
  return fmt::format("\n  {}\n  {}^", text, std::string(static_cast<std::size_t>(column - 1), ' '));
}

std::string Position(std::string_view sql, std::size_t offset) {
  const long line = 1 + std::count(sql.begin(), sql.begin() + static_cast<long>(offset), '\n');
  const std::size_t newline = offset == 0 ? std::string_view::npos : sql.rfind('\n', offset - 1);
  const long column =
      static_cast<long>(offset - (newline == std::string_view::npos ? 0 : newline + 1)) + 1;
  return fmt::format(" at line {}, column {}{}", line, column, Excerpt(sql, line, column));
}

// Whitespace and comments from `at` on; returns the first position that is neither.
std::size_t SkipBlank(std::string_view s, std::size_t at) {
  while (at < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[at]))) {
      ++at;
    } else if (s.substr(at, 2) == "--") {
      at = s.find('\n', at);
      if (at == std::string_view::npos) return s.size();
    } else if (s.substr(at, 2) == "/*") {
      at = s.find("*/", at + 2);
      if (at == std::string_view::npos) return s.size();
      at += 2;
    } else {
      break;
    }
  }
  return at;
}

// The first `;` outside literals, quoted names and comments, or npos.
std::size_t StatementEnd(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '\'' || c == '"' || c == '`') {
      // A doubled quote inside stays inside.
      std::size_t j = i + 1;
      for (;;) {
        j = s.find(c, j);
        if (j == std::string_view::npos) return j;
        if (j + 1 < s.size() && s[j + 1] == c) {
          j += 2;
          continue;
        }
        break;
      }
      i = j + 1;
    } else if (s.substr(i, 2) == "--" || s.substr(i, 2) == "/*") {
      i = SkipBlank(s, i);
    } else if (c == ';') {
      return i;
    } else {
      ++i;
    }
  }
  return std::string_view::npos;
}

// The keyword at `at` (letters, digits, `_`), upper-cased; `at` moves past it and what follows.
std::string Keyword(std::string_view s, std::size_t& at) {
  const std::size_t begin = at;
  while (at < s.size() && (std::isalnum(static_cast<unsigned char>(s[at])) || s[at] == '_')) ++at;
  std::string word = Upper(s.substr(begin, at - begin));
  at = SkipBlank(s, at);
  return word;
}

// The statement kind that decides, after any `(` and `EXPLAIN [ANALYZE] [VERBOSE] [(options)]`.
std::string DecidingKeyword(std::string_view s) {
  std::size_t at = SkipBlank(s, 0);
  for (;;) {
    while (at < s.size() && s[at] == '(') at = SkipBlank(s, at + 1);
    std::string word = Keyword(s, at);
    if (word != "EXPLAIN") return word;
    std::size_t next = at;
    std::string option = Keyword(s, next);
    if (option == "ANALYZE") {
      at = next;
      next = at;
      option = Keyword(s, next);
    }
    if (option == "VERBOSE") at = next;
    if (at < s.size() && s[at] == '(') {
      std::size_t inner = SkipBlank(s, at + 1);
      const std::string first = Keyword(s, inner);
      if (first == "FORMAT" || first == "TYPE") {
        const std::size_t close = s.find(')', at);
        if (close == std::string_view::npos) return {};
        at = SkipBlank(s, close + 1);
      }
    }
  }
}

// A random (version 4) UUID: 36 characters, inside the 32..128 Athena wants for a token.
std::string NewToken() {
  thread_local std::mt19937_64 random{
      std::random_device{}() ^ static_cast<std::uint64_t>(Clock::now().time_since_epoch().count())};
  std::uint64_t hi = random(), lo = random();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;
  lo = (lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF,
                     hi & 0xFFFF, lo >> 48, lo & 0xFFFFFFFFFFFFULL);
}

// Whether a FAILED query's reason says the SQL itself is wrong.
bool IsInvalidSql(std::string_view reason) {
  static const std::regex parser(R"(^(?:FAILED:\s*)?line \d+:\d+:)");
  const std::string text(reason);
  if (std::regex_search(text, parser)) return true;
  if (text.find("ParseException") != std::string::npos ||
      text.find("SemanticException") != std::string::npos) {
    return true;
  }
  return std::any_of(kInvalidCodes.begin(), kInvalidCodes.end(), [&](std::string_view code) {
    return text.starts_with(code) && text.size() > code.size() && text[code.size()] == ':';
  });
}

// Athena's "line L:C" pointed at in the SQL, when its reason has one.
std::string ReasonExcerpt(std::string_view sql, std::string_view reason) {
  static const std::regex at(R"(line (\d+):(\d+))");
  const std::string text(reason);
  std::smatch m;
  if (!std::regex_search(text, m, at)) return {};
  return Excerpt(sql, std::atol(m[1].str().c_str()), std::atol(m[2].str().c_str()));
}

// Safe reads of an answer whose shape is not trusted: a missing or mistyped field is empty.
const json& Get(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}
std::string Text(const json& j, const char* key) {
  const json& v = Get(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}
std::int64_t Number(const json& j, const char* key, std::int64_t otherwise) {
  const json& v = Get(j, key);
  return v.is_number_integer() ? v.get<std::int64_t>() : otherwise;
}

enum class Kind : std::uint8_t { kInteger, kReal, kText };

// How a column's cells are read, from ColumnInfo.Type (and Precision for decimals).
Kind KindOf(const json& column) {
  std::string type = Text(column, "Type");
  type = type.substr(0, type.find('('));
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type == "tinyint" || type == "smallint" || type == "integer" || type == "int" ||
      type == "bigint") {
    return Kind::kInteger;
  }
  if (type == "double" || type == "float" || type == "real") return Kind::kReal;
  // Up to 15 significant digits a double gives the decimal back exactly; wider ones stay text.
  if (type == "decimal") return Number(column, "Precision", 38) <= 15 ? Kind::kReal : Kind::kText;
  return Kind::kText;
}

void Fill(Kind kind, const json& datum, Cell& cell) {
  const json& value = Get(datum, "VarCharValue");
  if (!value.is_string()) {
    cell = Cell{};
    return;
  }
  const std::string& text = value.get_ref<const std::string&>();
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (kind == Kind::kInteger) {
    std::int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(begin, end, n);
    if (ec == std::errc() && ptr == end) {
      cell = Cell{Cell::Type::kInteger, n, 0, {}};
      return;
    }
  } else if (kind == Kind::kReal) {
    double d = 0;
    const auto [ptr, ec] = std::from_chars(begin, end, d);
    if (ec == std::errc() && ptr == end) {
      cell = Cell{Cell::Type::kReal, 0, d, {}};
      return;
    }
  }
  cell = Cell{Cell::Type::kText, 0, 0, text};
}

// One JSON call: the parsed answer, or the client's error (which names the operation).
Result<json> Call(aws::Client& client, std::string_view operation, const json& body) {
  // Invalid UTF-8 in the SQL is replaced rather than thrown about.
  auto answer = client.CallJson(kTarget, operation,
                                body.dump(-1, ' ', false, json::error_handler_t::replace), "1.1");
  if (!answer) return answer.status();
  json parsed = json::parse(*answer, nullptr, false);
  if (!parsed.is_object()) {
    return Status::Error(
        fmt::format("{}: Athena's answer is not a JSON object: {:.200}", operation, *answer));
  }
  return parsed;
}

}  // namespace

AthenaStatement CheckAthenaStatement(std::string_view sql) {
  AthenaStatement out;
  const std::size_t end = StatementEnd(sql);
  std::string_view body = sql.substr(0, end);
  if (end != std::string_view::npos) {
    for (std::size_t at = end + 1;;) {
      at = SkipBlank(sql, at);
      if (at >= sql.size()) break;
      if (sql[at] == ';') {
        ++at;
        continue;
      }
      out.failure = QueryFailure::kInvalid;
      out.message = "one statement per query; more SQL follows" + Position(sql, at);
      return out;
    }
  }
  while (!body.empty() && std::isspace(static_cast<unsigned char>(body.back()))) {
    body.remove_suffix(1);
  }
  if (SkipBlank(body, 0) >= body.size()) {
    out.failure = QueryFailure::kInvalid;
    out.message = "the query is empty";
    return out;
  }
  const std::string keyword = DecidingKeyword(body);
  if (keyword != "SELECT" && keyword != "WITH" && keyword != "SHOW" && keyword != "DESCRIBE") {
    out.failure = QueryFailure::kRefused;
    out.message = fmt::format(
        "refused: the query engine is read-only; {} is not allowed (only SELECT, WITH, SHOW, "
        "DESCRIBE and EXPLAIN statements are sent to Athena)",
        keyword.empty() ? "a statement that does not start with a keyword" : keyword);
    return out;
  }
  out.text = std::string(body);
  return out;
}

AthenaQueryEngine::AthenaQueryEngine(AthenaOptions options)
    : options_([&] {
        options.client.service = aws::kAthena;
        return std::move(options);
      }()),
      client_(options_.client) {}

QueryOutcome AthenaQueryEngine::Run(std::string_view sql, RowSink& sink) {
  QueryOutcome outcome;
  const auto started = Clock::now();
  const bool limited = options_.timeout_seconds > 0;
  const auto deadline =
      started + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(limited ? options_.timeout_seconds : 0));
  last_query_id_.clear();
  last_output_location_.clear();
  const auto finish = [&](QueryFailure failure, std::string message) {
    if (failure != QueryFailure::kNone) {
      outcome.failure = failure;
      outcome.status = Status::Error(std::move(message));
    }
    outcome.stats.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return outcome;
  };

  const AthenaStatement statement = CheckAthenaStatement(sql);
  if (statement.failure != QueryFailure::kNone) return finish(statement.failure, statement.message);

  // ---- start -----------------------------------------------------------------------------------
  json start = {{"QueryString", statement.text}, {"ClientRequestToken", NewToken()}};
  if (!options_.database.empty())
    start["QueryExecutionContext"] = {{"Database", options_.database}};
  if (!options_.workgroup.empty()) start["WorkGroup"] = options_.workgroup;
  if (!options_.output_location.empty()) {
    start["ResultConfiguration"] = {{"OutputLocation", options_.output_location}};
  }
  auto started_execution = Call(client_, "StartQueryExecution", start);
  if (!started_execution) {
    // Athena rejects some statements it cannot parse at once, before any execution exists.
    const bool invalid =
        started_execution.error().find("InvalidRequestException") != std::string::npos;
    return finish(invalid ? QueryFailure::kInvalid : QueryFailure::kFailed,
                  "athena: " + started_execution.error() +
                      (invalid ? ReasonExcerpt(statement.text, started_execution.error()) : ""));
  }
  const std::string id = Text(*started_execution, "QueryExecutionId");
  if (id.empty()) {
    return finish(QueryFailure::kFailed,
                  "athena: StartQueryExecution returned no QueryExecutionId");
  }
  last_query_id_ = id;
  const json by_id = {{"QueryExecutionId", id}};

  // Best effort: an execution nobody waits for any more should not run on (and scan) for nothing.
  const auto stop = [&]() -> std::string {
    auto stopped = Call(client_, "StopQueryExecution", by_id);
    return stopped ? std::string() : fmt::format("; stopping it failed too: {}", stopped.error());
  };

  // ---- wait ------------------------------------------------------------------------------------
  json execution;
  std::string state;
  for (;;) {
    auto polled = Call(client_, "GetQueryExecution", by_id);
    if (!polled) {
      const std::string message = fmt::format("athena query {}: {}", id, polled.error());
      return finish(QueryFailure::kFailed, message + stop());
    }
    execution = Get(*polled, "QueryExecution");
    state = Text(Get(execution, "Status"), "State");
    if (state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED") break;
    const auto now = Clock::now();
    if (limited && now >= deadline) {
      const std::string message = fmt::format(
          "the query ran longer than the limit of {:.1f} s and was stopped (Athena query {}, {})",
          options_.timeout_seconds, id, state.empty() ? "state unknown" : state);
      return finish(QueryFailure::kTimedOut, message + stop());
    }
    std::this_thread::sleep_for(
        limited ? std::min<Clock::duration>(options_.poll_interval, deadline - now)
                : Clock::duration(options_.poll_interval));
  }
  outcome.stats.bytes_scanned = static_cast<std::uint64_t>(
      std::max<std::int64_t>(0, Number(Get(execution, "Statistics"), "DataScannedInBytes", 0)));
  last_output_location_ = Text(Get(execution, "ResultConfiguration"), "OutputLocation");
  if (state != "SUCCEEDED") {
    const json& status = Get(execution, "Status");
    std::string reason = Text(status, "StateChangeReason");
    if (reason.empty()) reason = Text(Get(status, "AthenaError"), "ErrorMessage");
    if (reason.empty()) reason = "no reason given";
    if (state == "CANCELLED") {
      return finish(QueryFailure::kFailed,
                    fmt::format("athena query {} was cancelled: {}", id, reason));
    }
    const bool invalid = IsInvalidSql(reason);
    return finish(invalid ? QueryFailure::kInvalid : QueryFailure::kFailed,
                  fmt::format("athena query {} failed: {}{}", id, reason,
                              invalid ? ReasonExcerpt(statement.text, reason) : ""));
  }

  // ---- results ---------------------------------------------------------------------------------
  // SELECTs (StatementType DML) repeat the column labels as the first row of the first page; SHOW
  // and DESCRIBE do not, so a first row is dropped only for DML and only when it is the labels.
  const bool header_row = Text(execution, "StatementType") == "DML";
  std::vector<Kind> kinds;
  std::vector<std::string> names;
  std::vector<Cell> cells;
  std::string token;
  for (bool first_page = true;; first_page = false) {
    json request = {{"QueryExecutionId", id}, {"MaxResults", kMaxResults}};
    if (!token.empty()) request["NextToken"] = token;
    auto page = Call(client_, "GetQueryResults", request);
    if (!page) {
      return finish(QueryFailure::kFailed, fmt::format("athena query {}: {}", id, page.error()));
    }
    const json& result_set = Get(*page, "ResultSet");
    const json& rows = Get(result_set, "Rows");
    const std::size_t row_count = rows.is_array() ? rows.size() : 0;
    std::size_t skip = 0;
    if (first_page) {
      const json& columns = Get(Get(result_set, "ResultSetMetadata"), "ColumnInfo");
      if (columns.is_array()) {
        for (const json& column : columns) {
          std::string name = Text(column, "Name");
          if (name.empty()) name = Text(column, "Label");
          names.push_back(std::move(name));
          kinds.push_back(KindOf(column));
        }
      }
      cells.resize(names.size());
      if (Status s = sink.Columns(names); !s.ok())
        return finish(QueryFailure::kFailed, s.message());
      if (header_row && row_count > 0) {
        const json& data = Get(rows[0], "Data");
        bool labels = data.is_array() && data.size() == names.size();
        for (std::size_t i = 0; labels && i < names.size(); ++i) {
          labels = Text(data[i], "VarCharValue") == names[i];
        }
        skip = labels ? 1 : 0;
      }
    }
    for (std::size_t r = skip; r < row_count; ++r) {
      const json& data = Get(rows[r], "Data");
      const std::size_t present = data.is_array() ? data.size() : 0;
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i < present) {
          Fill(kinds[i], data[i], cells[i]);
        } else {
          cells[i] = Cell{};
        }
      }
      ++outcome.stats.rows;
      if (Status s = sink.Row(cells); !s.ok()) return finish(QueryFailure::kFailed, s.message());
    }
    token = Text(*page, "NextToken");
    if (token.empty()) break;
    if (limited && Clock::now() >= deadline) {
      return finish(QueryFailure::kTimedOut,
                    fmt::format("the query ran longer than the limit of {:.1f} s while its results "
                                "were read ({} rows delivered; Athena query {} has them all)",
                                options_.timeout_seconds, outcome.stats.rows, id));
    }
  }
  return finish(QueryFailure::kNone, {});
}

}  // namespace stockpipe
