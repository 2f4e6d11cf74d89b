// gzip both ways (RFC 1952 framing, so `zcat` and Athena read the objects), and the bounded
// readers of archive objects.
//
// Readers never trust a size written in the file: the ISIZE trailer is at most a hint for the first
// buffer, and no object inflates beyond InflateLimit(its compressed size). A truncated, forged or
// corrupt object, or a gzip bomb, is an error a caller can put its key in front of, never an abort
// or a multi-gigabyte reservation.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace stockpipe {

// Level 1 by default: RAW objects are written once and read rarely; speed beats ratio here.
// Whatever `data` holds, the result inflates within InflateLimit(its size): readable by our own
// readers.
Result<std::string> GzipCompress(std::string_view data, int level = 1);

// Whether two objects hold the same data: the same bytes, or gzip of the same text. A replayed
// batch must find its object "the same" even when an upgrade in between changed the compressor
// (zlib before libdeflate, another level): the write-once archives accept it through this.
bool SameGzipContent(std::string_view existing, std::string_view bytes);

// The most bytes an object of `compressed` bytes may inflate to: 256 times its size, at least
// 64 MiB, at most 1 GiB, in whole MiB. What ingest writes stays under it (ticks ~13:1, a
// quarantine object of oversized records ~165:1; GzipCompress falls back to zlib, under ~230:1,
// for anything past it); a bomb is built at level 9, ~1030:1. An object past its limit is
// refused with "inflates beyond N MiB".
std::size_t InflateLimit(std::size_t compressed);

// Accepts concatenated gzip members, as `zcat` does. Stops at `limit` inflated bytes (an error).
Result<std::string> GzipDecompress(std::string_view data);
Result<std::string> GzipDecompress(std::string_view data, std::size_t limit);

// Inflates every member of `gz` into `out` (whole-buffer libdeflate, the fast path of the archive
// tables), which keeps at least `padding` readable zero bytes past the returned length (simdjson
// reads ahead). `out` is reused: grown as needed up to the limit, never shrunk.
Result<std::size_t> InflateGzip(std::string_view gz, std::string& out, std::size_t padding,
                                std::size_t limit);
inline Result<std::size_t> InflateGzip(std::string_view gz, std::string& out, std::size_t padding) {
  return InflateGzip(gz, out, padding, InflateLimit(gz.size()));
}

// Streams the inflated bytes of every member of `gz` to `chunk` in pieces of at most 64 KiB (zlib,
// one fixed buffer): bounded memory whatever the object claims. Same limit and errors as above.
Status GzipInflateChunks(std::string_view gz, std::size_t limit,
                         const std::function<void(std::string_view)>& chunk);

}  // namespace stockpipe
