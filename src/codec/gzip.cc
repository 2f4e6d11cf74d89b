#include "codec/gzip.h"

#include <fmt/format.h>
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>

namespace stockpipe {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

std::string LimitText(std::size_t limit) {
  return limit % kMiB == 0 ? fmt::format("{} MiB", limit / kMiB) : fmt::format("{} bytes", limit);
}

Status TooLarge(std::size_t limit, std::size_t compressed) {
  return Status::Error(fmt::format("inflates beyond {} (the limit for an object of {} bytes)",
                                   LimitText(limit), compressed));
}

}  // namespace

namespace {

// zlib's deflate, kept for the one case libdeflate's output would be refused by our own reader.
Result<std::string> ZlibGzip(std::string_view data, int level) {
  z_stream z{};
  // 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Error("gzip: cannot initialise deflate");
  }
  std::string out;
  out.resize(deflateBound(&z, static_cast<uLong>(data.size())) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const auto written = z.total_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return Status::Error(fmt::format("gzip: deflate failed ({})", rc));
  out.resize(written);
  return out;
}

}  // namespace

Result<std::string> GzipCompress(std::string_view data, int level) {
  // libdeflate compresses a whole buffer about 1.8 times as fast as zlib at level 1, and smaller.
  // One compressor per thread and level, reused (each holds its hash tables).
  struct Free {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
  };
  level = std::clamp(level, 0, 12);
  thread_local std::array<std::unique_ptr<libdeflate_compressor, Free>, 13> compressors;
  auto& compressor = compressors[static_cast<std::size_t>(level)];
  if (!compressor) compressor.reset(libdeflate_alloc_compressor(level));
  if (!compressor) return Status::Error("gzip: cannot allocate a compressor");
  std::string out;
  out.resize(libdeflate_gzip_compress_bound(compressor.get(), data.size()));
  const std::size_t written =
      libdeflate_gzip_compress(compressor.get(), data.data(), data.size(), out.data(), out.size());
  if (written == 0) return Status::Error("gzip: libdeflate found no room (cannot happen)");
  out.resize(written);
  // libdeflate reaches ~860:1 on a run of one byte even at level 1; readers refuse anything past
  // InflateLimit as a bomb. Such data (a quarantine of padded records) goes through zlib, whose
  // level 1 stays under ~230:1, so every object we write is one we can read back.
  if (data.size() > InflateLimit(out.size())) return ZlibGzip(data, std::min(level, 1));
  return out;
}

bool SameGzipContent(std::string_view existing, std::string_view bytes) {
  if (existing == bytes) return true;
  auto a = GzipDecompress(existing);
  auto b = a ? GzipDecompress(bytes) : a;
  return a && b && *a == *b;
}

std::size_t InflateLimit(std::size_t compressed) {
  constexpr std::size_t kRatio = 256, kFloor = 64 * kMiB, kCeiling = 1024 * kMiB;
  const std::size_t by_ratio = compressed > kCeiling / kRatio ? kCeiling : compressed * kRatio;
  return std::clamp(by_ratio, kFloor, kCeiling) / kMiB * kMiB;  // whole MiB: it is in messages
}

Status GzipInflateChunks(std::string_view gz, std::size_t limit,
                         const std::function<void(std::string_view)>& chunk) {
  if (gz.empty()) return Status::Error("truncated gzip (the object is empty)");
  z_stream z{};
  // 15 + 16: gzip framing only (a zlib or raw stream is not one of our objects).
  if (inflateInit2(&z, 15 + 16) != Z_OK) return Status::Error("gzip: cannot initialise inflate");
  const std::unique_ptr<z_stream, int (*)(z_stream*)> end(&z, inflateEnd);
  std::size_t in = 0, total = 0, member = 1;
  auto refill = [&] {  // zlib counts input in 32 bits: feed at most 1 GiB at a time
    const std::size_t n = std::min<std::size_t>(gz.size() - in, std::size_t{1} << 30);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data() + in));
    z.avail_in = static_cast<uInt>(n);
    in += n;
  };
  refill();
  auto buffer = std::make_unique<char[]>(1 << 16);
  while (true) {
    if (z.avail_in == 0 && in < gz.size()) refill();
    z.next_out = reinterpret_cast<Bytef*>(buffer.get());
    z.avail_out = 1 << 16;
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = (1 << 16) - z.avail_out;
    if (produced > limit - total) return TooLarge(limit, gz.size());
    total += produced;
    if (produced > 0) chunk(std::string_view(buffer.get(), produced));
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0 && in == gz.size()) return Status::Ok();
      inflateReset(&z);  // another gzip member follows
      ++member;
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && in == gz.size()) {
      return Status::Error(
          member == 1 && z.total_in == 0
              ? std::string("truncated gzip (the object is empty)")
              : fmt::format("truncated gzip (the object ends inside member {})", member));
    }
    const std::string what = z.msg ? z.msg : fmt::format("zlib error {}", rc);
    if (member == 1 && what == "incorrect header check") {
      return Status::Error(fmt::format("not gzip ({})", what));
    }
    return Status::Error(fmt::format("corrupt gzip data in member {} ({})", member, what));
  }
}

Result<std::string> GzipDecompress(std::string_view data) {
  return GzipDecompress(data, InflateLimit(data.size()));
}

Result<std::string> GzipDecompress(std::string_view data, std::size_t limit) {
  std::string out;
  Status s = GzipInflateChunks(data, limit, [&out](std::string_view c) { out.append(c); });
  if (!s.ok()) return s;
  return out;
}

Result<std::size_t> InflateGzip(std::string_view gz, std::string& out, std::size_t padding,
                                std::size_t limit) {
  // libdeflate inflates a whole buffer about 2.5 times as fast as zlib's streaming inflate (and
  // checks the CRC with carry-less multiplies); one decompressor per thread, reused.
  struct Free {
    void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
  };
  thread_local std::unique_ptr<libdeflate_decompressor, Free> decompressor(
      libdeflate_alloc_decompressor());
  if (!decompressor) return Status::Error("gzip: cannot allocate a decompressor");
  if (gz.empty()) return Status::Error("truncated gzip (the object is empty)");
  // The first buffer: 4 times the object, or the (last member's) ISIZE trailer when it is a
  // plausible size for text (at most 32 times the object). A forged trailer sizes nothing.
  std::size_t guess = gz.size() * 4;
  if (gz.size() >= 18) {
    std::uint32_t isize = 0;
    std::memcpy(&isize, gz.data() + gz.size() - 4, 4);  // little-endian on every target we build
    if (isize >= gz.size() && isize / 32 <= gz.size()) guess = isize;
  }
  guess = std::min(guess, limit);
  if (out.size() < guess + padding + 1) out.resize(guess + padding + 1);  // reused: never shrunk
  std::size_t length = 0, in = 0;
  while (in < gz.size()) {  // one gzip member per round
    const std::size_t room = std::min(out.size() - padding, limit);
    std::size_t used = 0, produced = 0;
    const libdeflate_result rc =
        libdeflate_gzip_decompress_ex(decompressor.get(), gz.data() + in, gz.size() - in,
                                      out.data() + length, room - length, &used, &produced);
    if (rc == LIBDEFLATE_INSUFFICIENT_SPACE) {
      if (room >= limit) return TooLarge(limit, gz.size());
      out.resize(std::min((out.size() - padding) * 2, limit) + padding);
      continue;
    }
    if (rc != LIBDEFLATE_SUCCESS) {
      // libdeflate does not say why; zlib does (truncated, bad CRC, bad length...), in bounded
      // memory. Rare: worth inflating the good members again to number the bad one.
      Status why = GzipInflateChunks(gz, limit, [](std::string_view) {});
      if (!why.ok()) return why;
      return Status::Error("corrupt gzip data (libdeflate: bad data)");
    }
    in += used;
    length += produced;
  }
  std::memset(out.data() + length, 0, std::min(padding, out.size() - length));
  return length;
}

}  // namespace stockpipe
