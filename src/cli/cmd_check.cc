// `stockpipe check [--deep] [--json]`: the data folder's integrity, one line per check.
//
// Quick: `PRAGMA quick_check` on each SQLite store that exists (stream.db, clean.db, state.db,
// outbox.db), catalog.json parses, the ingest counts balance (received = accepted + rejected),
// the CLEAN rows are plausible against what was accepted (never more: re-sent keys are upserts),
// and the RAW + quarantine objects of each shard cover the committed checkpoint range exactly
// (from sequence 1, no gap, no overlap). --deep: `PRAGMA integrity_check` instead, and every
// object is read, decompressed, and its lines (raw + rejected of one batch, all days) counted
// against the sequence range its name says.
//
// Read-only: every store is opened through sqlite::ReadOnlyUri, nothing is created or written.
// An immutable connection (no `-wal` when opened) is blind to a writer that starts meanwhile;
// a failure seen through one is checked again once a `-wal` exists.
//
// The checks are a list of named entries (`Checks()`); a new check is one more entry.
// Exit codes: 0 all ok, 1 something failed, 2 usage.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "archive/local/file_archive.h"
#include "cli/commands.h"
#include "codec/gzip.h"
#include "codec/json_write.h"
#include "ingest/ingestor.h"
#include "migrate/raw_migration.h"
#include "pipeline/local_stores.h"
#include "serve/dashboard_stores.h"
#include "store/data_folder.h"
#include "store/sqlite/tick_log.h"

namespace stockpipe {
namespace {

namespace fs = std::filesystem;

struct Finding {
  bool ok = true;
  std::string check;  // e.g. quick_check, counts, coverage
  std::string file;   // relative to the data folder
  std::string detail;
};

// What the checks share: the folder, the options, the findings so far.
struct CheckRun {
  const Config& config;
  bool deep = false;
  std::vector<Finding> findings;
  void Ok(std::string check, std::string file, std::string detail) {
    findings.push_back({true, std::move(check), std::move(file), std::move(detail)});
  }
  void Fail(std::string check, std::string file, std::string detail) {
    findings.push_back({false, std::move(check), std::move(file), std::move(detail)});
  }
  std::string Path(std::string_view name) const {
    return config.data_dir + "/" + std::string(name);
  }
};

struct NamedCheck {
  std::string_view name;
  std::function<void(CheckRun&)> run;
};

// The rows of `PRAGMA quick_check` / `integrity_check` ("ok" alone when sound), or an error.
Result<std::vector<std::string>> Pragma(sqlite::Database& db, std::string_view pragma) {
  auto q = db.Prepare(fmt::format("PRAGMA {}", pragma));
  if (!q) return q.status();
  std::vector<std::string> rows;
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) rows.emplace_back(q->Text(0));
  if (Status s = db.Check(rc, pragma); !s.ok()) return s;
  return rows;
}

void CheckStore(CheckRun& run, std::string_view name) {
  const std::string pragma = run.deep ? "integrity_check" : "quick_check";
  const std::string path = run.Path(name);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    run.Ok(pragma, std::string(name), "not created yet");
    return;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto db = sqlite::Database::Open(path, /*create=*/false, sqlite::Sync::kNormal,
                                     /*read_only=*/true);
    Result<std::vector<std::string>> rows =
        db ? Pragma(**db, pragma) : Result<std::vector<std::string>>(db.status());
    const bool sound = rows && rows->size() == 1 && rows->front() == "ok";
    // Seen through an immutable connection while a writer started: look again through the WAL.
    if (!sound && attempt == 0 && db && (*db)->immutable() && fs::exists(path + "-wal", ec)) {
      continue;
    }
    if (sound) {
      run.Ok(pragma, std::string(name), "ok");
    } else if (!rows) {
      run.Fail(pragma, std::string(name), rows.error());
    } else {
      std::string detail;
      for (std::size_t i = 0; i < rows->size() && i < 5; ++i) {
        detail += (i ? "; " : "") + (*rows)[i];
      }
      if (rows->size() > 5) detail += fmt::format("; ... {} problems in all", rows->size());
      run.Fail(pragma, std::string(name), detail);
    }
    return;
  }
}

void CheckCatalog(CheckRun& run) {
  const std::string path = run.Path("catalog.json");
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    run.Ok("parse", "catalog.json", "not created yet (stockpipe catalog writes it)");
    return;
  }
  std::ifstream in(path, std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  try {
    const nlohmann::json doc = nlohmann::json::parse(text);
    if (!doc.is_object()) {
      run.Fail("parse", "catalog.json", "not a JSON object");
      return;
    }
    run.Ok("parse", "catalog.json", "ok");
  } catch (const nlohmann::json::exception& e) {
    run.Fail("parse", "catalog.json", e.what());
  }
}

// The ingest consumer's committed position per shard and the batch it claimed but did not
// commit (0, 0 when none), read from stream.db in one snapshot.
struct ShardPosition {
  std::uint64_t committed = 0;
  std::uint64_t claim_first = 0, claim_last = 0;
};

Result<std::map<std::string, ShardPosition>> ReadPositions(sqlite::Database& db) {
  std::map<std::string, ShardPosition> out;
  auto q = db.Prepare(
      "SELECT s.shard, COALESCE(c.seq, 0), COALESCE(c.claim_first, 0), "
      "COALESCE(c.claim_last, 0) FROM shards s LEFT JOIN checkpoints c "
      "ON c.shard = s.shard AND c.consumer = ? ORDER BY s.shard");
  if (!q) return q.status();
  q->Bind(1, kIngestConsumer);
  int rc;
  while ((rc = q->Step()) == SQLITE_ROW) {
    out[SqliteStream::ShardName(static_cast<int>(q->Int(0)))] = {
        static_cast<std::uint64_t>(q->Int(1)), static_cast<std::uint64_t>(q->Int(2)),
        static_cast<std::uint64_t>(q->Int(3))};
  }
  if (Status s = db.Check(rc, "read the checkpoints"); !s.ok()) return s;
  return out;
}

// counts, CLEAN rows and archive coverage all start from stream.db.
void CheckCountsAndCoverage(CheckRun& run) {
  serve::ReadOnlyFile stream_file(run.Path("stream.db"), "checkpoints");
  auto stream_db = stream_file.Get();
  if (!stream_db) {
    run.Fail("counts", "stream.db", stream_db.error());
    return;
  }
  IngestCounts counts;
  std::map<std::string, ShardPosition> positions;
  if (*stream_db) {
    auto stats = SqliteStream::ReadStats(**stream_db, kIngestConsumer);
    auto read = ReadPositions(**stream_db);
    if (!stats || !read) {
      run.Fail("counts", "stream.db", !stats ? stats.error() : read.error());
      return;
    }
    counts = stats->counts;
    positions = std::move(*read);
  }
  if (counts.balanced()) {
    run.Ok("counts", "stream.db",
           fmt::format("received {} = accepted {} + rejected {}", counts.received, counts.accepted,
                       counts.rejected_total()));
  } else {
    run.Fail("counts", "stream.db",
             fmt::format("received {} != accepted {} + rejected {}", counts.received,
                         counts.accepted, counts.rejected_total()));
  }

  // CLEAN: the table's rows, the per-symbol totals kept beside them, and what was accepted.
  serve::ReadOnlyFile clean_file = serve::ReadOnlyFile::Clean(run.Path("clean.db"));
  if (auto clean = clean_file.Get(); !clean) {
    run.Fail("clean rows", "clean.db", clean.error());
  } else if (*clean) {
    auto q = (*clean)->Prepare(
        // count(price), not count(*): it decodes every chunk, so a damaged one is a FAIL.
        "SELECT (SELECT count(price) FROM ticks), (SELECT COALESCE(SUM(rows), 0) FROM symbols)");
    if (!q) {
      run.Fail("clean rows", "clean.db", q.error());
    } else if (const int rc = q->Step(); rc != SQLITE_ROW) {
      run.Fail("clean rows", "clean.db", (*clean)->Check(rc, "count the ticks").message());
    } else {
      const auto rows = static_cast<std::uint64_t>(q->Int(0));
      const auto summed = static_cast<std::uint64_t>(q->Int(1));
      if (rows != summed) {
        run.Fail("clean rows", "clean.db",
                 fmt::format("ticks holds {} rows but the symbols table counts {}", rows, summed));
      } else if (*stream_db && rows > counts.accepted) {
        run.Fail("clean rows", "clean.db",
                 fmt::format("{} rows, more than the {} records ingest accepted", rows,
                             counts.accepted));
      } else {
        // Batches of many symbols wait in the tick log until ingest catches up with the stream
        // (a folder from before the log has no such table: nothing is logged there).
        std::string logged;
        if (auto log = TickLog::Open(**clean)) {
          if (auto ticks = log->Ticks(); ticks && *ticks > 0) {
            logged = fmt::format(", and {} ticks logged, folded in as ingest catches up", *ticks);
          }
        }
        run.Ok("clean rows", "clean.db",
               fmt::format("{} rows, {} accepted (re-sent keys are upserts){}", rows,
                           counts.accepted, logged));
      }
    }
  }

  // The archive: each batch's range (one object per area and day, all named by the range).
  FileArchive archive(run.config.data_dir);
  // Objects of earlier stream generations cover ranges of streams that no longer exist.
  auto generation = StreamGeneration(run.config.data_dir);
  if (!generation) {
    run.Fail("coverage", "stockpipe.json", generation.error());
    return;
  }
  std::map<std::string, std::map<std::pair<std::uint64_t, std::uint64_t>,
                                 std::vector<std::string>>>
      ranges;                                   // shard -> (first, last) -> keys
  std::map<std::string, std::size_t> migrated;  // area -> objects
  for (std::string_view area : {"raw/", "rejected/"}) {
    auto listed = archive.List(area);
    if (!listed) {
      run.Fail("coverage", std::string(area), listed.error());
      return;
    }
    for (const ObjectInfo& o : *listed) {
      // `stockpipe migrate raw` wrote these from the reference pipeline's archive: they hold no
      // stream range (the migration's own ledger accounts for them).
      if (migrate::IsMigratedObjectKey(o.key)) {
        ++migrated[std::string(area)];
        continue;
      }
      auto name = ParseObjectKey(o.key);
      if (!name) {
        run.Fail("name", o.key, "not a name ingest writes (<area>/dt=DATE/<shard>-<first>-<last>)");
        continue;
      }
      if (name->generation != *generation) continue;
      ranges[name->shard][{name->first, name->last}].push_back(o.key);
    }
  }
  for (const auto& [area, count] : migrated) {
    run.Ok("migrated", area, fmt::format("{} object(s) from the reference pipeline", count));
  }
  std::set<std::string> shards;
  for (const auto& [shard, _] : ranges) shards.insert(shard);
  for (const auto& [shard, _] : positions) shards.insert(shard);
  for (const std::string& shard : shards) {
    const ShardPosition pos = positions.count(shard) ? positions[shard] : ShardPosition{};
    std::uint64_t next = 1;
    bool sound = true;
    for (const auto& [range, keys] : ranges[shard]) {
      const auto [first, last] = range;
      if (first > pos.committed) {
        // Written by a batch that crashed before its checkpoint: the replay rewrites it.
        if (first == pos.claim_first && last == pos.claim_last) continue;
        run.Fail("coverage", keys.front(),
                 fmt::format("{}-{} is past the committed checkpoint {} and not the claimed batch",
                             first, last, pos.committed));
        sound = false;
        continue;
      }
      if (first != next) {
        run.Fail(
            "coverage", keys.front(),
            first > next
                ? fmt::format("gap: sequences {}-{} of {} are in no object", next, first - 1, shard)
                : fmt::format("overlap: {}-{} starts inside the range before it", first, last));
        sound = false;
      }
      next = std::max(next, last + 1);
    }
    if (next != pos.committed + 1) {
      run.Fail("coverage", shard,
               fmt::format("objects cover 1-{} but the checkpoint committed 1-{}", next - 1,
                           pos.committed));
      sound = false;
    }
    if (sound) {
      run.Ok("coverage", shard,
             pos.committed == 0 ? std::string("nothing committed yet")
                                : fmt::format("sequences 1-{} in {} batches", pos.committed,
                                              ranges[shard].size()));
    }
    if (!run.deep) continue;
    // Every object read back: a batch's lines (raw + quarantine, every day) are its range.
    for (const auto& [range, keys] : ranges[shard]) {
      std::uint64_t lines = 0;
      bool readable = true;
      for (const std::string& key : keys) {
        auto bytes = archive.Get(key);
        auto text = bytes ? GzipDecompress(*bytes) : Result<std::string>(bytes.status());
        if (!text) {
          run.Fail("read", key, text.error());
          readable = false;
          continue;
        }
        lines += static_cast<std::uint64_t>(std::count(text->begin(), text->end(), '\n'));
        if (!text->empty() && text->back() != '\n') ++lines;
      }
      const std::uint64_t expected = range.second - range.first + 1;
      if (readable && lines != expected) {
        run.Fail("lines", keys.front(),
                 fmt::format("{} lines in the batch's {} object(s), its range {}-{} holds {}",
                             lines, keys.size(), range.first, range.second, expected));
      } else if (readable) {
        run.Ok("lines", keys.front(), fmt::format("{} lines in {} object(s)", lines, keys.size()));
      }
    }
  }
}

// The checks, in the order they run. The data-folder identity check goes in here as one more
// entry, once that exists.
// Each store belongs to this data folder and the stream generation (store/data_folder.h).
void CheckIdentity(CheckRun& run) {
  for (StoreKind kind : kAllStores) {
    const std::string file = fs::path(StorePath(run.config.data_dir, kind)).filename().string();
    if (Status status = VerifyStore(run.config.data_dir, kind); !status.ok()) {
      run.Fail("identity", file, status.message());
    } else {
      run.Ok("identity", file, "belongs to this data folder");
    }
  }
}

std::vector<NamedCheck> Checks() {
  return {
      {"stream.db", [](CheckRun& r) { CheckStore(r, "stream.db"); }},
      {"clean.db", [](CheckRun& r) { CheckStore(r, "clean.db"); }},
      {"state.db", [](CheckRun& r) { CheckStore(r, "state.db"); }},
      {"outbox.db", [](CheckRun& r) { CheckStore(r, "outbox.db"); }},
      {"catalog.json", CheckCatalog},
      {"counts and coverage", CheckCountsAndCoverage},
      {"identity", CheckIdentity},
  };
}

}  // namespace

int RunCheck(const Config& config, const CheckOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(config.data_dir, ec)) {
    spdlog::error("check: data folder {} does not exist", config.data_dir);
    return 1;
  }
  CheckRun run{config, options.deep, {}};
  for (const NamedCheck& check : Checks()) check.run(run);
  bool all_ok = true;
  std::string json = "[";
  for (const Finding& f : run.findings) {
    all_ok = all_ok && f.ok;
    if (options.json) {
      if (json.size() > 1) json += ',';
      json += fmt::format(R"({{"ok":{},"check":)", f.ok);
      AppendJsonString(f.check, json);
      json += R"(,"file":)";
      AppendJsonString(f.file, json);
      json += R"(,"detail":)";
      AppendJsonString(f.detail, json);
      json += '}';
    } else {
      std::cout << fmt::format("{:<4}  {:<14} {:<40} {}\n", f.ok ? "ok" : "FAIL", f.check, f.file,
                               f.detail);
    }
  }
  if (options.json) std::cout << json << "]\n";
  return all_ok ? 0 : 1;
}

}  // namespace stockpipe
