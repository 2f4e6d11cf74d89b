#include "serve/assets.h"

#include <fmt/format.h>

#include <cstdint>
#include <map>

namespace stockpipe::serve {
namespace {

std::string_view ContentType(std::string_view name) {
  const std::string_view ext = name.substr(name.rfind('.') + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "json") return "application/json";
  if (ext == "txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

// FNV-1a, 64 bit: the ETag only has to change when the bytes do.
std::uint64_t Fnv1a(std::string_view bytes) {
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::map<std::string, Asset, std::less<>> BuildIndex() {
  std::map<std::string, Asset, std::less<>> index;
  for (const EmbeddedFile& file : EmbeddedFiles()) {
    const std::string path = file.name == "index.html" ? "/" : fmt::format("/assets/{}", file.name);
    index.emplace(path, Asset{file.bytes, ContentType(file.name),
                              fmt::format("\"{:016x}\"", Fnv1a(file.bytes))});
  }
  return index;
}

}  // namespace

const Asset* FindAsset(std::string_view path) {
  static const auto index = BuildIndex();
  const auto it = index.find(path);
  return it == index.end() ? nullptr : &it->second;
}

}  // namespace stockpipe::serve
