// `stockpipe query "SQL"`: run one read-only statement, print it, keep it as CSV.
//
// Every result is also written to <data-dir>/query-results/<query-id>.csv (Athena's results
// bucket); the id, the file and what was scanned go to stderr. A saved file stops at
// kSavedResultsBytes on a whole row and is then named <query-id>.partial.csv, and stderr says how
// many rows it holds (stdout still gets every row). Exit codes: 0 done, 1 the query
// failed (bad SQL, unknown table, unreadable object, time limit), 2 refused because it would
// change something (the engine is read-only) or the data folder is missing.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "cli/commands.h"
#include "pipeline/backends.h"
#include "query/athena_query_engine.h"
#include "query/result_format.h"

namespace stockpipe {
namespace {

constexpr std::uint64_t kSavedResultsBytes = 64 << 20;  // 64 MiB

// A random (version 4) UUID, as Athena names its query executions.
std::string NewQueryId() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) ^ rd() ^
                      static_cast<std::uint64_t>(NowMicros()));
  std::uint64_t hi = gen(), lo = gen();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;              // version 4
  lo = (lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);  // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF,
                     hi & 0xFFFF, lo >> 48, lo & 0xFFFFFFFFFFFFULL);
}

}  // namespace

int RunQuery(const Config& config, const QueryOptions& options) {
  namespace fs = std::filesystem;
  auto engine = OpenQueryEngine(config, options.engine, options.timeout_seconds);
  if (!engine) {
    spdlog::error("query: {}", engine.error());
    return 2;
  }

  const std::string id = NewQueryId();
  const fs::path folder = fs::path(config.data_dir) / "query-results";
  const fs::path path = folder / (id + ".csv");
  const fs::path tmp = folder / (id + ".csv.tmp");
  std::error_code ec;
  fs::create_directories(folder, ec);
  std::ofstream csv_file(tmp, std::ios::binary | std::ios::trunc);
  if (!csv_file) {
    spdlog::error("query: cannot create {}", tmp.string());
    return 1;
  }
  CsvWriter saved(csv_file, kSavedResultsBytes);
  CsvWriter csv(std::cout);
  JsonWriter json(std::cout);
  TableWriter table(std::cout);
  RowSink* shown = options.format == "csv"    ? static_cast<RowSink*>(&csv)
                   : options.format == "json" ? static_cast<RowSink*>(&json)
                                              : static_cast<RowSink*>(&table);
  TeeSink both(*shown, saved);

  const QueryOutcome outcome = (*engine)->Run(options.sql, both);
  csv_file.close();
  if (!outcome.ok()) {
    fs::remove(tmp, ec);
    std::cerr << fmt::format("query {} failed: {}\n", id, outcome.status.message());
    return outcome.failure == QueryFailure::kRefused ? 2 : 1;
  }
  if (options.format == "json") json.Finish();
  if (options.format == "table") table.Finish();
  std::cout.flush();
  const fs::path kept = saved.truncated() ? folder / (id + ".partial.csv") : path;
  fs::rename(tmp, kept, ec);
  if (ec) {
    spdlog::error("query: cannot write {}: {}", kept.string(), ec.message());
    return 1;
  }
  const std::string results =
      saved.truncated()
          ? fmt::format("{} (partial: the first {} of {} rows; saved results stop at {} MiB)",
                        kept.string(), saved.rows_written(), outcome.stats.rows,
                        kSavedResultsBytes >> 20)
          : kept.string();
  const QueryStats& s = outcome.stats;
  if (const auto* athena = dynamic_cast<const AthenaQueryEngine*>(engine->get())) {
    std::cerr << fmt::format(
        "query id: {} (Athena)\nresults: {} (copy: {})\nscanned: {} bytes; {} rows in {:.3f} s\n",
        athena->last_query_id(), athena->last_output_location(), results, s.bytes_scanned, s.rows,
        s.seconds);
    return 0;
  }
  std::cerr << fmt::format(
      "query id: {}\nresults: {}\nscanned: {} objects, {} bytes, {} records; {} rows in {:.3f} s\n",
      id, results, s.objects_opened.size(), s.bytes_scanned, s.records_scanned, s.rows, s.seconds);
  return 0;
}

}  // namespace stockpipe
