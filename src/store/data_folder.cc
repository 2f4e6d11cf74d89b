#include "store/data_folder.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/timestamp.h"
#include "sqlite/database.h"

namespace stockpipe {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view kIdentityTable = "stockpipe_identity";

std::string Errno(std::string_view what, const std::string& path) {
  return fmt::format("{} {}: {}", what, path, std::strerror(errno));
}

Result<std::string> NewFolderId() {
  unsigned char bytes[16];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Error(Errno("cannot draw a folder id from", "getrandom"));
    }
    got += static_cast<std::size_t>(n);
  }
  std::string id;
  for (unsigned char b : bytes) id += fmt::format("{:02x}", b);
  return id;
}

Status SyncFolder(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Error(Errno("cannot open", dir));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::Error(Errno("cannot fsync", dir));
  return Status::Ok();
}

// The words users read to fix a lost or foreign store.
std::string Remedy(StoreKind kind, std::uint64_t generation) {
  switch (kind) {
    case StoreKind::kStream:
      return fmt::format(
          "restore it from a backup, or run `stockpipe repair --new-stream` to start stream "
          "generation {} (it says what is lost; RAW objects stay as they are)",
          generation + 1);
    case StoreKind::kClean:
      return "restore it from a backup, or run `stockpipe repair --reset clean` to start an empty "
             "CLEAN store (RAW keeps every record)";
    case StoreKind::kState:
      return "restore it from a backup, or run `stockpipe repair --reset state` to start an empty "
             "state store (cooldowns, watchdog and Kinesis checkpoints start over)";
    case StoreKind::kOutbox:
      return "restore it from a backup, or run `stockpipe repair --reset outbox` (alerts still "
             "pending in it are lost)";
  }
  return "";
}

Status WriteStamp(const std::string& path, StoreKind kind, const Manifest& manifest) {
  // The stamp may be what creates the file: with the page size its store opens it with.
  const int page_size = kind == StoreKind::kStream ? sqlite::kBlobPageSize : 0;
  auto db = sqlite::Database::Open(path, true, sqlite::Sync::kNormal, false, page_size);
  if (!db) return db.status();
  sqlite::Database& d = **db;
  return sqlite::Transaction(d, [&]() -> Status {
    if (Status s = d.Exec(
            fmt::format("CREATE TABLE IF NOT EXISTS {}(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                        kIdentityTable));
        !s.ok()) {
      return s;
    }
    auto put = d.Prepare(
        fmt::format("INSERT OR REPLACE INTO {}(key, value) VALUES(?, ?)", kIdentityTable));
    if (!put) return put.status();
    std::vector<std::pair<std::string, std::string>> rows = {
        {"folder_id", manifest.folder_id},
        {"store", std::string(StoreName(kind))},
        {"stamped", FormatCanonical(NowMicros())}};
    if (kind == StoreKind::kStream)
      rows.emplace_back("generation", std::to_string(manifest.generation));
    for (const auto& [key, value] : rows) {
      put->Reset();
      put->Bind(1, key).Bind(2, value);
      if (Status s = d.Check(put->Step(), "stamp the store's identity"); !s.ok()) return s;
    }
    return Status::Ok();
  });
}

void List(Manifest& manifest, StoreKind kind) {
  if (!manifest.Lists(kind)) manifest.stores.emplace_back(StoreName(kind));
}

// A folder without a manifest: new, or from before identities (adopted as a whole).
Status CreateManifest(const std::string& data_dir) {
  std::map<StoreKind, StoreStamp> stamps;
  for (StoreKind kind : kAllStores) {
    auto stamp = ReadStoreStamp(StorePath(data_dir, kind));
    if (!stamp) return stamp.status();
    if (stamp->folder_id) {
      return Status::Error(fmt::format(
          "{} is missing (or was deleted) but {} belongs to data folder {}: run `stockpipe "
          "repair` to write the manifest again from the stores",
          ManifestPath(data_dir), StorePath(data_dir, kind), *stamp->folder_id));
    }
    stamps[kind] = *stamp;
  }
  auto id = NewFolderId();
  if (!id) return id.status();
  Manifest manifest;
  manifest.folder_id = *id;
  std::vector<std::string> adopted;
  for (const auto& [kind, stamp] : stamps) {
    if (stamp.has_data) adopted.emplace_back(StoreName(kind));
  }
  std::error_code ec;
  const bool has_archive =
      fs::exists(fs::path(data_dir) / "raw", ec) || fs::exists(fs::path(data_dir) / "rejected", ec);
  FolderEvent event{1, FormatCanonical(NowMicros()),
                    adopted.empty() && !has_archive ? "created" : "adopted", ""};
  if (event.event == "adopted") {
    event.detail = fmt::format(
        "a folder from before identities; stores kept as they are: {}",
        adopted.empty() ? std::string("none") : fmt::format("{}", fmt::join(adopted, ", ")));
  }
  manifest.history.push_back(event);
  for (const auto& [kind, stamp] : stamps) {
    if (!stamp.has_data) continue;
    if (Status s = WriteStamp(StorePath(data_dir, kind), kind, manifest); !s.ok()) return s;
    List(manifest, kind);
  }
  if (event.event == "adopted") {
    spdlog::info("data folder {}: adopted (folder id {}, stream generation 1; {})", data_dir,
                 manifest.folder_id, event.detail);
  }
  return WriteManifest(data_dir, manifest);
}

// The check both BindStore and VerifyStore make; `write` lets it stamp and list the store.
Status CheckStore(const std::string& data_dir, StoreKind kind, Manifest& manifest, bool write) {
  const std::string path = StorePath(data_dir, kind);
  auto stamp = ReadStoreStamp(path);
  if (!stamp) return stamp.status();
  const std::string expected =
      kind == StoreKind::kStream
          ? fmt::format("stream generation {} of data folder {}", manifest.generation,
                        manifest.folder_id)
          : fmt::format("the {} store of data folder {}", StoreName(kind), manifest.folder_id);
  if (stamp->folder_id) {
    if (*stamp->folder_id != manifest.folder_id) {
      return Status::Error(fmt::format(
          "{} belongs to another data folder ({}), expected {} (copied in from elsewhere?); {}",
          path, *stamp->folder_id, expected, Remedy(kind, manifest.generation)));
    }
    if (kind == StoreKind::kStream && stamp->generation.value_or(0) != manifest.generation) {
      return Status::Error(fmt::format(
          "{} holds stream generation {}, expected {} (an old copy put back?); {}", path,
          stamp->generation.value_or(0), expected, Remedy(kind, manifest.generation)));
    }
    if (write && !manifest.Lists(kind)) {
      List(manifest, kind);
      return WriteManifest(data_dir, manifest);
    }
    return Status::Ok();
  }
  if (manifest.Lists(kind)) {
    const std::string found = !stamp->exists     ? "is missing"
                              : !stamp->has_data ? fmt::format("is empty ({} bytes)", stamp->bytes)
                                                 : "has data but no identity (replaced?)";
    std::string lost =
        kind == StoreKind::kStream
            ? "; the stream's unread records, sequence numbers and counters are not in it"
            : "";
    return Status::Error(fmt::format("{} {}, expected {}{}; {}", path, found, expected, lost,
                                     Remedy(kind, manifest.generation)));
  }
  if (!write) return Status::Ok();  // never created: the first command that writes creates it
  if (stamp->has_data) {
    spdlog::warn(
        "{} has data but no identity (made before identities?): adopting it into data "
        "folder {}",
        path, manifest.folder_id);
  }
  if (Status s = WriteStamp(path, kind, manifest); !s.ok()) return s;
  List(manifest, kind);
  return WriteManifest(data_dir, manifest);
}

Result<Manifest> RequireManifest(const std::string& data_dir) {
  auto manifest = ReadManifest(data_dir);
  if (!manifest) return manifest.status();
  if (!*manifest) {
    return Status::Error(
        fmt::format("{} does not exist: this folder has no identity yet", ManifestPath(data_dir)));
  }
  return std::move(**manifest);
}

std::string CompactTime() {
  std::string t = FormatCanonical(NowMicros());  // 2026-12-04T15:00:00.000000Z
  std::string out;
  for (char c : t.substr(0, 19)) {
    if (c != '-' && c != ':') out += c;
  }
  return out + "Z";
}

}  // namespace

std::string_view StoreName(StoreKind kind) {
  switch (kind) {
    case StoreKind::kStream:
      return "stream";
    case StoreKind::kClean:
      return "clean";
    case StoreKind::kState:
      return "state";
    case StoreKind::kOutbox:
      return "outbox";
  }
  return "?";
}

std::optional<StoreKind> StoreKindFromName(std::string_view name) {
  for (StoreKind kind : kAllStores) {
    if (StoreName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string StorePath(const std::string& data_dir, StoreKind kind) {
  return fmt::format("{}/{}.db", data_dir, StoreName(kind));
}

std::string ManifestPath(const std::string& data_dir) {
  return data_dir + "/stockpipe.json";
}

bool Manifest::Lists(StoreKind kind) const {
  return std::find(stores.begin(), stores.end(), StoreName(kind)) != stores.end();
}

Result<std::optional<Manifest>> ReadManifest(const std::string& data_dir) {
  const std::string path = ManifestPath(data_dir);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::optional<Manifest>();
    return Status::Error(Errno("cannot read", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  const auto bad = [&](std::string_view what) {
    return Status::Error(fmt::format(
        "{} is unreadable ({}); run `stockpipe repair` to write it again from the stores", path,
        what));
  };
  const json j = json::parse(text.str(), nullptr, false);
  if (!j.is_object()) return bad("not a JSON object");
  Manifest m;
  if (!j.contains("format") || !j["format"].is_number_integer()) return bad("no \"format\"");
  m.format = j["format"].get<int>();
  if (m.format != 1)
    return bad(fmt::format("format {} is newer than this stockpipe's 1", m.format));
  if (!j.contains("folder_id") || !j["folder_id"].is_string() ||
      j["folder_id"].get<std::string>().empty()) {
    return bad("no \"folder_id\"");
  }
  m.folder_id = j["folder_id"].get<std::string>();
  if (!j.contains("generation") || !j["generation"].is_number_unsigned() ||
      j["generation"].get<std::uint64_t>() < 1) {
    return bad("\"generation\" must be a number >= 1");
  }
  m.generation = j["generation"].get<std::uint64_t>();
  if (j.contains("stores")) {
    if (!j["stores"].is_array()) return bad("\"stores\" is not a list");
    for (const json& s : j["stores"]) {
      if (!s.is_string() || !StoreKindFromName(s.get<std::string>())) {
        return bad("\"stores\" names an unknown store");
      }
      m.stores.push_back(s.get<std::string>());
    }
  }
  if (j.contains("history") && j["history"].is_array()) {
    for (const json& e : j["history"]) {
      if (!e.is_object()) return bad("a \"history\" entry is not an object");
      FolderEvent event;
      event.generation = e.value("generation", std::uint64_t{0});
      event.at = e.value("at", "");
      event.event = e.value("event", "");
      event.detail = e.value("detail", "");
      m.history.push_back(std::move(event));
    }
  }
  return std::optional<Manifest>(std::move(m));
}

Status WriteManifest(const std::string& data_dir, const Manifest& m) {
  json history = json::array();
  for (const FolderEvent& e : m.history) {
    json entry = {{"generation", e.generation}, {"at", e.at}, {"event", e.event}};
    if (!e.detail.empty()) entry["detail"] = e.detail;
    history.push_back(std::move(entry));
  }
  const json j = {{"format", m.format},
                  {"folder_id", m.folder_id},
                  {"generation", m.generation},
                  {"stores", m.stores},
                  {"history", std::move(history)}};
  const std::string text = j.dump(2) + "\n";
  const std::string path = ManifestPath(data_dir);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error(Errno("cannot create", tmp));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Status::Error(Errno("cannot write", tmp));
      ::close(fd);
      return s;
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return Status::Error(Errno("cannot fsync", tmp));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return Status::Error(Errno("cannot rename to", path));
  return SyncFolder(data_dir);
}

Result<StoreStamp> ReadStoreStamp(const std::string& path) {
  StoreStamp stamp;
  std::error_code ec;
  if (!fs::exists(path, ec)) return stamp;
  stamp.exists = true;
  stamp.bytes = fs::file_size(path, ec);
  auto db = sqlite::Database::Open(path, false, sqlite::Sync::kNormal, true);
  if (!db) return db.status();
  sqlite::Database& d = **db;
  auto tables = d.Prepare("SELECT name FROM sqlite_schema WHERE type='table'");
  if (!tables) {
    return Status::Error(
        fmt::format("{} is not a readable SQLite database: {}", path, sqlite3_errmsg(d.handle())));
  }
  bool has_identity = false;
  int rc;
  while ((rc = tables->Step()) == SQLITE_ROW) {
    if (tables->Text(0) == kIdentityTable) {
      has_identity = true;
    } else {
      stamp.has_data = true;
    }
  }
  if (rc != SQLITE_DONE) {
    return Status::Error(
        fmt::format("{} is not a readable SQLite database: {}", path, sqlite3_errmsg(d.handle())));
  }
  if (!has_identity) return stamp;
  auto rows = d.Prepare(fmt::format("SELECT key, value FROM {}", kIdentityTable));
  if (!rows) return rows.status();
  while ((rc = rows->Step()) == SQLITE_ROW) {
    const std::string_view key = rows->Text(0), value = rows->Text(1);
    if (key == "folder_id") stamp.folder_id = std::string(value);
    if (key == "generation")
      stamp.generation = std::strtoull(std::string(value).c_str(), nullptr, 10);
  }
  if (Status s = d.Check(rc, "read the store's identity"); !s.ok()) return s;
  return stamp;
}

Result<FolderLock> FolderLock::Acquire(const std::string& data_dir) {
  const int fd = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Error(Errno("cannot open data folder", data_dir));
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    Status s = Status::Error(Errno("cannot lock data folder", data_dir));
    ::close(fd);
    return s;
  }
  return FolderLock(fd);
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);
}

Status BindStore(const std::string& data_dir, StoreKind kind) {
  auto lock = FolderLock::Acquire(data_dir);
  if (!lock) return lock.status();
  auto manifest = ReadManifest(data_dir);
  if (!manifest) return manifest.status();
  if (!*manifest) {
    if (Status s = CreateManifest(data_dir); !s.ok()) return s;
    manifest = ReadManifest(data_dir);
    if (!manifest) return manifest.status();
  }
  return CheckStore(data_dir, kind, **manifest, true);
}

Status EnsureManifest(const std::string& data_dir) {
  auto lock = FolderLock::Acquire(data_dir);
  if (!lock) return lock.status();
  auto manifest = ReadManifest(data_dir);
  if (!manifest) return manifest.status();
  return *manifest ? Status::Ok() : CreateManifest(data_dir);
}

Status VerifyStore(const std::string& data_dir, StoreKind kind) {
  auto lock = FolderLock::Acquire(data_dir);
  if (!lock) return lock.status();
  auto manifest = ReadManifest(data_dir);
  if (!manifest) return manifest.status();
  if (!*manifest) {
    // No identity yet: fine for a store without one (the next writer adopts the folder).
    auto stamp = ReadStoreStamp(StorePath(data_dir, kind));
    if (!stamp) return stamp.status();
    if (stamp->folder_id) {
      return Status::Error(fmt::format(
          "{} is missing but {} belongs to data folder {}: run `stockpipe repair` to write the "
          "manifest again from the stores",
          ManifestPath(data_dir), StorePath(data_dir, kind), *stamp->folder_id));
    }
    return Status::Ok();
  }
  return CheckStore(data_dir, kind, **manifest, false);
}

Result<std::uint64_t> StreamGeneration(const std::string& data_dir) {
  auto manifest = ReadManifest(data_dir);
  if (!manifest) return manifest.status();
  return *manifest ? (*manifest)->generation : std::uint64_t{1};
}

Result<std::string> RebuildManifest(const std::string& data_dir) {
  auto lock = FolderLock::Acquire(data_dir);
  if (!lock) return lock.status();
  auto existing = ReadManifest(data_dir);
  if (existing && *existing) return std::string("the manifest is readable; nothing to rebuild");
  std::string said;
  if (!existing) {
    const std::string aside = ManifestPath(data_dir) + "." + CompactTime() + ".bad";
    std::error_code ec;
    fs::rename(ManifestPath(data_dir), aside, ec);
    if (ec)
      return Status::Error(
          fmt::format("cannot move {} aside: {}", ManifestPath(data_dir), ec.message()));
    said = fmt::format("the unreadable manifest was moved to {}; ", aside);
  }
  std::set<std::string> ids;
  Manifest m;
  std::uint64_t generation = 1;
  for (StoreKind kind : kAllStores) {
    auto stamp = ReadStoreStamp(StorePath(data_dir, kind));
    if (!stamp) return stamp.status();
    if (!stamp->folder_id) continue;
    ids.insert(*stamp->folder_id);
    m.stores.emplace_back(StoreName(kind));
    if (stamp->generation) generation = std::max(generation, *stamp->generation);
  }
  if (ids.empty()) {
    return said + "no store carries an identity: the next command adopts the folder as new";
  }
  if (ids.size() > 1) {
    return Status::Error(fmt::format(
        "the stores of {} belong to different data folders ({}): move the foreign ones away "
        "first",
        data_dir, fmt::join(ids, ", ")));
  }
  m.folder_id = *ids.begin();
  m.generation = generation;
  m.history.push_back({generation, FormatCanonical(NowMicros()), "manifest-rebuilt",
                       fmt::format("from the stamps of {}", fmt::join(m.stores, ", "))});
  if (Status s = WriteManifest(data_dir, m); !s.ok()) return s;
  return said + fmt::format("manifest written again: folder {}, stream generation {}, stores {}",
                            m.folder_id, m.generation, fmt::join(m.stores, ", "));
}

Result<std::string> RetireStore(const std::string& data_dir, StoreKind kind,
                                std::string_view detail) {
  auto lock = FolderLock::Acquire(data_dir);
  if (!lock) return lock.status();
  auto manifest = RequireManifest(data_dir);
  if (!manifest) return manifest.status();
  const std::string path = StorePath(data_dir, kind);
  const std::string aside = fmt::format("{}.g{}-{}.old", path, manifest->generation, CompactTime());
  std::error_code ec;
  std::string moved;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (!fs::exists(path + suffix, ec)) continue;
    fs::rename(path + suffix, aside + suffix, ec);
    if (ec)
      return Status::Error(fmt::format("cannot move {}{} aside: {}", path, suffix, ec.message()));
    if (moved.empty()) moved = aside;
  }
  manifest->stores.erase(
      std::remove(manifest->stores.begin(), manifest->stores.end(), StoreName(kind)),
      manifest->stores.end());
  std::string event = fmt::format("reset-{}", StoreName(kind));
  if (kind == StoreKind::kStream) {
    ++manifest->generation;
    event = "new-stream";
  }
  std::string text(detail);
  if (!moved.empty())
    text += fmt::format("{}old file moved to {}", text.empty() ? "" : "; ", moved);
  manifest->history.push_back({manifest->generation, FormatCanonical(NowMicros()), event, text});
  if (Status s = WriteManifest(data_dir, *manifest); !s.ok()) return s;
  return moved;
}

}  // namespace stockpipe
