// The local RawArchive: one file per object under a root folder (`<data-dir>`), keys as paths.
//
// Put writes `<key>.tmp`, fsyncs it, moves it to `<key>` only if that name is free
// (renameat2 RENAME_NOREPLACE, or link() where the file system lacks it) and fsyncs the folder,
// so a crash leaves no object or the whole one, never a torn file. Objects are write-once: when
// `<key>` exists, identical bytes are a replay and succeed without touching it, different bytes
// are an error naming the key, and the existing object stays as it was. A leftover temporary
// file is ignored by List and reused by the next Put of the same key (the retry of the batch).
#pragma once

#include <filesystem>
#include <string>

#include "core/raw_archive.h"

namespace stockpipe {

class FileArchive final : public RawArchive {
 public:
  explicit FileArchive(std::filesystem::path root) : root_(std::move(root)) {}

  Status Put(std::string_view key, std::string_view bytes) override;
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override;
  Result<std::string> Get(std::string_view key) override;

  const std::filesystem::path& root() const { return root_; }

 private:
  Result<std::filesystem::path> PathOf(std::string_view key) const;
  Status SameOrRefuse(std::string_view key, const std::filesystem::path& path,
                      std::string_view bytes);
  std::filesystem::path root_;
};

}  // namespace stockpipe
