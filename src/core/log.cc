#include "core/log.h"

#include <fmt/format.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <vector>

#include "codec/json_write.h"

namespace stockpipe::log {
namespace {

constexpr std::string_view kRedacted = "[redacted]";

// What every line shares, set by the program as it learns it.
struct Shared {
  std::mutex mu;
  std::string command;
  std::string request_id;
  std::vector<std::string> secrets;
  Format format = Format::text;
};

Shared& State() {
  static Shared* shared = new Shared;  // never destroyed: lines may be logged during exit
  return *shared;
}

// The fields of the line being written on this thread: spdlog in Debian 12 has no MDC, so
// `Write` hands them to the formatter this way (a synchronous logger formats on the caller).
thread_local const std::span<const Field>* t_fields = nullptr;

struct Context {
  std::string command, request_id;
  std::vector<std::string> secrets;
};

Context Snapshot() {
  Shared& s = State();
  std::lock_guard lock(s.mu);
  return {s.command, s.request_id, s.secrets};
}

std::string Scrub(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const std::string& secret : secrets) {
    for (std::size_t at = out.find(secret); at != std::string::npos;
         at = out.find(secret, at + kRedacted.size())) {
      out.replace(at, secret.size(), kRedacted);
    }
  }
  return out;
}

void AppendTimestamp(std::int64_t unix_ms, std::string& out) {
  std::int64_t seconds = unix_ms / 1000, millis = unix_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    seconds -= 1;
  }
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 millis);
}

std::string_view LevelName(Format format, Level level) {
  constexpr std::string_view kText[] = {"debug", "info", "warning", "error"};
  constexpr std::string_view kJson[] = {"debug", "info", "warn", "error"};
  constexpr std::string_view kLambda[] = {"DEBUG", "INFO", "WARN", "ERROR"};
  const auto i = static_cast<std::size_t>(level);
  switch (format) {
    case Format::json:
      return kJson[i];
    case Format::lambda_json:
      return kLambda[i];
    default:
      return kText[i];
  }
}

// logfmt-style: bare when unambiguous, else quoted with `"` and `\` escaped.
void AppendTextValue(std::string_view text, std::string& out) {
  const bool bare = !text.empty() && text.find_first_of(" \"=\\\t\r\n") == std::string_view::npos;
  if (bare) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  out += '"';
}

void AppendValue(const Field::Value& value, bool json, const Context& context, std::string& out) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string_view>) {
          const std::string clean = Scrub(v, context.secrets);
          json ? AppendJsonString(clean, out) : AppendTextValue(clean, out);
        } else if constexpr (std::is_same_v<V, bool>) {
          out += v ? "true" : "false";
        } else if constexpr (std::is_same_v<V, double>) {
          // JSON has no NaN or infinity: those become null there.
          if (json && !std::isfinite(v)) {
            out += "null";
          } else {
            AppendShortestDouble(v, out);
          }
        } else {
          fmt::format_to(std::back_inserter(out), "{}", v);
        }
      },
      value);
}

void AppendJsonMember(std::string_view key, std::string_view text, std::string& out) {
  out += ',';
  AppendJsonString(key, out);
  out += ':';
  AppendJsonString(text, out);
}

// Renders one line; `colour_begin/end` mark the level (text format) for the colour sink.
std::string RenderLine(Format format, Level level, std::int64_t unix_ms, std::string_view msg,
                       std::span<const Field> fields, const Context& context,
                       std::size_t* colour_begin, std::size_t* colour_end) {
  std::string out;
  const std::string clean_msg = Scrub(msg, context.secrets);
  const bool json = format == Format::json || format == Format::lambda_json;
  if (format == Format::json || format == Format::lambda_json) {
    const bool lambda = format == Format::lambda_json;
    out += lambda ? "{\"timestamp\":\"" : "{\"ts\":\"";
    AppendTimestamp(unix_ms, out);
    out += '"';
    AppendJsonMember("level", LevelName(format, level), out);
    AppendJsonMember(lambda ? "message" : "msg", clean_msg, out);
    if (lambda && !context.request_id.empty()) {
      AppendJsonMember("requestId", context.request_id, out);
    }
    if (!context.command.empty()) AppendJsonMember("command", context.command, out);
  } else {
    if (format == Format::text) {
      AppendTimestamp(unix_ms, out);
      out += ' ';
    } else {
      out += '[';
    }
    *colour_begin = out.size();
    out += LevelName(format, level);
    *colour_end = out.size();
    out += format == Format::text ? " " : "] ";
    out += clean_msg;
  }
  for (const Field& field : fields) {
    if (json) {
      out += ',';
      AppendJsonString(field.key, out);
      out += ':';
    } else {
      out += ' ';
      out += field.key;
      out += '=';
    }
    AppendValue(field.value, json, context, out);
  }
  if (json) out += '}';
  return out;
}

Level FromSpdlog(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return Level::debug;
    case spdlog::level::info:
      return Level::info;
    case spdlog::level::warn:
      return Level::warn;
    default:
      return Level::error;
  }
}

spdlog::level::level_enum ToSpdlog(Level level) {
  constexpr spdlog::level::level_enum kLevels[] = {spdlog::level::debug, spdlog::level::info,
                                                   spdlog::level::warn, spdlog::level::err};
  return kLevels[static_cast<std::size_t>(level)];
}

class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(Format format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    std::size_t begin = 0, end = 0;
    const std::string line =
        RenderLine(format_, FromSpdlog(msg.level), ms,
                   std::string_view(msg.payload.data(), msg.payload.size()),
                   t_fields ? *t_fields : std::span<const Field>{}, Snapshot(), &begin, &end);
    msg.color_range_start = begin;
    msg.color_range_end = end;
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  Format format_;
};

}  // namespace

Result<Format> ParseFormat(std::string_view name) {
  if (name == "text") return Format::text;
  if (name == "json") return Format::json;
  return Status::Error(fmt::format("must be text or json, got \"{}\"", name));
}

bool ColourAllowed(int fd) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  return ::isatty(fd) == 1;
}

void Configure(Format format, bool colour) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  const bool coloured = colour && format == Format::text && ColourAllowed(STDERR_FILENO);
  sink->set_color_mode(coloured ? spdlog::color_mode::automatic : spdlog::color_mode::never);
  sink->set_formatter(std::make_unique<LineFormatter>(format));
  auto logger = std::make_shared<spdlog::logger>("stockpipe", std::move(sink));
  auto previous = spdlog::default_logger();
  logger->set_level(previous ? previous->level() : spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
  Shared& s = State();
  std::lock_guard lock(s.mu);
  s.format = format;
}

Format CurrentFormat() {
  Shared& s = State();
  std::lock_guard lock(s.mu);
  return s.format;
}

void SetCommand(std::string_view command) {
  Shared& s = State();
  std::lock_guard lock(s.mu);
  s.command = std::string(command);
}

void SetRequestId(std::string_view request_id) {
  Shared& s = State();
  std::lock_guard lock(s.mu);
  s.request_id = std::string(request_id);
}

void RegisterSecret(std::string_view secret) {
  if (secret.size() < 4) return;
  Shared& s = State();
  std::lock_guard lock(s.mu);
  for (const std::string& known : s.secrets) {
    if (known == secret) return;
  }
  s.secrets.emplace_back(secret);
  // Longest first: a secret that contains another is blanked whole.
  std::sort(s.secrets.begin(), s.secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void Write(Level level, std::string_view msg, std::span<const Field> fields) {
  spdlog::logger* logger = spdlog::default_logger_raw();
  const auto spd = ToSpdlog(level);
  if (!logger->should_log(spd)) return;
  t_fields = &fields;
  logger->log(spd, spdlog::string_view_t(msg.data(), msg.size()));
  t_fields = nullptr;
}

std::string Render(Format format, Level level, std::int64_t unix_ms, std::string_view msg,
                   std::span<const Field> fields) {
  std::size_t begin = 0, end = 0;
  return RenderLine(format, level, unix_ms, msg, fields, Snapshot(), &begin, &end);
}

}  // namespace stockpipe::log
