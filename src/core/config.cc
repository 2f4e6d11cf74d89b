#include "core/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>

namespace stockpipe {
namespace {

constexpr Micros kSecond = 1'000'000;

template <typename T>
bool ParseNumber(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool ParseBool(std::string_view text, bool& out) {
  if (text == "1" || text == "true" || text == "True" || text == "TRUE" || text == "yes") {
    out = true;
  } else if (text == "0" || text == "false" || text == "False" || text == "FALSE" || text == "no") {
    out = false;
  } else {
    return false;
  }
  return true;
}

// One setting, read the same way from TOML text values and the environment.
class Setter {
 public:
  explicit Setter(std::string& error) : error_(error) {}

  void Double(std::string_view key, std::string_view text, double& out) {
    if (!ParseNumber(text, out)) Fail(key, text, "a number");
  }
  void Int(std::string_view key, std::string_view text, int& out) {
    if (!ParseNumber(text, out)) Fail(key, text, "a whole number");
  }
  void Size(std::string_view key, std::string_view text, std::size_t& out) {
    if (!ParseNumber(text, out)) Fail(key, text, "a whole number");
  }
  void Bool(std::string_view key, std::string_view text, bool& out) {
    if (!ParseBool(text, out)) Fail(key, text, "true or false");
  }
  void Text(std::string& out, std::string_view text) { out = std::string(text); }
  void Intervals(std::string_view key, std::string_view text, std::vector<Interval>& out) {
    std::vector<std::string> texts;
    List(texts, text);
    auto intervals = ParseIntervals(texts);
    if (!intervals) {
      if (error_.empty())
        error_ = fmt::format("{} ([candles] intervals): {}", key, intervals.error());
      return;
    }
    out = *std::move(intervals);
  }
  // Comma-separated, blanks around items dropped.
  void List(std::vector<std::string>& out, std::string_view text) {
    out.clear();
    while (!text.empty()) {
      const std::size_t comma = text.find(',');
      std::string_view item = text.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (!item.empty()) out.emplace_back(item);
      if (comma == std::string_view::npos) break;
      text.remove_prefix(comma + 1);
    }
  }
  // A duration, or "never"/"none" for no limit.
  void Limit(std::string_view key, std::string_view text, std::optional<Micros>& out) {
    if (text == "never" || text == "none") {
      out.reset();
    } else if (auto d = ParseDuration(text, kSecond)) {
      out = *d;
    } else {
      Fail(key, text, "a duration like 90s, 10m or 2h, or never");
    }
  }
  void Duration(std::string_view key, std::string_view text, Micros& out, Micros unit) {
    if (auto d = ParseDuration(text, unit)) {
      out = *d;
    } else {
      Fail(key, text, "a duration like 90s, 10m or 2h");
    }
  }

 private:
  void Fail(std::string_view key, std::string_view text, std::string_view expected) {
    if (error_.empty()) error_ = fmt::format("{} must be {}, got \"{}\"", key, expected, text);
  }
  std::string& error_;
};

// Applies one key=value, whatever its source; unknown keys are ignored by the caller.
bool Apply(Config& c, std::string_view key, std::string_view v, Setter& set) {
  TrendsConfig& t = c.trends;
  if (key == "THRESH_PCT")
    set.Double(key, v, t.thresh_pct);
  else if (key == "LOOKBACK_POINTS")
    set.Int(key, v, t.lookback_points);
  else if (key == "SMA_WINDOW")
    set.Int(key, v, t.sma_window);
  else if (key == "MIN_POINTS")
    set.Int(key, v, t.min_points);
  else if (key == "EPS_PCT")
    set.Double(key, v, t.eps_pct);
  else if (key == "ALERT_LANG")
    t.lang = std::string(v);
  else if (key == "INCLUDE_JSON_FOOTER")
    set.Bool(key, v, t.include_json_footer);
  else if (key == "COOLDOWN_MIN")
    set.Duration(key, v, t.cooldown, 60 * kSecond);
  else if (key == "TRENDS_EVERY")
    set.Duration(key, v, t.every, kSecond);
  else if (key == "TRENDS_STREAMING")
    set.Bool(key, v, t.streaming);
  else if (key == "NO_DATA_AFTER")
    set.Duration(key, v, c.no_data_after, kSecond);
  else if (key == "STOCKPIPE_DATA_DIR")
    c.data_dir = std::string(v);
  else if (key == "STOCKPIPE_SHARDS")
    set.Int(key, v, c.shards);
  else if (key == "RETENTION_HOURS")
    set.Duration(key, v, c.retention, 3600 * kSecond);
  else if (key == "BATCH_RECORDS")
    set.Size(key, v, c.batch_records);
  else if (key == "BATCH_WINDOW")
    set.Duration(key, v, c.batch_window, kSecond);
  else if (key == "STOCKPIPE_STREAM")
    c.backends.stream = std::string(v);
  else if (key == "STOCKPIPE_ARCHIVE")
    c.backends.archive = std::string(v);
  else if (key == "STOCKPIPE_STORE")
    c.backends.store = std::string(v);
  else if (key == "KINESIS_STREAM")
    c.aws.kinesis_stream = std::string(v);
  else if (key == "RAW_DATA_BUCKET")
    c.aws.raw_bucket = std::string(v);
  else if (key == "DYNAMODB_TABLE")
    c.aws.dynamodb_table = std::string(v);
  else if (key == "DYNAMODB_STATE_TABLE")
    c.aws.state_table = std::string(v);
  else if (key == "DYNAMODB_CANDLES_TABLE")
    c.aws.candles_table = std::string(v);
  else if (key == "SNS_TOPIC_ARN")
    c.aws.sns_topic_arn = std::string(v);
  else if (key == "ATHENA_WORKGROUP")
    c.aws.athena_workgroup = std::string(v);
  else if (key == "ATHENA_DATABASE")
    c.aws.athena_database = std::string(v);
  else if (key == "ATHENA_OUTPUT_LOCATION")
    c.aws.athena_output = std::string(v);
  else if (key == "CANDLE_INTERVALS")
    set.Intervals(key, v, c.candles.intervals);
  else if (key == "SMTP_URL")
    set.Text(c.alerts.smtp.url, v);
  else if (key == "SMTP_FROM")
    set.Text(c.alerts.smtp.from, v);
  else if (key == "SMTP_TO")
    set.List(c.alerts.smtp.to, v);
  else if (key == "SMTP_USERNAME")
    set.Text(c.alerts.smtp.username, v);
  else if (key == "SMTP_PASSWORD")
    set.Text(c.alerts.smtp.password, v);
  else if (key == "WEBHOOK_URL")
    set.Text(c.alerts.webhook.url, v);
  else if (key == "TELEGRAM_BOT_TOKEN")
    set.Text(c.alerts.telegram.token, v);
  else if (key == "TELEGRAM_CHAT_IDS")
    set.List(c.alerts.telegram.chat_ids, v);
  else if (key == "DISCORD_WEBHOOK_URL")
    set.Text(c.alerts.discord.webhook_url, v);
  else if (key == "STOCKPIPE_HTTP")
    set.Text(c.serve.http, v);
  else if (key == "STOCKPIPE_HTTP_TOKEN")
    set.Text(c.serve.token, v);
  else if (key == "STOCKPIPE_LOG_FORMAT")
    set.Text(c.log.format, v);
  else if (key == "serve.query_timeout")
    set.Duration(key, v, c.serve.query_timeout, kSecond);
  else if (key == "serve.query_max_rows")
    set.Size(key, v, c.serve.query_max_rows);
  else if (key == "serve.read_timeout")
    set.Duration(key, v, c.serve.read_timeout, kSecond);
  else if (key == "serve.idle_timeout")
    set.Duration(key, v, c.serve.idle_timeout, kSecond);
  else if (key == "serve.write_timeout")
    set.Duration(key, v, c.serve.write_timeout, kSecond);
  else if (key == "serve.max_connections")
    set.Size(key, v, c.serve.max_connections);
  else if (key == "serve.max_connections_per_client")
    set.Size(key, v, c.serve.max_connections_per_client);
  else if (key == "serve.tls_cert")
    set.Text(c.serve.tls_cert, v);
  else if (key == "serve.tls_key")
    set.Text(c.serve.tls_key, v);
  else if (key == "serve.allow_plain_http")
    set.Bool(key, v, c.serve.allow_plain_http);
  // [alerts] keys that only the TOML file sets.
  else if (key == "alerts.console")
    set.Bool(key, v, c.alerts.console);
  else if (key == "alerts.log")
    set.Bool(key, v, c.alerts.log);
  else if (key == "alerts.retry_after")
    set.Duration(key, v, c.alerts.retry_after, kSecond);
  else if (key == "alerts.give_up_after")
    set.Limit(key, v, c.alerts.give_up_after);
  else if (key == "alerts.queue_fsync")
    set.Bool(key, v, c.alerts.queue_fsync);
  else if (key == "ingest.fsync")
    set.Bool(key, v, c.fsync);
  else if (key == "alerts.smtp.require_tls")
    set.Bool(key, v, c.alerts.smtp.require_tls);
  else if (key == "alerts.smtp.ca_bundle")
    set.Text(c.alerts.smtp.ca_bundle, v);
  else if (key == "alerts.webhook.allow_insecure")
    set.Bool(key, v, c.alerts.webhook.allow_insecure);
  else if (key == "alerts.webhook.ca_bundle")
    set.Text(c.alerts.webhook.ca_bundle, v);
  else if (key == "alerts.telegram.api_url")
    set.Text(c.alerts.telegram.api_url, v);
  else if (key == "alerts.telegram.allow_insecure")
    set.Bool(key, v, c.alerts.telegram.allow_insecure);
  else if (key == "alerts.telegram.ca_bundle")
    set.Text(c.alerts.telegram.ca_bundle, v);
  else if (key == "alerts.discord.allow_insecure")
    set.Bool(key, v, c.alerts.discord.allow_insecure);
  else if (key == "alerts.discord.ca_bundle")
    set.Text(c.alerts.discord.ca_bundle, v);
  else
    return false;
  return true;
}

std::string NodeText(const toml::node& node) {
  if (auto s = node.value<std::string>()) return *s;
  if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_floating_point()) return fmt::format("{}", *node.value<double>());
  // A list of texts (alerts.smtp.to) reads like its environment form: comma-separated. Whole
  // numbers are taken as their text (Telegram chat ids are numbers).
  if (const toml::array* array = node.as_array()) {
    std::string out;
    for (const toml::node& item : *array) {
      auto text = item.value<std::string>();
      if (item.is_integer()) text = std::to_string(*item.value<std::int64_t>());
      if (!text) return "<not a list of texts>";
      out += (out.empty() ? "" : ",") + *text;
    }
    return out;
  }
  return "<not a scalar>";
}

// TOML layout: [trends] holds the reference names, other sections friendlier aliases.
constexpr std::pair<std::string_view, std::string_view> kTomlAliases[] = {
    {"data_dir", "STOCKPIPE_DATA_DIR"},
    {"stream.shards", "STOCKPIPE_SHARDS"},
    {"stream.retention_hours", "RETENTION_HOURS"},
    {"ingest.batch_records", "BATCH_RECORDS"},
    {"ingest.batch_window", "BATCH_WINDOW"},
    {"trends.cooldown_min", "COOLDOWN_MIN"},
    {"trends.every", "TRENDS_EVERY"},
    {"trends.streaming", "TRENDS_STREAMING"},
    {"watchdog.no_data_after", "NO_DATA_AFTER"},
    {"backends.stream", "STOCKPIPE_STREAM"},
    {"backends.archive", "STOCKPIPE_ARCHIVE"},
    {"backends.store", "STOCKPIPE_STORE"},
    {"aws.kinesis_stream", "KINESIS_STREAM"},
    {"aws.raw_bucket", "RAW_DATA_BUCKET"},
    {"aws.dynamodb_table", "DYNAMODB_TABLE"},
    {"aws.state_table", "DYNAMODB_STATE_TABLE"},
    {"aws.candles_table", "DYNAMODB_CANDLES_TABLE"},
    {"aws.sns_topic_arn", "SNS_TOPIC_ARN"},
    {"aws.athena_workgroup", "ATHENA_WORKGROUP"},
    {"aws.athena_database", "ATHENA_DATABASE"},
    {"aws.athena_output_location", "ATHENA_OUTPUT_LOCATION"},
    {"alerts.smtp.url", "SMTP_URL"},
    {"alerts.smtp.from", "SMTP_FROM"},
    {"alerts.smtp.to", "SMTP_TO"},
    {"alerts.smtp.username", "SMTP_USERNAME"},
    {"alerts.webhook.url", "WEBHOOK_URL"},
    {"alerts.telegram.chat_ids", "TELEGRAM_CHAT_IDS"},
    {"alerts.discord.webhook_url", "DISCORD_WEBHOOK_URL"},
    {"serve.http", "STOCKPIPE_HTTP"},
    {"log.format", "STOCKPIPE_LOG_FORMAT"},
    {"candles.intervals", "CANDLE_INTERVALS"},
    // TOML only: the key is its own name.
    {"alerts.console", "alerts.console"},
    {"alerts.log", "alerts.log"},
    {"alerts.retry_after", "alerts.retry_after"},
    {"alerts.give_up_after", "alerts.give_up_after"},
    {"alerts.queue_fsync", "alerts.queue_fsync"},
    {"ingest.fsync", "ingest.fsync"},
    {"alerts.smtp.require_tls", "alerts.smtp.require_tls"},
    {"alerts.smtp.ca_bundle", "alerts.smtp.ca_bundle"},
    {"alerts.webhook.allow_insecure", "alerts.webhook.allow_insecure"},
    {"alerts.webhook.ca_bundle", "alerts.webhook.ca_bundle"},
    {"alerts.telegram.api_url", "alerts.telegram.api_url"},
    {"alerts.telegram.allow_insecure", "alerts.telegram.allow_insecure"},
    {"alerts.telegram.ca_bundle", "alerts.telegram.ca_bundle"},
    {"alerts.discord.allow_insecure", "alerts.discord.allow_insecure"},
    {"alerts.discord.ca_bundle", "alerts.discord.ca_bundle"},
    {"serve.query_timeout", "serve.query_timeout"},
    {"serve.query_max_rows", "serve.query_max_rows"},
    {"serve.read_timeout", "serve.read_timeout"},
    {"serve.idle_timeout", "serve.idle_timeout"},
    {"serve.write_timeout", "serve.write_timeout"},
    {"serve.max_connections", "serve.max_connections"},
    {"serve.max_connections_per_client", "serve.max_connections_per_client"},
    {"serve.tls_cert", "serve.tls_cert"},
    {"serve.tls_key", "serve.tls_key"},
    {"serve.allow_plain_http", "serve.allow_plain_http"},
};

// [rules]: `default` names the fallback rule, other scalars are its parameters, each table is one
// symbol's rule. Names and values are checked by the rules library, which knows them.
void ReadRules(const toml::table& rules, RulesConfig& out) {
  for (const auto& [key, node] : rules) {
    if (const toml::table* symbol = node.as_table()) {
      RuleConfig rule;
      for (const auto& [param, value] : *symbol) {
        if (param.str() == "rule") {
          rule.rule = NodeText(value);
        } else if (param.str() == "on") {
          rule.on = NodeText(value);
        } else {
          rule.params.emplace_back(param.str(), NodeText(value));
        }
      }
      out.symbols.emplace_back(std::string(key.str()), std::move(rule));
    } else if (key.str() == "default") {
      out.fallback.rule = NodeText(node);
    } else if (key.str() == "on") {
      out.fallback.on = NodeText(node);
    } else {
      out.fallback.params.emplace_back(key.str(), NodeText(node));
    }
  }
}

}  // namespace

std::optional<Micros> ParseDuration(std::string_view text, Micros unit) {
  if (text.empty()) return std::nullopt;
  switch (text.back()) {
    case 's':
      unit = kSecond;
      text.remove_suffix(1);
      break;
    case 'm':
      unit = 60 * kSecond;
      text.remove_suffix(1);
      break;
    case 'h':
      unit = 3600 * kSecond;
      text.remove_suffix(1);
      break;
    case 'd':
      unit = 86400 * kSecond;
      text.remove_suffix(1);
      break;
    default:
      break;
  }
  double value = 0;
  // Written so NaN fails too: every comparison with NaN is false.
  if (!ParseNumber(text, value) || !(value >= 0 && value <= 1e7)) return std::nullopt;
  return static_cast<Micros>(value * static_cast<double>(unit));
}

Status ValidateConfig(const Config& c) {
  if (c.shards < 1 || c.shards > 1024)
    return Status::Error(fmt::format("shards must be 1..1024, got {}", c.shards));
  if (c.batch_records < 1) return Status::Error("batch_records must be at least 1");
  if (c.batch_window < 0) return Status::Error("BATCH_WINDOW must be >= 0");
  if (c.trends.lang != "pl" && c.trends.lang != "en") {
    return Status::Error(fmt::format("ALERT_LANG must be pl or en, got \"{}\"", c.trends.lang));
  }
  if (c.trends.every <= 0) return Status::Error("TRENDS_EVERY must be positive");
  if (c.no_data_after <= 0) return Status::Error("NO_DATA_AFTER must be positive");
  if (c.trends.cooldown < 0) return Status::Error("COOLDOWN_MIN must be >= 0");
  const auto one_of = [](const std::string& value,
                         std::initializer_list<std::string_view> allowed) {
    return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
  };
  if (!one_of(c.backends.stream, {"local", "kinesis"}))
    return Status::Error(
        fmt::format("STOCKPIPE_STREAM must be local or kinesis, got \"{}\"", c.backends.stream));
  if (!one_of(c.backends.archive, {"local", "s3"}))
    return Status::Error(
        fmt::format("STOCKPIPE_ARCHIVE must be local or s3, got \"{}\"", c.backends.archive));
  if (!one_of(c.backends.store, {"sqlite", "dynamodb"}))
    return Status::Error(
        fmt::format("STOCKPIPE_STORE must be sqlite or dynamodb, got \"{}\"", c.backends.store));
  if (c.backends.stream == "kinesis" && c.aws.kinesis_stream.empty())
    return Status::Error("KINESIS_STREAM must name the stream when the stream is kinesis");
  if (c.backends.archive == "s3" && c.aws.raw_bucket.empty())
    return Status::Error("RAW_DATA_BUCKET must name the bucket when the archive is s3");
  if (c.backends.store == "dynamodb" && c.aws.dynamodb_table.empty())
    return Status::Error("DYNAMODB_TABLE must not be empty when the store is dynamodb");
  if (c.log.format != "text" && c.log.format != "json") {
    return Status::Error(fmt::format(
        "STOCKPIPE_LOG_FORMAT ([log] format) must be text or json, got \"{}\"", c.log.format));
  }
  if (Status serve = ValidateServe(c.serve); !serve.ok()) return serve;
  return ValidateAlerts(c.alerts);
}

std::optional<HostPort> ParseHostPort(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  HostPort out;
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // an IPv6 address needs its brackets: [::1]:8080
  }
  for (char ch : host) {
    const bool ok = std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' ||
                    ch == ':' || ch == '_';
    if (!ok) return std::nullopt;
  }
  if (!ParseNumber(text.substr(colon + 1), out.port) || out.port < 0 || out.port > 65535) {
    return std::nullopt;
  }
  out.host = std::string(host);
  return out;
}

Status ValidateServe(const ServeConfig& s) {
  if (!ParseHostPort(s.http)) {
    return Status::Error(fmt::format(
        "STOCKPIPE_HTTP must be HOST:PORT like 127.0.0.1:8080 (port 0 = any free port), got "
        "\"{}\"",
        s.http));
  }
  // The token travels in a header and a cookie: token68 characters keep both intact. It is
  // never quoted back, as it is a secret.
  if (!s.token.empty()) {
    const bool token68 = std::all_of(s.token.begin(), s.token.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' || ch == '_' ||
             ch == '~' || ch == '+' || ch == '/';
    });
    if (!token68 || s.token.size() < 16) {
      return Status::Error(
          "STOCKPIPE_HTTP_TOKEN must be at least 16 characters of A-Z a-z 0-9 - . _ ~ + /");
    }
  }
  // Bounds that keep one /api/query from holding a connection (or the server's memory) for good.
  if (s.query_timeout <= 0 || s.query_timeout > kMaxQueryTimeout) {
    return Status::Error(
        fmt::format("serve.query_timeout must be more than 0 s and at most {} s, got {} s",
                    kMaxQueryTimeout / 1'000'000, static_cast<double>(s.query_timeout) / 1e6));
  }
  if (s.query_max_rows < 1 || s.query_max_rows > kMaxQueryRows) {
    return Status::Error(fmt::format("serve.query_max_rows must be between 1 and {}, got {}",
                                     kMaxQueryRows, s.query_max_rows));
  }
  constexpr Micros kMinClientTimeout = 100'000, kMaxClientTimeout = 3600 * 1'000'000LL;
  for (const auto& [name, value] :
       {std::pair{"read_timeout", s.read_timeout}, std::pair{"idle_timeout", s.idle_timeout},
        std::pair{"write_timeout", s.write_timeout}}) {
    if (value < kMinClientTimeout || value > kMaxClientTimeout) {
      return Status::Error(fmt::format("serve.{} must be between 0.1 s and 3600 s, got {} s", name,
                                       static_cast<double>(value) / 1e6));
    }
  }
  constexpr std::size_t kMaxConnections = 100'000;
  if (s.max_connections < 1 || s.max_connections > kMaxConnections) {
    return Status::Error(fmt::format("serve.max_connections must be between 1 and {}, got {}",
                                     kMaxConnections, s.max_connections));
  }
  if (s.max_connections_per_client < 1 || s.max_connections_per_client > s.max_connections) {
    return Status::Error(fmt::format(
        "serve.max_connections_per_client must be between 1 and serve.max_connections ({}), got {}",
        s.max_connections, s.max_connections_per_client));
  }
  if (s.tls_cert.empty() != s.tls_key.empty()) {
    return Status::Error(
        s.tls_cert.empty()
            ? "serve.tls_cert must name the certificate file when serve.tls_key is set"
            : "serve.tls_key must name the private key file when serve.tls_cert is set");
  }
  return Status::Ok();
}

std::vector<std::string> AlertChannelNames(const Config& config) {
  std::vector<std::string> names;
  if (config.alerts.console) names.emplace_back("console");
  if (config.alerts.log) names.emplace_back("log");
  if (!config.alerts.smtp.url.empty()) names.emplace_back("smtp");
  if (!config.alerts.webhook.url.empty()) names.emplace_back("webhook");
  if (!config.alerts.telegram.chat_ids.empty()) names.emplace_back("telegram");
  if (!config.alerts.discord.webhook_url.empty()) names.emplace_back("discord");
  if (!config.aws.sns_topic_arn.empty()) names.emplace_back("sns");
  return names;
}

Status ValidateAlerts(const AlertsConfig& a) {
  if (a.retry_after <= 0) return Status::Error("alerts.retry_after must be positive");
  if (a.give_up_after && *a.give_up_after <= 0) {
    return Status::Error("alerts.give_up_after must be positive (or never)");
  }
  // URLs are never echoed: they may hold credentials (smtp://user:pass@) or a webhook's token.
  const SmtpConfig& m = a.smtp;
  if (!m.url.empty()) {
    if (!m.url.starts_with("smtp://") && !m.url.starts_with("smtps://"))
      return Status::Error("SMTP_URL must start with smtp:// or smtps://");
    if (m.from.empty()) return Status::Error("SMTP_FROM must name the sender when SMTP_URL is set");
    if (m.to.empty())
      return Status::Error("SMTP_TO must list at least one recipient when SMTP_URL is set");
    for (const std::string& to : m.to) {
      if (to.find('@') == std::string::npos)
        return Status::Error(fmt::format("SMTP_TO must hold e-mail addresses, got \"{}\"", to));
    }
  } else if (!m.from.empty() || !m.to.empty() || !m.username.empty() || !m.password.empty()) {
    // Half an SMTP setup is more likely a typo than a wish for no e-mail.
    return Status::Error(
        "SMTP_URL must be set to send e-mail (SMTP_FROM, SMTP_TO, SMTP_USERNAME or "
        "SMTP_PASSWORD is set)");
  }
  if (!a.webhook.url.empty() && !a.webhook.url.starts_with("https://") &&
      !a.webhook.url.starts_with("http://")) {
    return Status::Error("WEBHOOK_URL must start with https:// (or http://)");
  }
  // The token is never echoed; the URL checks proper are the channels' (pipeline/channels.cc).
  const TelegramConfig& t = a.telegram;
  if (!t.chat_ids.empty() && t.token.empty()) {
    return Status::Error(
        "TELEGRAM_BOT_TOKEN must be set in the environment when alerts.telegram.chat_ids "
        "(TELEGRAM_CHAT_IDS) lists chats");
  }
  if (!t.token.empty() && t.chat_ids.empty()) {
    return Status::Error(
        "alerts.telegram.chat_ids (TELEGRAM_CHAT_IDS) must list at least one chat when "
        "TELEGRAM_BOT_TOKEN is set");
  }
  if (!a.discord.webhook_url.empty() && !a.discord.webhook_url.starts_with("https://") &&
      !a.discord.webhook_url.starts_with("http://")) {
    return Status::Error("DISCORD_WEBHOOK_URL must start with https:// (or http://)");
  }
  return Status::Ok();
}

Result<Config> LoadConfig(const std::string& path, bool required,
                          const std::function<const char*(const char*)>& getenv) {
  Config config;
  std::string error;
  Setter set(error);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Status::Error(
        fmt::format("--config {} is a directory, not a TOML file (stockpipe.toml)", path));
  }
  if (std::filesystem::exists(path, ec)) {
    toml::table root;
    try {
      root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
      return Status::Error(fmt::format("{}:{}:{}: {}", path, e.source().begin.line,
                                       e.source().begin.column, e.description()));
    }
    // A password in a file ends up in backups and repositories; the environment is the place.
    if (root.at_path("alerts.smtp.password")) {
      return Status::Error(fmt::format(
          "{}: alerts.smtp.password is not allowed in the config file: set SMTP_PASSWORD in the "
          "environment instead",
          path));
    }
    for (const char* key : {"alerts.telegram.token", "alerts.telegram.bot_token"}) {
      if (root.at_path(key)) {
        return Status::Error(fmt::format(
            "{}: {} is not allowed in the config file: set TELEGRAM_BOT_TOKEN in the environment "
            "instead",
            path, key));
      }
    }
    if (root.at_path("serve.token")) {
      return Status::Error(fmt::format(
          "{}: serve.token is not allowed in the config file: set STOCKPIPE_HTTP_TOKEN in the "
          "environment instead",
          path));
    }
    std::vector<std::string> known = {"records.max_record_bytes"};
    for (const auto& [dotted, key] : kTomlAliases) known.emplace_back(dotted);
    if (const toml::table* trends = root["trends"].as_table()) {
      for (const auto& [key, node] : *trends) {
        // [trends] takes the environment's names: not the secrets, which are environment only.
        for (std::string_view secret :
             {"TELEGRAM_BOT_TOKEN", "SMTP_PASSWORD", "STOCKPIPE_HTTP_TOKEN"}) {
          if (key.str() == secret) {
            return Status::Error(fmt::format(
                "{}: trends.{} is not allowed in the config file: set {} in the environment "
                "instead",
                path, secret, secret));
          }
        }
        if (Apply(config, key.str(), NodeText(node), set))
          known.push_back("trends." + std::string(key.str()));
      }
    }
    if (const toml::table* rules = root["rules"].as_table()) {
      ReadRules(*rules, config.trends.rules);
      for (const auto& [key, node] : *rules) known.push_back("rules." + std::string(key.str()));
    }
    // A misspelt key would otherwise be ignored without a word.
    for (const auto& [section, node] : root) {
      const auto check = [&](const std::string& dotted) {
        if (std::find(known.begin(), known.end(), dotted) == known.end()) {
          config.warnings.push_back(fmt::format("{}: unknown key {} is ignored", path, dotted));
        }
      };
      if (const toml::table* table = node.as_table()) {
        for (const auto& [key, value] : *table) {
          const std::string dotted = fmt::format("{}.{}", section.str(), key.str());
          // One more level for [alerts.smtp], [alerts.webhook], [alerts.telegram]...
          if (const toml::table* sub = value.as_table(); sub && section.str() == "alerts") {
            for (const auto& [sub_key, sub_value] : *sub)
              check(dotted + "." + std::string(sub_key.str()));
          } else {
            check(dotted);
          }
        }
      } else {
        check(std::string(section.str()));
      }
    }
    for (const auto& [dotted, key] : kTomlAliases) {
      if (auto node = root.at_path(dotted); node) Apply(config, key, NodeText(*node.node()), set);
    }
    if (auto limit = root.at_path("records.max_record_bytes").value<std::int64_t>()) {
      config.limits.max_record_bytes = static_cast<std::size_t>(*limit);
    }
  } else if (required) {
    return Status::Error(fmt::format("config file {} does not exist", path));
  }
  for (std::string_view key : kEnvironmentKeys) {
    if (const char* value = getenv(std::string(key).c_str())) Apply(config, key, value, set);
  }
  if (!error.empty()) return Status::Error(error);
  if (Status invalid = ValidateConfig(config); !invalid.ok()) return invalid;
  return config;
}

Status CheckLogLevel(const char* level) {
  if (level == nullptr) return Status::Ok();
  for (std::string_view known : kLogLevels) {
    if (level == known) return Status::Ok();
  }
  return Status::Error(
      fmt::format("STOCKPIPE_LOG must be one of debug, info, warn, error, got \"{}\"", level));
}

}  // namespace stockpipe
