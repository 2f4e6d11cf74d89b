// Test helpers for "a read-only command changes nothing": a snapshot of every file under a
// folder (path, size, mtime, SHA-256), and a tmpfs mount (read-only or nearly full) for tests
// running as root, where chmod stops nothing. Mounts are undone by the destructor (lazy unmount,
// so a child still holding a file cannot keep it mounted), on failure too.
#pragma once

#include <openssl/evp.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace stockpipe::testing {

struct FileState {
  std::uintmax_t size = 0;
  std::filesystem::file_time_type mtime;
  std::string sha256;
  bool operator==(const FileState&) const = default;
};

inline std::string Sha256Of(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 16);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    EVP_DigestUpdate(ctx, buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

// Every file and folder under `root` (relative paths; folders with an empty hash).
inline std::map<std::string, FileState> Snapshot(const std::filesystem::path& root) {
  std::map<std::string, FileState> out;
  namespace fs = std::filesystem;
  if (!fs::exists(root)) return out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    FileState state;
    state.mtime = fs::last_write_time(entry.path());
    if (entry.is_regular_file()) {
      state.size = entry.file_size();
      state.sha256 = Sha256Of(entry.path());
    }
    out[fs::relative(entry.path(), root).generic_string()] = state;
  }
  return out;
}

// Names of what differs between two snapshots: created, removed or changed.
inline std::vector<std::string> Differences(const std::map<std::string, FileState>& before,
                                            const std::map<std::string, FileState>& after) {
  std::vector<std::string> out;
  for (const auto& [path, state] : after) {
    auto it = before.find(path);
    if (it == before.end()) {
      out.push_back("created " + path);
    } else if (!(it->second == state)) {
      out.push_back("changed " + path);
    }
  }
  for (const auto& [path, state] : before) {
    if (!after.count(path)) out.push_back("removed " + path);
  }
  return out;
}

inline bool IsRoot() {
  return ::geteuid() == 0;
}

// A tmpfs of `size` (e.g. "8m") mounted on `where` (created); unmounted on destruction.
class TmpfsMount {
 public:
  TmpfsMount(std::filesystem::path where, const std::string& size) : where_(std::move(where)) {
    std::filesystem::create_directories(where_);
    const std::string options = "size=" + size + ",mode=0755";
    if (::mount("tmpfs", where_.c_str(), "tmpfs", 0, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(where_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  // Remounts read-only (writes fail with EROFS, for root too).
  bool MakeReadOnly() {
    return ::mount("tmpfs", where_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }
  // Fills the free space with one file until the next write fails with ENOSPC.
  bool Fill() {
    std::ofstream out(where_ / ".filler", std::ios::binary);
    const std::string block(1 << 16, 'x');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size()))) {
    }
    out.clear();
    // Then byte by byte, so not even a small write fits.
    while (out.put('x') && out.flush()) {
    }
    return true;
  }

 private:
  std::filesystem::path where_;
  bool mounted_ = false;
  std::string error_;
};

}  // namespace stockpipe::testing
