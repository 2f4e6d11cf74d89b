// `stockpipe catalog`: crawl the data folder and write <data-dir>/catalog.json.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "archive/local/file_archive.h"
#include "cli/commands.h"
#include "pipeline/local_stores.h"
#include "query/catalog.h"

namespace stockpipe {

int RunCatalog(const Config& config, bool json) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(config.data_dir, ec)) {
    spdlog::error("catalog: data folder {} does not exist", config.data_dir);
    return 1;
  }
  const fs::path path = fs::path(config.data_dir) / "catalog.json";
  std::map<std::string, CatalogObject> previous;
  if (std::ifstream in(path, std::ios::binary); in) {
    std::stringstream text;
    text << in.rdbuf();
    // The catalog is derived from RAW alone: a damaged one is said and then rebuilt whole.
    auto objects = ObjectsFromCatalogJson(text.str());
    if (objects) {
      previous = *std::move(objects);
    } else {
      spdlog::warn("catalog: {} is damaged ({}); reading every object again to write it anew",
                   path.string(), objects.error());
    }
  }
  FileArchive archive(config.data_dir);
  auto catalog = Crawl(archive, LocalPaths(config.data_dir).clean, previous);
  if (!catalog) {
    spdlog::error("catalog: {}", catalog.error());
    return 1;
  }
  for (const UnreadableObject& u : catalog->unreadable) {
    spdlog::warn("catalog: skipped {}: {}", u.key, u.error);
  }
  const std::string text = CatalogToJson(*catalog);
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      spdlog::error("catalog: cannot write {}", tmp.string());
      return 1;
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    spdlog::error("catalog: cannot write {}: {}", path.string(), ec.message());
    return 1;
  }
  if (json) {
    std::cout << text;
    return 0;
  }
  std::cout << fmt::format("catalog written to {} ({} objects read, {} known", path.string(),
                           catalog->objects_read, catalog->objects.size() - catalog->objects_read);
  if (!catalog->unreadable.empty()) {
    std::cout << fmt::format(", {} unreadable skipped", catalog->unreadable.size());
  }
  std::cout << ")\n";
  for (const CatalogTable& t : catalog->tables) {
    std::cout << fmt::format("{}.{}: {} records, {} objects, {} bytes, {} partitions", t.database,
                             t.name, t.records, t.objects, t.bytes, t.partitions.size());
    if (!t.partitions.empty()) {
      std::cout << fmt::format(" ({} .. {})", t.partitions.front().dt, t.partitions.back().dt);
    }
    std::cout << '\n';
    for (const CatalogPartition& p : t.partitions) {
      std::cout << fmt::format("  dt={}: {} records, {} objects, {} bytes\n", p.dt, p.records,
                               p.objects, p.bytes);
    }
  }
  return 0;
}

}  // namespace stockpipe
