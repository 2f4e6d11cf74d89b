#include "migrate/raw_migration.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <map>
#include <set>
#include <thread>
#include <unordered_set>

#include "codec/gzip.h"
#include "ingest/quarantine_line.h"

namespace stockpipe::migrate {
namespace {

constexpr std::string_view kLedger = "migrate/ref-raw/";
constexpr std::string_view kKeysSuffix = ".keys.gz";
constexpr std::string_view kDoneSuffix = ".done.json";
constexpr std::string_view kMigratedPrefix = "migrated-ref-";

std::string LedgerKey(std::string_view hour, int part, std::string_view suffix) {
  return fmt::format("{}{}-p{}{}", kLedger, hour, part, suffix);
}

struct Part {
  std::vector<std::string> keys;
  bool has_keys = false;
  bool done = false;
};

// The parts an earlier run recorded for `hour`, by number.
Result<std::map<int, Part>> LoadParts(RawArchive& destination, std::string_view hour) {
  const std::string prefix = fmt::format("{}{}-p", kLedger, hour);
  auto listed = destination.List(prefix);
  if (!listed) return listed.status();
  std::map<int, Part> parts;
  for (const ObjectInfo& object : *listed) {
    std::string_view name = std::string_view(object.key).substr(prefix.size());
    const bool keys = name.ends_with(kKeysSuffix);
    const bool done = name.ends_with(kDoneSuffix);
    if (!keys && !done) continue;
    name.remove_suffix(keys ? kKeysSuffix.size() : kDoneSuffix.size());
    int number = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), number);
    if (ec != std::errc() || end != name.data() + name.size() || number < 1) continue;
    Part& part = parts[number];
    if (done) {
      part.done = true;
      continue;
    }
    auto bytes = destination.Get(object.key);
    if (!bytes) return bytes.status();
    auto text = GzipDecompress(*bytes);
    if (!text) return Status::Error(object.key + ": " + text.error());
    part.has_keys = true;
    std::string_view rest = *text;
    while (!rest.empty()) {
      const std::size_t newline = rest.find('\n');
      part.keys.emplace_back(rest.substr(0, newline));
      rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    }
  }
  for (const auto& [number, part] : parts) {
    if (!part.has_keys) {
      return Status::Error(fmt::format("{} exists without its key list {}: the ledger was edited",
                                       LedgerKey(hour, number, kDoneSuffix),
                                       LedgerKey(hour, number, kKeysSuffix)));
    }
  }
  return parts;
}

// Fetches every key, `parallel` at a time; the first failure (by key order) is the error.
Result<std::vector<std::string>> FetchAll(ReferenceRawSource& source,
                                          const std::vector<std::string>& keys, int parallel) {
  std::vector<Result<std::string>> fetched(keys.size(), Status::Error("not fetched"));
  std::atomic<std::size_t> next{0};
  const auto worker = [&] {
    for (std::size_t i = next++; i < keys.size(); i = next++) fetched[i] = source.Get(keys[i]);
  };
  std::vector<std::jthread> workers;
  const std::size_t count = std::min<std::size_t>(std::max(1, parallel), keys.size());
  for (std::size_t i = 1; i < count; ++i) workers.emplace_back(worker);
  worker();
  workers.clear();  // joins
  std::vector<std::string> bytes;
  bytes.reserve(keys.size());
  for (auto& object : fetched) {
    if (!object) return object.status();
    bytes.push_back(std::move(*object));
  }
  return bytes;
}

// The reference wrote `json.dumps(record)`: one line. A pretty-printed object is joined into one
// (in JSON a raw line break can only be whitespace), so it parses as the record it is.
std::string OneLine(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

class Migration {
 public:
  Migration(ReferenceRawSource& source, RawArchive& destination, const RawMigrationOptions& options)
      : source_(source), destination_(destination), options_(options), parser_(options.limits) {}

  Status Hour(std::string_view hour, const std::vector<std::string>& keys) {
    auto parts = LoadParts(destination_, hour);
    if (!parts) return parts.status();
    std::set<std::string_view> recorded;
    int last_part = 0;
    for (auto& [number, part] : *parts) {
      last_part = number;
      recorded.insert(part.keys.begin(), part.keys.end());
      if (part.done) {
        counts_.already_migrated += part.keys.size();
      } else if (Status s = WritePart(hour, number, part.keys, true); !s.ok()) {
        return s;  // a run killed between the key list and the marker: redone as recorded
      }
    }
    std::vector<std::string> unseen;
    for (const std::string& key : keys) {
      if (!recorded.contains(key)) unseen.push_back(key);
    }
    if (unseen.empty()) return Status::Ok();
    return WritePart(hour, last_part + 1, unseen, false);
  }

  RawMigrationCounts& counts() { return counts_; }

 private:
  Status WritePart(std::string_view hour, int part, const std::vector<std::string>& keys,
                   bool recorded) {
    if (!options_.dry_run && !recorded) {
      std::string list;
      for (const std::string& key : keys) list += key + '\n';
      if (!list.empty()) list.pop_back();
      auto gz = GzipCompress(list);
      if (!gz) return gz.status();
      if (Status s = destination_.Put(LedgerKey(hour, part, kKeysSuffix), *gz); !s.ok()) return s;
    }
    auto bytes = FetchAll(source_, keys, options_.parallel);
    if (!bytes) return bytes.status();
    std::map<std::string, std::string> raw_by_date, rejected_by_date;
    std::uint64_t migrated = 0, quarantined = 0, in_archive = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const Micros arrival = ParseReferenceKey(keys[i])->arrival;
      auto parsed = parser_.Parse(OneLine((*bytes)[i]), arrival);
      if (auto* rejection = std::get_if<Rejection>(&parsed)) {
        ++quarantined;
        const std::string where = source_.Where(keys[i]);
        QuarantineEntry line{ReasonCode(rejection->reason),
                             rejection->message,
                             "ref-raw",
                             where,
                             arrival,
                             (*bytes)[i]};
        if (rejection->reason == RejectReason::kOversized)
          line.keep = options_.limits.max_record_bytes;
        AppendQuarantineLine(line, rejected_by_date[FormatDate(arrival)]);
        continue;
      }
      const Tick& tick = std::get<Tick>(parsed);
      const std::string date = FormatDate(tick.timestamp);
      line_.clear();
      AppendTickJson(tick, line_);
      auto replayed = ReplayedLines(date);
      if (!replayed) return replayed.status();
      if ((*replayed)->contains(line_)) {
        ++in_archive;
        continue;
      }
      ++migrated;
      std::string& lines = raw_by_date[date];
      lines += line_;
      lines += '\n';
    }
    std::vector<std::string> written;
    if (!options_.dry_run) {
      for (const auto& [area, by_date] :
           {std::pair{"raw", &raw_by_date}, std::pair{"rejected", &rejected_by_date}}) {
        for (const auto& [date, lines] : *by_date) {
          auto gz = GzipCompress(lines);
          if (!gz) return gz.status();
          written.push_back(MigratedObjectKey(area, date, hour, part));
          if (Status s = destination_.Put(written.back(), *gz); !s.ok()) return s;
        }
      }
      std::string objects;
      for (const std::string& key : written)
        objects += fmt::format("{}\"{}\"", objects.empty() ? "" : ",", key);
      const std::string done = fmt::format(
          "{{\"hour\":\"{}\",\"part\":{},\"keys\":{},\"migrated\":{},\"quarantined\":{},"
          "\"replayed\":{},\"objects\":[{}]}}\n",
          hour, part, keys.size(), migrated, quarantined, in_archive, objects);
      if (Status s = destination_.Put(LedgerKey(hour, part, kDoneSuffix), done); !s.ok()) return s;
    }
    counts_.migrated += migrated;
    counts_.quarantined += quarantined;
    counts_.replayed += in_archive;
    counts_.objects_written += written.size();
    ++counts_.parts;
    return Status::Ok();
  }

  // The canonical lines stockpipe's own ingest wrote into `raw/dt=<date>/` (not migrated ones):
  // records the reference stored too when stockpipe's consumer replayed the stream's retained
  // window at the switch (docs/migrate.md). A few days are kept; hours arrive in order.
  Result<const std::unordered_set<std::string>*> ReplayedLines(const std::string& date) {
    if (auto it = replayed_.find(date); it != replayed_.end()) return &it->second;
    if (replayed_.size() >= 4) replayed_.erase(replayed_.begin());
    auto listed = destination_.List("raw/dt=" + date + "/");
    if (!listed) return listed.status();
    std::unordered_set<std::string>& lines = replayed_[date];
    for (const ObjectInfo& object : *listed) {
      if (IsMigratedObjectKey(object.key)) continue;
      auto bytes = destination_.Get(object.key);
      if (!bytes) return bytes.status();
      auto text = GzipDecompress(*bytes);
      if (!text) return Status::Error(object.key + ": " + text.error());
      std::string_view rest = *text;
      while (!rest.empty()) {
        const std::size_t newline = rest.find('\n');
        if (newline != 0) lines.emplace(rest.substr(0, newline));
        if (newline == std::string_view::npos) break;
        rest.remove_prefix(newline + 1);
      }
    }
    return &lines;
  }

  ReferenceRawSource& source_;
  RawArchive& destination_;
  const RawMigrationOptions& options_;
  RecordParser parser_;
  RawMigrationCounts counts_;
  std::map<std::string, std::unordered_set<std::string>> replayed_;  // by date
  std::string line_;
};

}  // namespace

std::string MigratedObjectKey(std::string_view area, std::string_view date, std::string_view hour,
                              int part) {
  return fmt::format("{}/dt={}/{}{}-p{}.jsonl.gz", area, date, kMigratedPrefix, hour, part);
}

bool IsMigratedObjectKey(std::string_view key) {
  const std::size_t slash = key.rfind('/');
  return slash != std::string_view::npos && key.substr(slash + 1).starts_with(kMigratedPrefix) &&
         key.ends_with(".jsonl.gz") && key.find("/dt=") != std::string_view::npos;
}

Result<RawMigrationCounts> MigrateRaw(ReferenceRawSource& source, RawArchive& destination,
                                      const RawMigrationOptions& options,
                                      const RawMigrationProgress& progress) {
  Migration migration(source, destination, options);
  RawMigrationCounts& counts = migration.counts();
  std::string after, hour;
  std::vector<std::string> hour_keys;  // an hour's keys are adjacent in key order
  const auto finish_hour = [&]() -> Status {
    if (hour_keys.empty()) return Status::Ok();
    if (Status s = migration.Hour(hour, hour_keys); !s.ok()) return s;
    hour_keys.clear();
    if (progress) progress(counts, hour);
    return Status::Ok();
  };
  while (true) {
    auto page = source.ListAfter(after, options.page_size);
    if (!page) return page.status();
    for (std::string& key : *page) {
      ++counts.listed;
      after = key;
      const auto reference = ParseReferenceKey(key);
      if (!reference) {
        ++counts.not_reference;
        // stockpipe's own partitions may share the prefix (`raw/dt=...`): expected, not worth a
        // line.
        if (!key.starts_with("dt="))
          spdlog::warn("migrate raw: {} is not a reference RAW name, left alone",
                       source.Where(key));
        continue;
      }
      if (reference->hour != hour) {
        if (Status s = finish_hour(); !s.ok()) return s;
        hour = reference->hour;
      }
      hour_keys.push_back(std::move(key));
    }
    if (page->empty()) break;  // a short page is not the end: S3 may answer fewer than asked
  }
  if (Status s = finish_hour(); !s.ok()) return s;
  return counts;
}

}  // namespace stockpipe::migrate
