#include <spdlog/spdlog.h>

#include <cmath>
#include <iostream>

#include "archive/local/file_archive.h"
#include "cli/commands.h"
#include "codec/json_write.h"
#include "pipeline/local_stores.h"
#include "serve/dashboard_stores.h"
#include "serve/status_json.h"
#include "trends/trends_job.h"
#include "trends/watchdog.h"

namespace stockpipe {
namespace {

std::string When(Micros t) {
  return t > 0 ? FormatCanonical(t) : "never";
}

std::string Age(Micros now, Micros t) {
  if (t <= 0) return "-";
  return fmt::format("{:.1f}s ago", static_cast<double>(now - t) / 1e6);
}

void PrintChannels(const std::vector<ChannelHealth>& channels, Micros now) {
  if (channels.empty()) std::cout << "alerts     no channel configured\n";
  for (const ChannelHealth& h : channels) {
    std::cout << fmt::format(
        "alerts     {:<8} {:<7} delivered {}  pending {}{}  oldest pending {}  last success {}\n",
        h.channel, h.failing ? "FAILING" : "ok", h.delivered, h.pending,
        h.given_up ? fmt::format("  GIVEN UP {}", h.given_up) : "", Age(now, h.oldest_pending),
        When(h.last_success));
    if (!h.last_error.empty()) {
      std::cout << fmt::format("  last error {} ({} failed tries of pending alerts): {}\n",
                               When(h.last_error_at), h.pending_attempts, h.last_error);
    }
  }
}

}  // namespace

int RunHealth(const Config& config, bool json) {
  // Read-only through and through: a store not created yet reads as empty, and nothing in the
  // data folder is created or written (not even the folder itself).
  serve::ReadOnlyFile stream_file(LocalPaths(config.data_dir).stream, "counters");
  serve::DataFolder folder(config.data_dir);
  Result<LocalStreamStats> stats = LocalStreamStats{};
  auto stream_db = stream_file.Get();
  if (!stream_db) {
    stats = stream_db.status();
  } else if (*stream_db) {
    stats = SqliteStream::ReadStats(**stream_db, kIngestConsumer);
  }
  auto summary = folder.Symbols();
  FileArchive archive(config.data_dir);
  auto raw = archive.List("raw/");
  auto rejected = archive.List("rejected/");
  auto last_run = folder.State(kLastTrendsRunKey);
  auto watchdog = folder.State(kWatchdogKey);
  auto channels = folder.Channels(AlertChannelNames(config));
  for (const Status& s : {stats.status(), summary.status(), raw.status(), rejected.status(),
                          last_run.status(), watchdog.status(), channels.status()}) {
    if (!s.ok()) {
      spdlog::error("health: {}", s.message());
      return 1;
    }
  }
  const Micros now = NowMicros();
  std::uint64_t lag = 0, clean_rows = 0;
  Micros oldest_pending = 0;
  for (const ShardStats& s : stats->shards) {
    lag += s.lag_records;
    if (s.oldest_pending_arrival > 0 &&
        (oldest_pending == 0 || s.oldest_pending_arrival < oldest_pending)) {
      oldest_pending = s.oldest_pending_arrival;
    }
  }
  for (const SymbolSummary& s : *summary) clean_rows += s.rows;
  const ObjectInfo* newest_raw = nullptr;
  for (const ObjectInfo& o : *raw) {
    if (!newest_raw || o.modified_us > newest_raw->modified_us) newest_raw = &o;
  }
  const IngestCounts& c = stats->counts;
  const std::string watchdog_text = *watchdog ? **watchdog : "not started";
  const std::string last_run_text = *last_run ? **last_run : "never";
  const Micros lag_age = oldest_pending > 0 ? now - oldest_pending : 0;

  if (json) {
    using serve::Json;
    Json symbols = Json::array();
    for (const SymbolSummary& s : *summary) {
      symbols.push_back({{"symbol", s.symbol}, {"rows", s.rows}, {"newest", When(s.newest)}});
    }
    Json out;
    out["stream"] = {{"shards", stats->shards.size()},
                     {"retained_records", stats->retained_records},
                     {"lag_records", lag},
                     {"lag_seconds", std::round(static_cast<double>(lag_age) / 1e3) / 1e3},
                     {"last_put", When(stats->last_put)}};
    out["raw"] = {{"objects", raw->size()}, {"newest", newest_raw ? newest_raw->key : ""}};
    out["rejected_objects"] = rejected->size();
    out["clean"] = {{"rows", clean_rows}, {"symbols", std::move(symbols)}};
    out["ingest"] = {{"received", c.received},
                     {"accepted", c.accepted},
                     {"rejected", serve::RejectedJson(c)},
                     {"ignored", serve::IgnoredJson(c)}};
    // The trends job stores its last run as a JSON document; shown as it is.
    out["last_trends_run"] = *last_run ? Json::parse(**last_run, nullptr, false) : Json(nullptr);
    out["watchdog"] = watchdog_text;
    out["alerts"] = serve::ChannelsJson(*channels, now);
    std::cout << serve::DumpJson(out) << "\n";
    return 0;
  }

  std::cout << fmt::format("stockpipe health — {} (data: {})\n\n", FormatCanonical(now),
                           config.data_dir);
  std::cout << fmt::format(
      "stream     {} shards, {} records retained, lag {} records ({:.1f} s), "
      "last put {} ({})\n",
      stats->shards.size(), stats->retained_records, lag, lag_age / 1e6, When(stats->last_put),
      Age(now, stats->last_put));
  for (const ShardStats& s : stats->shards) {
    std::cout << fmt::format("  {}  newest {:>10}  checkpoint {:>10}  lag {:>8}\n", s.shard,
                             s.newest_sequence, s.checkpoint, s.lag_records);
  }
  std::cout << fmt::format("raw        {} objects, newest {}\n", raw->size(),
                           newest_raw ? newest_raw->key : "-");
  std::cout << fmt::format("clean      {} rows, {} symbols\n", clean_rows, summary->size());
  for (const SymbolSummary& s : *summary) {
    std::cout << fmt::format("  {:<12} {:>10} rows  newest {} ({})\n", s.symbol, s.rows,
                             When(s.newest), Age(now, s.newest));
  }
  std::cout << fmt::format("ingest     received {}  accepted {}  rejected {}{}\n", c.received,
                           c.accepted, c.rejected_total(),
                           c.balanced() ? "" : "  (COUNTS DO NOT ADD UP)");
  for (int i = 0; i < kRejectReasonCount; ++i) {
    if (c.rejected[static_cast<std::size_t>(i)] > 0) {
      std::cout << fmt::format("  rejected {:<24} {}\n", ReasonCode(static_cast<RejectReason>(i)),
                               c.rejected[static_cast<std::size_t>(i)]);
    }
  }
  for (int i = 0; i < kIgnoredFieldCount; ++i) {
    if (c.ignored[static_cast<std::size_t>(i)] > 0) {
      std::cout << fmt::format("  ignored  {:<24} {} (tick kept, member left out of candles)\n",
                               IgnoredCode(static_cast<IgnoredField>(i)),
                               c.ignored[static_cast<std::size_t>(i)]);
    }
  }
  std::cout << fmt::format("quarantine {} objects under rejected/\n", rejected->size());
  std::cout << fmt::format("trends     last run {}\n", last_run_text);
  std::cout << fmt::format("watchdog   {}\n", watchdog_text);
  PrintChannels(*channels, now);
  return 0;
}

}  // namespace stockpipe
