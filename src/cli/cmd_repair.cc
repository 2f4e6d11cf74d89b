// `stockpipe repair`: what the data folder's identity checks refuse, and the user's way out.
//
//   repair                 checks every store against the manifest (store/data_folder.h), writes
//                          a missing or unreadable manifest again from the stores' stamps, and
//                          prints each remaining problem with its fix; exit 0 when all is well
//   repair --new-stream    moves stream.db aside and starts the next stream generation, after
//                          printing what is lost: the records ingest had not read yet, per shard
//                          and in all, and the stream's counters (recorded in the manifest too)
//   repair --reset STORE   moves clean.db, state.db or outbox.db aside; the next command starts it
//                          empty
// Nothing is deleted: moved files keep their name plus `.g<generation>-<time>.old`. Both fixes
// take the ingest lock, so they never run under a running ingest. Exit 0 done, 1 a problem left.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/commands.h"
#include "pipeline/local_stores.h"
#include "store/data_folder.h"
#include "stream/local/sqlite_stream.h"

namespace stockpipe {
namespace {

// What the old stream still held for ingest, in words; the file may be gone or garbled.
std::string StreamLoss(const std::string& path) {
  auto stamp = ReadStoreStamp(path);
  if (!stamp) return fmt::format("unknown: {}", stamp.error());
  if (!stamp->exists) return "unknown: the file was missing";
  if (!stamp->has_data) return fmt::format("unknown: the file was empty ({} bytes)", stamp->bytes);
  auto db = sqlite::Database::Open(path, false, sqlite::Sync::kNormal, true);
  if (!db) return fmt::format("unknown: {}", db.error());
  auto stats = SqliteStream::ReadStats(**db, kIngestConsumer);
  if (!stats) return fmt::format("unknown: {}", stats.error());
  std::uint64_t unread = 0;
  std::string per_shard;
  for (const ShardStats& s : stats->shards) {
    unread += s.lag_records;
    per_shard += fmt::format("{}{} {} unread (sequences {}..{})", per_shard.empty() ? "" : ", ",
                             s.shard, s.lag_records, s.checkpoint + 1, s.newest_sequence);
  }
  const IngestCounts& c = stats->counts;
  return fmt::format("{} unread records ({}); counters received={} accepted={} rejected={}", unread,
                     per_shard.empty() ? std::string("no shards") : per_shard, c.received,
                     c.accepted, c.rejected_total());
}

std::string StoreLoss(const std::string& path) {
  auto stamp = ReadStoreStamp(path);
  if (!stamp) return fmt::format("the file was unreadable: {}", stamp.error());
  if (!stamp->exists) return "the file was missing";
  return fmt::format("{} bytes", stamp->bytes);
}

// Prints every store's state; true when all match the manifest.
bool Report(const Config& config) {
  bool ok = true;
  auto manifest = ReadManifest(config.data_dir);
  if (!manifest) {
    std::cout << "manifest: " << manifest.error() << "\n";
    ok = false;
  } else if (!*manifest) {
    std::cout << "manifest: none yet (the next command that writes gives the folder an identity)\n";
  } else {
    std::cout << fmt::format("manifest: {} (folder {}, stream generation {})\n",
                             ManifestPath(config.data_dir), (*manifest)->folder_id,
                             (*manifest)->generation);
  }
  for (StoreKind kind : kAllStores) {
    Status s = VerifyStore(config.data_dir, kind);
    std::cout << fmt::format("{}: {}\n", StoreName(kind), s.ok() ? "ok" : s.message());
    ok = ok && s.ok();
  }
  return ok;
}

}  // namespace

int RunRepair(const Config& config, const RepairOptions& options) {
  if (Status s = EnsureDataDir(config); !s.ok()) {
    spdlog::error("repair: {}", s.message());
    return 1;
  }
  const bool fixing = options.new_stream || !options.reset.empty();
  std::unique_ptr<IngestLock> lock;
  if (fixing) {
    auto held = IngestLock::Acquire(config);
    if (!held) {
      spdlog::error("repair: {}; stop it first", held.error());
      return 1;
    }
    lock = std::move(*held);
  }
  auto manifest = ReadManifest(config.data_dir);
  if (!manifest || !*manifest) {
    auto rebuilt = RebuildManifest(config.data_dir);
    if (!rebuilt) {
      spdlog::error("repair: {}", rebuilt.error());
      return 1;
    }
    std::cout << "manifest: " << *rebuilt << "\n";
  }
  if (fixing) {
    // A folder that never had an identity gets one first, so what follows is recorded.
    if (Status s = EnsureManifest(config.data_dir); !s.ok()) {
      spdlog::error("repair: {}", s.message());
      return 1;
    }
  }
  for (const std::string& name : options.reset) {
    const auto kind = StoreKindFromName(name);
    if (!kind || *kind == StoreKind::kStream) {
      spdlog::error(
          "repair --reset: \"{}\" is not clean, state or outbox (the stream: "
          "--new-stream)",
          name);
      return 2;
    }
    const std::string path = StorePath(config.data_dir, *kind);
    const std::string lost = fmt::format("{} store reset; lost: {}", name, StoreLoss(path));
    auto moved = RetireStore(config.data_dir, *kind, lost);
    if (!moved) {
      spdlog::error("repair: {}", moved.error());
      return 1;
    }
    std::cout << lost << (moved->empty() ? "" : "; the old file is now " + *moved) << "\n";
  }
  if (options.new_stream) {
    const std::string path = StorePath(config.data_dir, StoreKind::kStream);
    const std::string lost = fmt::format("new stream; lost from the old one: {}", StreamLoss(path));
    auto moved = RetireStore(config.data_dir, StoreKind::kStream, lost);
    if (!moved) {
      spdlog::error("repair: {}", moved.error());
      return 1;
    }
    auto generation = StreamGeneration(config.data_dir);
    std::cout << lost << (moved->empty() ? "" : "; the old file is now " + *moved) << "\n";
    std::cout << fmt::format(
        "stream generation {} starts with the next command (its RAW objects are named "
        "shard-N-g{}-...); stop running producers first: they still write to the old file\n",
        generation ? *generation : 0, generation ? *generation : 0);
  }
  return Report(config) ? 0 : 1;
}

}  // namespace stockpipe
