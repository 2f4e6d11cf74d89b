// Dense ids for short texts: the group keys of one archive object in a grouped scan
// (archive_grouping.cc). An open-addressing table with a cheap hash, since every row of a grouped
// scan looks one up. It keeps views, not copies: the texts must outlive the table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

namespace stockpipe::query::archive {

class TextIds {
 public:
  TextIds() : slots_(64) {}
  // The id of `text`, `next` (and added) when it is new. `padded`: 16 bytes from text.data() may
  // be read (the inflated text's padding), so a short text is two masked loads.
  std::pair<std::uint32_t, bool> Find(std::string_view text, std::uint32_t next,
                                      bool padded = false) {
    std::uint64_t lo = 0, hi = 0, hash;
    const std::size_t n = text.size();
    if (n <= 16) {
      if (padded) {
        std::memcpy(&lo, text.data(), 8);
        std::memcpy(&hi, text.data() + 8, 8);
        lo &= n >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * n)) - 1;
        hi &= n >= 16 ? ~std::uint64_t{0} : n <= 8 ? 0 : (std::uint64_t{1} << (8 * (n - 8))) - 1;
      } else {
        char bytes[16] = {};
        std::memcpy(bytes, text.data(), n);
        std::memcpy(&lo, bytes, 8);
        std::memcpy(&hi, bytes + 8, 8);
      }
      hash = (lo ^ (hi * 0xC2B2AE3D27D4EB4Full) ^ n) * 0x9E3779B97F4A7C15ull;
      hash ^= hash >> 29;
    } else {
      hash = Hash(text);
    }
    std::size_t at = hash & (slots_.size() - 1);
    while (slots_[at].used) {
      const Slot& e = slots_[at];
      if (e.hash == hash && e.text.size() == n &&
          (n <= 16 ? e.lo == lo && e.hi == hi : e.text == text)) {
        return {e.id, false};
      }
      at = (at + 1) & (slots_.size() - 1);
    }
    slots_[at] = {hash, lo, hi, text, next, true};
    if (++count_ * 2 > slots_.size()) Grow();
    return {next, true};
  }

 private:
  struct Slot {
    std::uint64_t hash = 0, lo = 0, hi = 0;  // lo/hi: a short text's bytes, zero past its end
    std::string_view text;
    std::uint32_t id = 0;
    bool used = false;
  };
  static std::uint64_t Hash(std::string_view text) {
    std::uint64_t h = text.size();
    std::size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
      std::uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      h = (h ^ word) * 0x9E3779B97F4A7C15ull;
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, text.data() + i, text.size() - i);
    h = (h ^ tail) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
  }
  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& e : old) {
      if (!e.used) continue;
      std::size_t at = e.hash & (slots_.size() - 1);
      while (slots_[at].used) at = (at + 1) & (slots_.size() - 1);
      slots_[at] = e;
    }
  }
  std::vector<Slot> slots_;
  std::size_t count_ = 0;
};

}  // namespace stockpipe::query::archive
