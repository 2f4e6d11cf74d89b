#include "serve/dashboard_metrics.h"

#include <fmt/format.h>

namespace stockpipe::serve {
namespace {

// Written straight into one buffer: at 10,000 symbols the text is two samples per symbol, and a
// string formatted and copied per line cost more than reading the numbers.
class Exposition {
 public:
  // `lines` samples of ~80 bytes are coming: the buffer grows once, not by halves.
  explicit Exposition(std::size_t lines) { out_.reserve(4096 + lines * 80); }
  // Starts a family: its HELP and TYPE lines, once.
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    name_ = name;
    fmt::format_to(fmt::appender(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  void Sample(double value) { fmt::format_to(fmt::appender(out_), "{} {}\n", name_, value); }
  void Sample(std::uint64_t value) { fmt::format_to(fmt::appender(out_), "{} {}\n", name_, value); }
  template <typename V>
  void Sample(std::string_view label, std::string_view label_value, V value) {
    // Symbols and channel names seldom need escaping: only those that do are copied.
    const bool plain = label_value.find_first_of("\\\"\n") == std::string_view::npos;
    fmt::format_to(fmt::appender(out_), "{}{{{}=\"{}\"}} {}\n", name_, label,
                   plain ? label_value : std::string_view(EscapeLabelValue(label_value)), value);
  }
  std::string Take() { return fmt::to_string(out_); }

 private:
  std::string name_;
  fmt::memory_buffer out_;
};

double Seconds(Micros t) {
  return static_cast<double>(t) / 1e6;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string PrometheusText(const StatusNumbers& n) {
  Exposition e(2 * n.symbols.size() + 3 * n.channels.size());
  const IngestCounts& c = n.stream.counts;
  e.Family("stockpipe_ingest_records_received_total", "counter",
           "Records ingest took from the stream (committed).");
  e.Sample(c.received);
  e.Family("stockpipe_ingest_records_accepted_total", "counter",
           "Records ingest accepted into RAW and CLEAN.");
  e.Sample(c.accepted);
  e.Family("stockpipe_ingest_records_rejected_total", "counter",
           "Records ingest quarantined, by reason.");
  for (int i = 0; i < kRejectReasonCount; ++i) {
    e.Sample("reason", ReasonCode(static_cast<RejectReason>(i)),
             c.rejected[static_cast<std::size_t>(i)]);
  }
  e.Family(
      "stockpipe_ingest_members_ignored_total", "counter",
      "Members of accepted ticks left out of their candles (volume, open/high/low), by reason.");
  for (int i = 0; i < kIgnoredFieldCount; ++i) {
    e.Sample("reason", IgnoredCode(static_cast<IgnoredField>(i)),
             c.ignored[static_cast<std::size_t>(i)]);
  }
  e.Family("stockpipe_stream_lag_records", "gauge",
           "Records in the stream that ingest has not committed yet.");
  e.Sample(n.stream.lag_records);
  e.Family("stockpipe_stream_lag_seconds", "gauge",
           "Age of the oldest record ingest has not committed yet (0 when none).");
  e.Sample(n.stream.oldest_pending > 0 ? Seconds(n.now - n.stream.oldest_pending) : 0.0);
  e.Family("stockpipe_stream_last_put_timestamp_seconds", "gauge",
           "When the newest record reached the stream (Unix time; 0 = never).");
  e.Sample(Seconds(n.stream.last_put));
  e.Family("stockpipe_clean_rows", "gauge", "Rows in the CLEAN store, by symbol.");
  for (const SymbolSummary& s : n.symbols) e.Sample("symbol", s.symbol, s.rows);
  e.Family("stockpipe_clean_newest_timestamp_seconds", "gauge",
           "Time of the newest CLEAN point, by symbol (Unix time).");
  for (const SymbolSummary& s : n.symbols) e.Sample("symbol", s.symbol, Seconds(s.newest));
  e.Family("stockpipe_trends_last_run_timestamp_seconds", "gauge",
           "When the trends job last ran (Unix time; 0 = never).");
  e.Sample(Seconds(n.last_run_at));
  e.Family("stockpipe_watchdog_alarm", "gauge", "1 while the no-data alarm is raised.");
  e.Sample(std::uint64_t{n.watchdog == "alarm" ? 1u : 0u});
  e.Family("stockpipe_alerts_delivered_total", "counter",
           "Alert messages a channel took, by channel.");
  for (const ChannelHealth& h : n.channels) e.Sample("channel", h.channel, h.delivered);
  e.Family("stockpipe_alerts_pending", "gauge",
           "Alert messages waiting for a (re)try, by channel.");
  for (const ChannelHealth& h : n.channels) e.Sample("channel", h.channel, h.pending);
  e.Family("stockpipe_alerts_channel_failing", "gauge",
           "1 while a channel's last delivery attempt failed.");
  for (const ChannelHealth& h : n.channels) {
    e.Sample("channel", h.channel, std::uint64_t{h.failing ? 1u : 0u});
  }
  return e.Take();
}

}  // namespace stockpipe::serve
