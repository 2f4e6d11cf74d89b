// `stockpipe migrate raw`: the reference pipeline's RAW into this archive (docs/migrate.md).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/commands.h"
#include "migrate/raw_migration.h"
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

}  // namespace stockpipe
