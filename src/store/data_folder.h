// The data folder's identity: which folder and which stream generation each store belongs to.
//
// Why. The stores of a data folder (stream.db, clean.db, state.db, outbox.db) and its RAW archive
// only make sense together: RAW object names come from stream positions, so a stream.db that is
// deleted, emptied or swapped restarts its sequence numbers at 1 and the next batch would be
// named like objects of the old stream. Each part therefore says whose it is, and a part that
// does not match is refused at open with an error naming the file and what was expected, until
// the user says what to do (`stockpipe repair`, docs/data-folder.md).
//
// How.
// - `<data-dir>/stockpipe.json`, the manifest, written atomically (temporary file, fsync,
//   rename, fsync of the folder) when the folder is first used:
//     {"format":1,"folder_id":"<32 hex>","generation":1,"stores":["stream","clean"],
//      "history":[{"generation":1,"at":"...","event":"created","detail":"..."}]}
//   `stores` lists every store this folder has created, so a listed store that is missing or
//   empty is known to be lost, while one never created yet is simply created.
// - Each SQLite store holds a table `stockpipe_identity(key, value)` with `folder_id`, `store`
//   and, in stream.db, `generation`: the stream generation it was created for.
// - A store is checked against the manifest before its own code opens it (BindStore):
//     stamped by this folder (and, for the stream, this generation)   -> ok
//     stamped by another folder, or the stream of another generation  -> refused (foreign)
//     listed in the manifest but missing, empty or without a stamp    -> refused (lost/replaced)
//     not listed, empty                                                -> a new store: stamped
//     not listed, with data but no stamp (made before identities)      -> adopted: stamped
//   A folder without a manifest whose stores have no stamps (the format before identities) is
//   adopted as a whole on first open: a new folder id, generation 1, every existing store
//   stamped; nothing is renamed, so every existing object name stays valid. A folder without a
//   manifest whose stores carry stamps is refused: `stockpipe repair` writes the manifest again.
// - The stream generation goes into RAW and quarantine object names (ingest/ingestor.h):
//   generation 1 keeps the names of before (`shard-000001-<first>-<last>.jsonl.gz`), generation
//   N >= 2 adds `-g<N>` after the shard, so a new stream never names an object like an old one.
// - SQLite answers NOTADB or CORRUPT when the file is garbled: the error names the file.
//
// Concurrency: the checks and the manifest updates hold an exclusive flock on the data folder
// itself, so a producer and an ingest starting on a new folder at once agree on one identity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace stockpipe {

enum class StoreKind { kStream, kClean, kState, kOutbox };
inline constexpr StoreKind kAllStores[] = {StoreKind::kStream, StoreKind::kClean, StoreKind::kState,
                                           StoreKind::kOutbox};

std::string_view StoreName(StoreKind kind);  // "stream", "clean", "state", "outbox"
std::string StorePath(const std::string& data_dir, StoreKind kind);  // <data-dir>/stream.db ...
std::optional<StoreKind> StoreKindFromName(std::string_view name);

struct FolderEvent {
  std::uint64_t generation = 1;
  std::string at;      // canonical UTC time
  std::string event;   // created, adopted, new-stream, reset-<store>, manifest-rebuilt
  std::string detail;  // what was lost or kept, in words
};

struct Manifest {
  int format = 1;
  std::string folder_id;
  std::uint64_t generation = 1;     // of the stream
  std::vector<std::string> stores;  // store names this folder has created
  std::vector<FolderEvent> history;

  bool Lists(StoreKind kind) const;
};

std::string ManifestPath(const std::string& data_dir);  // <data-dir>/stockpipe.json
// nullopt when the folder has no manifest; an unreadable one is an error naming the file.
Result<std::optional<Manifest>> ReadManifest(const std::string& data_dir);
Status WriteManifest(const std::string& data_dir, const Manifest& manifest);

// What a store file carries.
struct StoreStamp {
  bool exists = false;    // the file is there
  bool has_data = false;  // it has tables besides the identity (or is not empty)
  std::optional<std::string> folder_id;
  std::optional<std::uint64_t> generation;  // the stream's
  std::uint64_t bytes = 0;
};
// Reads a store file without changing it; a garbled file is an error naming it.
Result<StoreStamp> ReadStoreStamp(const std::string& path);

// Before a store of the folder is opened for writing: checks it against the manifest (creating
// the manifest for a new folder, adopting a folder from before identities) and stamps a new or
// adopted store. An error names the file, what it holds and what was expected, and what to do.
Status BindStore(const std::string& data_dir, StoreKind kind);

// The same check without writing anything (for read-only commands such as `stockpipe check`):
// ok when the store matches, or when it was never created and does not exist.
Status VerifyStore(const std::string& data_dir, StoreKind kind);

// The folder's stream generation for naming RAW objects (1 for a folder without a manifest).
Result<std::uint64_t> StreamGeneration(const std::string& data_dir);

// Holds an exclusive flock on the data folder (not on a file in it) while alive.
class FolderLock {
 public:
  static Result<FolderLock> Acquire(const std::string& data_dir);
  FolderLock(FolderLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FolderLock& operator=(FolderLock&&) = delete;
  ~FolderLock();

 private:
  explicit FolderLock(int fd) : fd_(fd) {}
  int fd_;
};

// Gives a folder without a manifest its identity (new, or adopting the stores it has).
Status EnsureManifest(const std::string& data_dir);

// The steps `stockpipe repair` takes, each under the folder lock; each returns what it did.
// Writes the manifest again from the stores' stamps (when it is missing or unreadable and the
// stamps agree on one folder).
Result<std::string> RebuildManifest(const std::string& data_dir);
// Moves `kind`'s file (and its -wal/-shm) aside as `<file>.<suffix>`, removes the store from
// the manifest's list so that it is created anew, and records `event` with `detail`;
// for the stream it also starts the next generation. Returns the path it moved the file to
// ("" when there was no file).
Result<std::string> RetireStore(const std::string& data_dir, StoreKind kind,
                                std::string_view detail);

}  // namespace stockpipe
