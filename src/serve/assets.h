// The dashboard page's files (src/serve/web/*), compiled into the binary at build time by
// src/serve/embed_assets.cmake: the page needs nothing from disk and nothing from elsewhere.
//
// `index.html` is served at `/`, every other file at `/assets/<name>`, with a Content-Type from
// its extension and a strong ETag (a hash of its bytes), so a browser revalidates cheaply.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace stockpipe::serve {

struct EmbeddedFile {
  std::string_view name;  // file name in src/serve/web
  std::string_view bytes;
};

// Every embedded file, sorted by name (defined in the generated web_assets.cc).
std::span<const EmbeddedFile> EmbeddedFiles();

struct Asset {
  std::string_view bytes;
  std::string_view content_type;
  std::string etag;  // quoted, as the header carries it
};

// The file served at `path` ("/" or "/assets/app.js"), or nullptr.
const Asset* FindAsset(std::string_view path);

}  // namespace stockpipe::serve
