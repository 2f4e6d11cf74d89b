// libFuzzer target for the readers of RAW and quarantine objects (codec/gzip.h).
//
// Any bytes given as an object, however truncated, forged (a size trailer that lies) or built to
// inflate far beyond themselves, must come back as bytes or an error: no crash, no sanitizer
// report, and never more than the limit. The three readers (whole-buffer zlib, whole-buffer
// libdeflate, zlib in chunks) must agree: the same bytes when they succeed, an error from each
// when one fails for a reason other than the limit (libdeflate may read some data zlib refuses:
// see below).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "codec/gzip.h"

namespace {

// Small, so that a bomb reaches it quickly and the fuzzer's memory stays low.
constexpr std::size_t kLimit = 256 << 10;
constexpr std::size_t kPadding = 64;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "object_reader_fuzz: %s\n", what);
  std::abort();
}

bool OverLimit(const std::string& error) {
  return error.find("inflates beyond") != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view object(reinterpret_cast<const char*>(data), size);

  auto whole = stockpipe::GzipDecompress(object, kLimit);

  static std::string buffer;  // reused across inputs, as the archive tables reuse theirs
  auto inflated = stockpipe::InflateGzip(object, buffer, kPadding, kLimit);

  std::string chunked;
  stockpipe::Status streamed =
      stockpipe::GzipInflateChunks(object, kLimit, [&chunked](std::string_view piece) {
        if (piece.size() > 64 * 1024) Fail("a chunk over 64 KiB");
        chunked.append(piece);
        if (chunked.size() > kLimit) Fail("chunks past the limit");
      });

  if (whole && whole->size() > kLimit) Fail("zlib reader past the limit");
  if (inflated) {
    if (*inflated > kLimit) Fail("libdeflate reader past the limit");
    if (buffer.size() < *inflated + kPadding) Fail("padding missing after the inflated bytes");
    for (std::size_t i = 0; i < kPadding; ++i) {
      if (buffer[*inflated + i] != '\0') Fail("padding not zero");
    }
  }
  if (whole && inflated && std::string_view(buffer.data(), *inflated) != *whole) {
    Fail("zlib and libdeflate inflate to different bytes");
  }
  if (whole && streamed.ok() && chunked != *whole) Fail("chunks differ from the whole");
  // One reader succeeding while another fails is allowed only at the limit, which each reader
  // reaches at its own step.
  if (whole && !inflated && !OverLimit(inflated.error()))
    Fail("libdeflate refuses what zlib reads");
  // libdeflate is more lenient than zlib in two ways: some invalid Huffman data ("invalid
  // literal/length code" and the like from zlib) and the optional header CRC (FHCRC), which it
  // skips without checking ("header crc mismatch"). What it then returns still passes the data's
  // CRC and the limit.
  const auto lenient = [](const std::string& error) {
    return error.find("invalid") != std::string::npos ||
           error.find("header crc mismatch") != std::string::npos;
  };
  if (inflated && !whole && !OverLimit(whole.error()) && !lenient(whole.error())) {
    Fail("zlib refuses what libdeflate reads");
  }
  if (whole && !streamed.ok() && !OverLimit(streamed.message()))
    Fail("chunks refuse what zlib reads");
  return 0;
}
