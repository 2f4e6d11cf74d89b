// The plain reader: decodes the common shape of a RAW record (one flat JSON object a line, no
// whitespace, ASCII keys and strings without escapes) without simdjson, giving exactly the values
// and types simdjson's DOM gives, and declines anything else so the caller falls back to simdjson.
// Internal to the archive table. Header-only: ReadPlain is a template over its sink (a Batch of
// rows, or a grouped scan's buckets) and the helpers run once per value, so they inline.
//
// Every pointer handed in must lie in a text padded with zero bytes past its end (simdjson's
// SIMDJSON_PADDING): the scanners read 16 bytes at a time and stop at the zero padding.
#pragma once

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "query/archive_layout.h"

namespace stockpipe::query::archive {

// The end of a JSON string starting at `p` (just past the quote) when it is plain printable ASCII
// without escapes, nullptr otherwise. The text's zero padding stops the scan at the end.
inline const char* PlainStringEnd(const char* p) {
#ifdef __SSE2__
  // 16 bytes at a time: stop at a quote, a backslash, or a byte < 0x20 or >= 0x80 (both below
  // 0x20 as signed bytes). Never reads past the padding: a zero byte stops the scan.
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  while (true) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i stop =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                     _mm_cmplt_epi8(v, space));
    const int mask = _mm_movemask_epi8(stop);
    if (mask != 0) {
      p += __builtin_ctz(static_cast<unsigned>(mask));
      return *p == '"' ? p : nullptr;
    }
    p += 16;
  }
#endif
  while (true) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') return p;
    if (c < 0x20 || c == '\\' || c >= 0x80) return nullptr;
    ++p;
  }
}

inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

inline constexpr double kPowers[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};

// A number the plain reader got exactly as mantissa / 10^fraction (an integer: fraction 0), kept
// in 32 bits (sign, 4 bits of fraction + 1, 27 bits of mantissa) so a grouped scan stores a REAL
// column in 4 bytes a row; the same division gives back the same double. 0 means "no code".
inline constexpr std::int64_t kCodeMantissa = std::int64_t{1} << 27;
inline std::uint32_t DecimalCode(bool negative, int fraction, std::int64_t mantissa) {
  if (mantissa >= kCodeMantissa || fraction >= 15) return 0;
  return (negative ? 1u << 31 : 0u) | static_cast<std::uint32_t>(fraction + 1) << 27 |
         static_cast<std::uint32_t>(mantissa);
}
inline double FromDecimalCode(std::uint32_t code) {
  const double value =
      static_cast<double>(code & (kCodeMantissa - 1)) / kPowers[((code >> 27) & 15) - 1];
  return code >> 31 ? -value : value;
}

// Parses a JSON number at `p` into `slot` as simdjson's DOM would (integers of up to 18 digits as
// integers, anything with a fraction or exponent as a correctly rounded double); nullptr when the
// number is anything else (the caller falls back to simdjson).
inline const char* PlainNumber(const char* p, Slot* slot) {
  const char* start = p;
  const bool negative = *p == '-';
  if (negative) ++p;
  const char* digits = p;
  if (*p == '0') {
    ++p;
    if (IsDigit(*p)) return nullptr;
  } else if (IsDigit(*p)) {
    while (IsDigit(*p)) ++p;
  } else {
    return nullptr;
  }
  bool integer = true;
  if (*p == '.') {
    ++p;
    if (!IsDigit(*p)) return nullptr;
    while (IsDigit(*p)) ++p;
    integer = false;
  }
  if (*p == 'e' || *p == 'E') {
    ++p;
    if (*p == '+' || *p == '-') ++p;
    if (!IsDigit(*p)) return nullptr;
    while (IsDigit(*p)) ++p;
    integer = false;
  }
  if (integer) {
    if (p - digits > 18 || (negative && *digits == '0')) return nullptr;  // -0: simdjson decides
    std::int64_t value = 0;
    for (const char* d = digits; d < p; ++d) value = value * 10 + (*d - '0');
    if (slot) {
      slot->type = Slot::Type::kInteger;
      slot->integer = negative ? -value : value;
      slot->length = DecimalCode(negative, 0, value);  // read as a real in a REAL column
    }
    return p;
  }
  double value = 0;
  // Up to 15 digits and no exponent: mantissa and power of ten are exact doubles, so one division
  // is correctly rounded, the value any exact parser gives (Clinger's fast path).
  if (p - digits <= 16) {
    std::int64_t mantissa = 0;
    int fraction = -1, count = 0;
    bool simple = true;
    for (const char* d = digits; d < p; ++d) {
      if (*d == '.') {
        fraction = 0;
      } else if (IsDigit(*d)) {
        mantissa = mantissa * 10 + (*d - '0');
        ++count;
        if (fraction >= 0) ++fraction;
      } else {
        simple = false;  // an exponent
        break;
      }
    }
    if (simple && count <= 15 && fraction >= 0) {
      value = static_cast<double>(mantissa) / kPowers[fraction];
      if (slot) {
        slot->type = Slot::Type::kReal;
        slot->real = negative ? -value : value;
        slot->length = DecimalCode(negative, fraction, mantissa);
      }
      return p;
    }
  }
  const auto [end, ec] = std::from_chars(start, p, value);
  if (ec != std::errc() || end != p) return nullptr;  // out of range: simdjson reports it
  if (slot) {
    slot->length = 0;
    slot->type = Slot::Type::kReal;
    slot->real = value;
  }
  return p;
}

// Reads the common shape of a record without simdjson: one object per line, no whitespace,
// members whose keys and string values are plain ASCII without escapes and whose values are
// strings, numbers, true, false or null, stored exactly as the DOM path stores them. Returns false
// on anything else (nested values, escapes, non-ASCII, blank lines, malformed text); the caller
// then decodes the whole object with simdjson, which also words the errors.
//
// The values go to `sink`: Row() starts a record, At(c) is where json column c's value goes (only
// asked for columns in `need`), Text(slot, text, length) stores a string that lies in the text,
// EndRow() ends the record, rows() counts them.
template <class Sink>
bool ReadPlain(const char* p, const char* end, const std::vector<std::string_view>& names,
               Need need, const std::atomic<bool>& stop, Sink& sink) {
  // Names of up to 16 bytes compared as two masked words: the member name is read from the text,
  // whose padding makes the 16-byte load safe.
  struct Name {
    std::uint64_t lo = 0, hi = 0, lo_mask = 0, hi_mask = 0;
  };
  std::vector<Name> words(names.size());
  for (std::size_t c = 0; c < names.size(); ++c) {
    const std::size_t n = std::min<std::size_t>(names[c].size(), 16);
    char bytes[16] = {};
    std::memcpy(bytes, names[c].data(), n);
    std::memcpy(&words[c].lo, bytes, 8);
    std::memcpy(&words[c].hi, bytes + 8, 8);
    std::memset(bytes, 0, 16);
    std::memset(bytes, 0xff, n);
    std::memcpy(&words[c].lo_mask, bytes, 8);
    std::memcpy(&words[c].hi_mask, bytes + 8, 8);
  }
  while (p < end) {
    if ((sink.rows() & 1023) == 0 && stop.load(std::memory_order_relaxed)) return true;
    if (*p++ != '{') return false;
    sink.Row();
    if (*p == '}') {
      ++p;
    } else {
      while (true) {
        if (*p++ != '"') return false;
        const char* key = p;
        Slot* slot = nullptr;
        std::uint64_t lo, hi;
        std::memcpy(&lo, key, 8);
        std::memcpy(&hi, key + 8, 8);
        // A column's name followed by the closing quote is that name, unescaped: no need to scan
        // the key for escapes first.
        std::size_t column = names.size();
        for (std::size_t c = 0; c < names.size(); ++c) {
          if (names[c].size() <= 16 && (lo & words[c].lo_mask) == words[c].lo &&
              (hi & words[c].hi_mask) == words[c].hi && key[names[c].size()] == '"') {
            column = c;
            p = key + names[c].size();
            break;
          }
        }
        if (column == names.size()) {
          p = PlainStringEnd(p);
          if (!p) return false;
          const std::string_view name(key, static_cast<std::size_t>(p - key));
          for (std::size_t c = 0; c < names.size(); ++c) {
            if (names[c].size() > 16 && name == names[c]) column = c;
          }
        }
        ++p;
        if (*p++ != ':') return false;
        if (column < names.size() && (need.json_mask & (1u << column))) slot = sink.At(column);
        switch (*p) {
          case '"': {
            const char* text = ++p;
            p = PlainStringEnd(p);
            if (!p) return false;
            if (slot) sink.Text(slot, text, static_cast<std::size_t>(p - text));
            ++p;
            break;
          }
          case 't':
          case 'f': {
            const std::string_view word = *p == 't' ? "true" : "false";
            if (std::string_view(p, word.size()) != word) return false;
            if (slot) sink.Text(slot, p, word.size());  // as the DOM path: minified JSON text
            p += word.size();
            break;
          }
          case 'n':
            if (std::string_view(p, 4) != "null") return false;
            p += 4;
            if (slot) slot->type = Slot::Type::kNull;
            break;
          default:
            p = PlainNumber(p, slot);
            if (!p) return false;
            break;
        }
        if (*p == ',') {
          ++p;
          continue;
        }
        if (*p++ != '}') return false;
        break;
      }
    }
    sink.EndRow();
    if (p == end) break;
    if (*p++ != '\n') return false;
  }
  return true;
}

}  // namespace stockpipe::query::archive
