// Logging: one call site gives a message and typed fields once; the process's log format renders
// them, one line per call on stderr.
//
//   log::Info("ingest batch", {{"shard", shard}, {"records", n}, {"duration_ms", ms}});
//
// Formats (chosen once at start, `Configure`):
//   text         `2026-12-06T23:40:01.123Z info ingest batch shard=shard-0000 records=20000`
//                (UTC with a `Z`; the level coloured only on a terminal and without NO_COLOR)
//   json         `{"ts":"2026-12-06T23:40:01.123Z","level":"info","msg":"ingest batch",
//                  "command":"ingest","shard":"shard-0000","records":20000}` (STOCKPIPE_LOG_FORMAT
//                or `[log] format`); `command` is on every line once `SetCommand` named it
//   lambda_text  `[info] ingest batch records=20000` (CloudWatch adds the time)
//   lambda_json  AWS Lambda's JSON log shape (AWS_LAMBDA_LOG_FORMAT=JSON): `timestamp`, `level`
//                (INFO, WARN...), `message`, `requestId` while an invocation is handled, the fields
//
// Lines logged with spdlog directly go through the same formatter (without fields), so the whole
// process speaks one format. Every line is valid JSON in the JSON formats whatever the bytes
// (invalid UTF-8 becomes U+FFFD). Secrets: a value given to `RegisterSecret` is replaced by
// `[redacted]` wherever it would appear, as a last line of defence behind call sites that never
// log one. All functions are thread-safe; a line is written whole.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.h"

namespace stockpipe::log {

enum class Format { text, json, lambda_text, lambda_json };

// "text" or "json" (the user-facing names of STOCKPIPE_LOG_FORMAT and `[log] format`).
inline constexpr std::string_view kFormats[] = {"text", "json"};
Result<Format> ParseFormat(std::string_view name);

// Installs the stderr logger as spdlog's default, in `format`. `colour` asks for a coloured level
// in the text format; it is granted only when stderr is a terminal and NO_COLOR is unset or empty
// (https://no-color.org). May be called again (after the configuration is read).
void Configure(Format format, bool colour = true);

// The format `Configure` installed last (text before any call).
Format CurrentFormat();

// Whether colour is allowed at all: NO_COLOR unset or empty and `fd` a terminal.
bool ColourAllowed(int fd);

// The `command` field of every line from now on ("ingest", "produce synthetic").
void SetCommand(std::string_view command);
// The `requestId` of the Lambda JSON shape; empty between invocations.
void SetRequestId(std::string_view request_id);
// Never shown in a log line from now on. Values shorter than 4 bytes are ignored (they would
// blank out ordinary words).
void RegisterSecret(std::string_view secret);

// One typed field of a line. Text values are copied into the line before the call returns.
struct Field {
  using Value = std::variant<std::int64_t, std::uint64_t, double, bool, std::string_view>;
  std::string_view key;
  Value value;

  template <std::integral T>
  requires(!std::same_as<T, bool>) Field(std::string_view k, T v)
      : key(k),
        value(std::is_signed_v<T> ? Value(static_cast<std::int64_t>(v))
                                  : Value(static_cast<std::uint64_t>(v))) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
};
using Fields = std::initializer_list<Field>;

enum class Level { debug, info, warn, error };
// `fields` built at run time (e.g. one per reject reason); the braced forms below otherwise.
void Write(Level level, std::string_view msg, std::span<const Field> fields);
inline void Write(Level level, std::string_view msg, Fields fields = {}) {
  Write(level, msg, std::span<const Field>(fields.begin(), fields.size()));
}
inline void Debug(std::string_view msg, Fields fields = {}) {
  Write(Level::debug, msg, fields);
}
inline void Info(std::string_view msg, Fields fields = {}) {
  Write(Level::info, msg, fields);
}
inline void Warn(std::string_view msg, Fields fields = {}) {
  Write(Level::warn, msg, fields);
}
inline void Error(std::string_view msg, Fields fields = {}) {
  Write(Level::error, msg, fields);
}

// One line as the format renders it, without the trailing newline; `unix_ms` is the time of
// the line. What `Write` prints, exposed for tests of the rendering itself.
std::string Render(Format format, Level level, std::int64_t unix_ms, std::string_view msg,
                   std::span<const Field> fields);
inline std::string Render(Format format, Level level, std::int64_t unix_ms, std::string_view msg,
                          Fields fields) {
  return Render(format, level, unix_ms, msg, std::span<const Field>(fields.begin(), fields.size()));
}

}  // namespace stockpipe::log
