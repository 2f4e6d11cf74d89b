#include "archive/local/file_archive.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>  // renameat2, RENAME_NOREPLACE
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "codec/gzip.h"

namespace stockpipe {
namespace fs = std::filesystem;
namespace {

Status Errno(std::string_view what, const fs::path& path) {
  return Status::Error(fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

Status SyncPath(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("cannot fsync", path);
  return Status::Ok();
}

bool IsTemporary(const fs::path& path) {
  return path.extension() == ".tmp";
}

}  // namespace

Result<fs::path> FileArchive::PathOf(std::string_view key) const {
  if (key.empty() || key.front() == '/' || key.find("..") != std::string_view::npos) {
    return Status::Error(fmt::format("object key \"{}\" is not a relative path", key));
  }
  return root_ / fs::path(key);
}

Status FileArchive::Put(std::string_view key, std::string_view bytes) {
  auto path = PathOf(key);
  if (!path) return path.status();
  std::error_code ec;
  fs::create_directories(path->parent_path(), ec);
  if (ec)
    return Status::Error(
        fmt::format("cannot create {}: {}", path->parent_path().string(), ec.message()));
  // One writer per key (ingest holds a lock), so a fixed temporary name is safe, and a crashed
  // writer's leftover is truncated and reused by the retry instead of piling up.
  const fs::path tmp = path->string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", tmp);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = Errno("cannot write", tmp);
      ::close(fd);
      return s;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status s = Errno("cannot fsync", tmp);
    ::close(fd);
    return s;
  }
  ::close(fd);
  // Never over an existing object: the name is taken only if it is free.
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path->c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EINVAL || errno == ENOSYS) {
      // A file system without RENAME_NOREPLACE: link() fails on an existing name just the same.
      if (::link(tmp.c_str(), path->c_str()) != 0 && errno != EEXIST) {
        return Errno("cannot link to", *path);
      }
      const bool exists = errno == EEXIST;
      ::unlink(tmp.c_str());
      if (exists) return SameOrRefuse(key, *path, bytes);
    } else if (errno == EEXIST) {
      ::unlink(tmp.c_str());
      return SameOrRefuse(key, *path, bytes);
    } else {
      return Errno("cannot rename to", *path);
    }
  }
  return SyncPath(path->parent_path(), O_RDONLY | O_DIRECTORY);
}

Status FileArchive::SameOrRefuse(std::string_view key, const fs::path& path,
                                 std::string_view bytes) {
  auto existing = Get(key);
  if (!existing) return existing.status();
  // A replayed batch: the same object again (compressed alike, or by the build before an upgrade).
  if (SameGzipContent(*existing, bytes)) return Status::Ok();
  return Status::Error(fmt::format(
      "object {} already exists with other content ({} bytes there, {} bytes new): refusing to "
      "replace it (a stream started over without a new generation? see `stockpipe repair`)",
      path.string(), existing->size(), bytes.size()));
}

Result<std::vector<ObjectInfo>> FileArchive::List(std::string_view prefix) {
  std::vector<ObjectInfo> objects;
  // Walk only the folder the prefix names, so listing one day's partition is cheap.
  const std::string prefix_text(prefix);
  const auto slash = prefix_text.rfind('/');
  const fs::path start = slash == std::string::npos ? root_ : root_ / prefix_text.substr(0, slash);
  std::error_code ec;
  if (!fs::exists(start, ec)) return objects;
  for (fs::recursive_directory_iterator it(start, ec), end; it != end; it.increment(ec)) {
    if (ec) return Status::Error(fmt::format("cannot list {}: {}", start.string(), ec.message()));
    if (!it->is_regular_file(ec) || IsTemporary(it->path())) continue;
    std::string key = it->path().lexically_relative(root_).generic_string();
    if (!key.starts_with(prefix)) continue;
    ObjectInfo info;
    info.size = it->file_size(ec);
    const auto mtime = it->last_write_time(ec);
    info.modified_us = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::file_clock::to_sys(mtime).time_since_epoch())
                           .count();
    info.key = std::move(key);
    objects.push_back(std::move(info));
  }
  std::sort(objects.begin(), objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return objects;
}

Result<std::string> FileArchive::Get(std::string_view key) {
  auto path = PathOf(key);
  if (!path) return path.status();
  std::ifstream in(*path, std::ios::binary);
  if (!in) return Status::Error(fmt::format("object {} does not exist", key));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return std::move(buffer).str();
}

}  // namespace stockpipe
