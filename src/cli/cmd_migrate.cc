// `stockpipe migrate raw|dynamodb`: the reference pipeline's RAW into this archive, its table into
// stockpipe's form (docs/migrate.md).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "migrate/raw_migration.h"
#include "migrate/table_migration.h"
#include "pipeline/aws_options.h"
#include "pipeline/backends.h"

namespace stockpipe {

int RunMigrateRaw(const Config& config, const MigrateRawOptions& options) {
  auto source = migrate::OpenReferenceRawSource(options.from, config);
  if (!source) {
    spdlog::error("migrate raw: {}", source.error());
    return 2;
  }
  auto destination = OpenArchive(config);
  if (!destination) {
    spdlog::error("migrate raw: {}", destination.error());
    return 1;
  }
  migrate::RawMigrationOptions migration;
  migration.dry_run = options.dry_run;
  migration.parallel = options.parallel;
  const std::string to = config.backends.archive == "s3" ? "s3://" + config.aws.raw_bucket + "/"
                                                         : config.data_dir + "/";
  spdlog::info("migrate raw: {} -> {}{}", options.from, to,
               options.dry_run ? " (dry run: nothing is written)" : "");
  const auto progress = [](const migrate::RawMigrationCounts& c, std::string_view hour) {
    spdlog::info(
        "migrate raw: {}-{}-{} {}h done: {} keys listed, {} migrated, {} quarantined, {} "
        "already migrated",
        hour.substr(0, 4), hour.substr(4, 2), hour.substr(6, 2), hour.substr(8, 2), c.listed,
        c.migrated, c.quarantined, c.already_migrated);
  };
  auto counts = migrate::MigrateRaw(**source, **destination, migration, progress);
  if (!counts) {
    spdlog::error("migrate raw: {} (what finished stays; run the command again to resume)",
                  counts.error());
    return 1;
  }
  std::cout << fmt::format(
      "{}{} keys listed: {} records migrated, {} quarantined, {} already migrated, {} already "
      "archived by stockpipe's replay, {} not reference RAW names (left alone)\n{} parts, {} "
      "objects written\n",
      options.dry_run ? "dry run: " : "", counts->listed, counts->migrated, counts->quarantined,
      counts->already_migrated, counts->replayed, counts->not_reference, counts->parts,
      counts->objects_written);
  return 0;
}

int RunMigrateDynamoDb(const Config& config, const MigrateDynamoDbOptions& options) {
  auto dynamodb = DynamoDbOptionsFrom(config);
  if (!dynamodb) {
    spdlog::error("migrate dynamodb: {}", dynamodb.error());
    return 2;
  }
  std::ofstream report(options.report, std::ios::app);
  if (!report) {
    spdlog::error("migrate dynamodb: cannot write the report {}", options.report);
    return 2;
  }
  migrate::TableMigrationOptions migration;
  migration.table = dynamodb->table;
  migration.state_table = dynamodb->state_table;
  migration.dry_run = options.dry_run;
  aws::Client client(std::move(dynamodb->client));
  spdlog::info("migrate dynamodb: {} (registry in {}){}; items left alone are listed in {}",
               migration.table, migration.state_table,
               options.dry_run ? " (dry run: nothing is written)" : "", options.report);
  std::uint64_t reported = 0;
  const auto sink = [&](const migrate::TableMigrationReport& r) {
    ++reported;
    report << nlohmann::json{{"table", migration.table},  {"symbol", r.symbol},
                             {"timestamp", r.timestamp},  {"price", r.price},
                             {"reason", r.reason},        {"action", r.action},
                             {"dry_run", options.dry_run}}
                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
           << '\n';
  };
  const auto progress = [](const migrate::TableMigrationCounts& c) {
    spdlog::info(
        "migrate dynamodb: {} items scanned: {} canonical, {} rewritten, {} merged, {} bad",
        c.scanned, c.canonical, c.rewritten, c.merged, c.bad);
  };
  auto counts = migrate::MigrateTable(client, migration, sink, progress);
  report.flush();
  if (!counts) {
    spdlog::error("migrate dynamodb: {} (what finished stays; run the command again to finish)",
                  counts.error());
    return 1;
  }
  std::cout << fmt::format(
      "{}{} items scanned: {} already canonical, {} rewritten to canonical timestamps, {} merged "
      "into the item of the same instant ({} with another price), {} bad (left in the table), {} "
      "written by this run; {} symbols registered; {} items reported in {}\n",
      options.dry_run ? "dry run: " : "", counts->scanned, counts->canonical, counts->rewritten,
      counts->merged, counts->price_conflicts, counts->bad, counts->written_by_run, counts->symbols,
      reported, options.report);
  return 0;
}

}  // namespace stockpipe
