#include "store/sqlite/tick_chunk.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>

namespace stockpipe {
namespace {

static_assert(std::endian::native == std::endian::little,
              "chunks are stored little-endian and read in place");

constexpr std::uint32_t kMagic = 0x31435053;  // "SPC1"
constexpr std::uint32_t kHasVolume = 1, kHasBar = 2;
constexpr std::size_t kHeaderSize = 12;

template <typename T>
void Put(std::string& out, std::size_t& at, T v) {
  std::memcpy(out.data() + at, &v, sizeof v);
  at += sizeof v;
}

}  // namespace

void AppendChunk(std::span<const StoredTick> ticks, std::string& out) {
  std::uint32_t flags = 0;
  for (const StoredTick& t : ticks) {
    if (t.volume) flags |= kHasVolume;
    if (t.bar) flags |= kHasBar;
  }
  const std::size_t n = ticks.size();
  std::size_t size = kHeaderSize + n * 16;
  if (flags != 0) size += n;
  if (flags & kHasVolume) size += n * 8;
  if (flags & kHasBar) size += n * 24;
  std::size_t at = out.size();
  out.resize(at + size);
  Put(out, at, kMagic);
  Put(out, at, static_cast<std::uint32_t>(n));
  Put(out, at, flags);
  for (const StoredTick& t : ticks) Put(out, at, static_cast<std::int64_t>(t.timestamp));
  for (const StoredTick& t : ticks) Put(out, at, t.price);
  if (flags != 0) {
    for (const StoredTick& t : ticks) {
      Put(out, at, static_cast<std::uint8_t>((t.volume ? 1 : 0) | (t.bar ? 2 : 0)));
    }
  }
  if (flags & kHasVolume) {
    for (const StoredTick& t : ticks) Put(out, at, t.volume.value_or(0));
  }
  if (flags & kHasBar) {
    for (const StoredTick& t : ticks) Put(out, at, t.bar ? t.bar->open : 0.0);
    for (const StoredTick& t : ticks) Put(out, at, t.bar ? t.bar->high : 0.0);
    for (const StoredTick& t : ticks) Put(out, at, t.bar ? t.bar->low : 0.0);
  }
}

std::string EncodeChunk(std::span<const StoredTick> ticks) {
  std::string out;
  AppendChunk(ticks, out);
  return out;
}

Result<ChunkView> ChunkView::Of(std::string_view blob) {
  if (blob.size() < kHeaderSize) {
    return Status::Error(
        fmt::format("tick chunk of {} bytes is shorter than its header", blob.size()));
  }
  std::uint32_t magic, rows, flags;
  std::memcpy(&magic, blob.data(), 4);
  std::memcpy(&rows, blob.data() + 4, 4);
  std::memcpy(&flags, blob.data() + 8, 4);
  if (magic != kMagic) return Status::Error("tick chunk has an unknown format");
  if ((flags & ~(kHasVolume | kHasBar)) != 0) {
    return Status::Error(fmt::format("tick chunk has unknown flags {:#x}", flags));
  }
  const std::size_t n = rows;
  std::size_t size = kHeaderSize + n * 16;
  if (flags != 0) size += n;
  if (flags & kHasVolume) size += n * 8;
  if (flags & kHasBar) size += n * 24;
  if (n == 0 || size != blob.size()) {
    return Status::Error(
        fmt::format("tick chunk of {} rows is {} bytes, not {}", n, blob.size(), size));
  }
  ChunkView view;
  view.rows_ = n;
  const char* p = blob.data() + kHeaderSize;
  view.timestamps_ = p;
  p += n * 8;
  view.prices_ = p;
  p += n * 8;
  if (flags != 0) {
    view.present_ = p;
    p += n;
  }
  if (flags & kHasVolume) {
    view.volumes_ = p;
    p += n * 8;
  }
  if (flags & kHasBar) {
    view.opens_ = p;
    view.highs_ = p + n * 8;
    view.lows_ = p + n * 16;
  }
  return view;
}

std::optional<double> ChunkView::volume(std::size_t i) const {
  if (volumes_ == nullptr || (present_[i] & 1) == 0) return std::nullopt;
  return Load<double>(volumes_, i);
}

std::optional<TickBar> ChunkView::bar(std::size_t i) const {
  if (opens_ == nullptr || (present_[i] & 2) == 0) return std::nullopt;
  return TickBar{Load<double>(opens_, i), Load<double>(highs_, i), Load<double>(lows_, i)};
}

std::size_t ChunkView::LowerBound(Micros t) const {
  std::size_t lo = 0, hi = rows_;
  while (lo < hi) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (timestamp(mid) < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace stockpipe
