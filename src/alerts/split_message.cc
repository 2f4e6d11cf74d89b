#include "alerts/split_message.h"

#include <algorithm>

#include "codec/utf8.h"

namespace stockpipe {
namespace {

// One code point (or one malformed byte) at text[i]: its size in bytes and in UTF-16 units.
struct Unit {
  std::size_t bytes;
  std::size_t units;
};

Unit UnitAt(std::string_view text, std::size_t i) {
  const std::size_t n = Utf8SequenceLength(text, i);
  if (n == 0) return {1, 1};
  return {n, n == 4 ? 2u : 1u};
}

}  // namespace

std::size_t Utf16Length(std::string_view text) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < text.size();) {
    const Unit u = UnitAt(text, i);
    units += u.units;
    i += u.bytes;
  }
  return units;
}

std::vector<std::string> SplitMessage(std::string_view text, std::size_t limit) {
  limit = std::max<std::size_t>(limit, 2);
  std::vector<std::string> parts;
  while (!text.empty()) {
    // The longest prefix within the limit, and the last break points inside it (byte offsets
    // just after the newline / blank), with the units counted up to them.
    std::size_t end = 0, units = 0;
    std::size_t after_newline = 0, after_blank = 0;
    std::size_t newline_units = 0, blank_units = 0;
    while (end < text.size()) {
      const Unit u = UnitAt(text, end);
      if (units + u.units > limit) break;
      units += u.units;
      end += u.bytes;
      const char c = text[end - 1];
      if (u.bytes == 1 && c == '\n') {
        after_newline = end;
        newline_units = units;
      } else if (u.bytes == 1 && (c == ' ' || c == '\t')) {
        after_blank = end;
        blank_units = units;
      }
    }
    std::size_t cut = end;
    if (end < text.size()) {
      // Only a break in the second half: an early one would make many small parts.
      if (after_newline > 0 && newline_units * 2 >= limit) {
        cut = after_newline;
      } else if (after_blank > 0 && blank_units * 2 >= limit) {
        cut = after_blank;
      }
    }
    parts.emplace_back(text.substr(0, cut));
    text.remove_prefix(cut);
  }
  return parts;
}

}  // namespace stockpipe
