#include "migrate/reference_raw.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "archive/s3/s3_archive.h"
#include "pipeline/aws_options.h"

namespace stockpipe::migrate {
namespace {

namespace fs = std::filesystem;

bool Digits(std::string_view text, std::size_t count, int& out) {
  if (text.size() < count) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + count, out);
  return ec == std::errc() && end == text.data() + count;
}

class S3Source final : public ReferenceRawSource {
 public:
  S3Source(S3ArchiveOptions options, std::string prefix)
      : archive_(std::move(options)), prefix_(std::move(prefix)) {}

  Result<std::vector<std::string>> ListAfter(std::string_view after, int max) override {
    auto page = archive_.ListAfter(prefix_, after.empty() ? "" : prefix_ + std::string(after), max);
    if (!page) return page.status();
    std::vector<std::string> keys;
    keys.reserve(page->size());
    for (ObjectInfo& o : *page) keys.push_back(o.key.substr(prefix_.size()));
    return keys;
  }

  Result<std::string> Get(std::string_view key) override {
    return archive_.Get(prefix_ + std::string(key));
  }

  std::string Where(std::string_view key) const override {
    return "s3://" + archive_.bucket() + "/" + prefix_ + std::string(key);
  }

 private:
  S3Archive archive_;
  std::string prefix_;
};

// A local copy of the tree (`aws s3 sync s3://BUCKET/raw/ DIR`). Listing walks the folders in
// name order and skips every folder that sorts wholly before `after`, so a page costs one day's
// folder, not the whole tree.
class FolderSource final : public ReferenceRawSource {
 public:
  explicit FolderSource(fs::path root) : root_(std::move(root)) {}

  Result<std::vector<std::string>> ListAfter(std::string_view after, int max) override {
    std::vector<std::string> keys;
    std::error_code error;
    Walk(root_, "", after, static_cast<std::size_t>(max), keys, error);
    if (error) return Status::Error("reading " + root_.string() + ": " + error.message());
    return keys;
  }

  Result<std::string> Get(std::string_view key) override {
    std::ifstream file(root_ / std::string(key), std::ios::binary);
    if (!file) return Status::Error("cannot read " + Where(key));
    std::ostringstream bytes;
    bytes << file.rdbuf();
    if (file.bad()) return Status::Error("cannot read " + Where(key));
    return std::move(bytes).str();
  }

  std::string Where(std::string_view key) const override {
    return (root_ / std::string(key)).string();
  }

 private:
  static void Walk(const fs::path& folder, const std::string& relative, std::string_view after,
                   std::size_t max, std::vector<std::string>& keys, std::error_code& error) {
    std::vector<std::pair<std::string, bool>> entries;  // name, is a folder
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
      entries.emplace_back(it->path().filename().string(), it->is_directory(error));
    }
    if (error) return;
    // By the key each entry gives (a folder's keys continue with '/'), so pages follow key order.
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return (a.second ? a.first + "/" : a.first) < (b.second ? b.first + "/" : b.first);
    });
    for (const auto& [name, is_folder] : entries) {
      if (keys.size() >= max) return;
      const std::string key = relative + name;
      if (is_folder) {
        // Everything under `key/` sorts before `after` when `after` is past that whole prefix.
        const std::string prefix = key + "/";
        if (!after.empty() && prefix < after && !after.starts_with(prefix)) continue;
        Walk(folder / name, prefix, after, max, keys, error);
        if (error) return;
      } else if (after.empty() || key > after) {
        keys.push_back(key);
      }
    }
  }

  fs::path root_;
};

}  // namespace

std::optional<ReferenceKey> ParseReferenceKey(std::string_view key) {
  // YYYY/MM/DD/HHMMSS_ffffff.json
  constexpr std::size_t kSize = 29;
  if (key.size() != kSize || key[4] != '/' || key[7] != '/' || key[10] != '/' || key[17] != '_' ||
      !key.ends_with(".json")) {
    return std::nullopt;
  }
  int year, month, day, hour, minute, second, micros;
  if (!Digits(key.substr(0), 4, year) || !Digits(key.substr(5), 2, month) ||
      !Digits(key.substr(8), 2, day) || !Digits(key.substr(11), 2, hour) ||
      !Digits(key.substr(13), 2, minute) || !Digits(key.substr(15), 2, second) ||
      !Digits(key.substr(18), 6, micros)) {
    return std::nullopt;
  }
  const std::string text = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", year, month,
                                       day, hour, minute, second, micros);
  const auto arrival = ParseTimestampText(text);
  // The parser accepts what a calendar has; reject 2025/02/30 instead of rolling it over.
  if (!arrival || FormatCanonical(*arrival) != text) return std::nullopt;
  return ReferenceKey{*arrival, fmt::format("{:04}{:02}{:02}{:02}", year, month, day, hour)};
}

Result<std::unique_ptr<ReferenceRawSource>> OpenReferenceRawSource(std::string_view from,
                                                                   const Config& config) {
  constexpr std::string_view kScheme = "s3://";
  if (from.starts_with(kScheme)) {
    std::string_view rest = from.substr(kScheme.size());
    const std::size_t slash = rest.find('/');
    const std::string bucket(rest.substr(0, slash));
    std::string prefix(slash == std::string_view::npos ? "" : rest.substr(slash + 1));
    if (bucket.empty()) {
      return Status::Error("--from " + std::string(from) + ": no bucket (s3://BUCKET/raw/)");
    }
    if (!prefix.empty() && !prefix.ends_with('/')) prefix += '/';
    auto options = S3ArchiveOptionsFrom(config);
    if (!options) return options.status();
    options->bucket = bucket;
    options->path_style = PathStyleFor(options->client, bucket);
    return std::unique_ptr<ReferenceRawSource>(
        std::make_unique<S3Source>(std::move(*options), std::move(prefix)));
  }
  std::error_code error;
  if (!fs::is_directory(fs::path(from), error)) {
    return Status::Error(
        "--from " + std::string(from) +
        ": not a folder (give the folder holding YYYY/MM/DD/, or s3://BUCKET/raw/)");
  }
  return std::unique_ptr<ReferenceRawSource>(std::make_unique<FolderSource>(fs::path(from)));
}

}  // namespace stockpipe::migrate
