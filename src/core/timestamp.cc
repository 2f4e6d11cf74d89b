#include "core/timestamp.h"

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>

namespace stockpipe {
namespace {

constexpr Micros kMicrosPerSecond = 1'000'000;
constexpr Micros kMicrosPerDay = 86'400 * kMicrosPerSecond;

// Howard Hinnant's days_from_civil: proleptic Gregorian date to days since 1970-01-01.
constexpr std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

constexpr Civil CivilFromDays(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

bool IsLeap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned DaysInMonth(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `pos`, advancing it.
bool Digits(std::string_view s, std::size_t& pos, int n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (int i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  out = v;
  return true;
}

bool LooksNumeric(std::string_view s) {
  if (s.empty()) return false;
  bool digit = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E') {
      return false;
    }
  }
  return digit;
}

std::optional<Micros> ParseIso(std::string_view s) {
  std::size_t p = 0;
  unsigned year, month, day;
  if (!Digits(s, p, 4, year) || p >= s.size() || s[p++] != '-' || !Digits(s, p, 2, month) ||
      p >= s.size() || s[p++] != '-' || !Digits(s, p, 2, day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;
  unsigned hour = 0, minute = 0, second = 0;
  Micros fraction = 0;
  if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
    ++p;
    if (!Digits(s, p, 2, hour) || p >= s.size() || s[p++] != ':' || !Digits(s, p, 2, minute)) {
      return std::nullopt;
    }
    if (p < s.size() && s[p] == ':') {
      ++p;
      if (!Digits(s, p, 2, second)) return std::nullopt;
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        const std::size_t start = p;
        Micros scale = 100'000;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
          fraction += (s[p] - '0') * scale;
          scale /= 10;
          ++p;
        }
        if (p == start) return std::nullopt;
      }
    }
    // 24:00:00 and leap seconds are not accepted: no feed we read emits them.
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  }
  Micros offset = 0;
  if (p < s.size()) {
    const char z = s[p];
    if ((z == 'Z' || z == 'z') && p + 1 == s.size()) {
      ++p;
    } else if (z == '+' || z == '-') {
      ++p;
      unsigned oh = 0, om = 0;
      if (!Digits(s, p, 2, oh)) return std::nullopt;
      if (p < s.size() && s[p] == ':') ++p;
      if (p < s.size() && !Digits(s, p, 2, om)) return std::nullopt;
      if (oh > 23 || om > 59) return std::nullopt;
      offset = (static_cast<Micros>(oh) * 3600 + om * 60) * kMicrosPerSecond;
      if (z == '-') offset = -offset;
    } else {
      return std::nullopt;
    }
  }
  if (p != s.size()) return std::nullopt;
  const Micros days = DaysFromCivil(year, month, day);
  const Micros seconds = static_cast<Micros>(hour) * 3600 + minute * 60 + second;
  return days * kMicrosPerDay + seconds * kMicrosPerSecond + fraction - offset;
}

}  // namespace

std::optional<Micros> ParseEpoch(double value) {
  if (!std::isfinite(value) || value < 0) return std::nullopt;
  double micros;
  if (value < 1e11) {
    micros = value * 1e6;
  } else if (value < 1e14) {
    micros = value * 1e3;
  } else if (value < 1e17) {
    micros = value;
  } else {
    micros = value / 1e3;
  }
  if (micros >= 9.2e18) return std::nullopt;
  return static_cast<Micros>(std::llround(micros));
}

namespace {

// The canonical form only (`2025-08-14T14:38:12.000000Z`, what every store writes and reads back
// millions of times a run), digits read at fixed places; anything else is for ParseIso.
std::optional<Micros> ParseCanonicalForm(std::string_view s) {
  if (s.size() != kCanonicalTimestampSize || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
      s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z') {
    return std::nullopt;
  }
  const auto number = [&s](std::size_t from, std::size_t to, std::int64_t& out) {
    std::int64_t v = 0;
    for (std::size_t i = from; i < to; ++i) {
      const unsigned digit = static_cast<unsigned char>(s[i]) - '0';
      if (digit > 9) return false;
      v = v * 10 + digit;
    }
    out = v;
    return true;
  };
  std::int64_t year, month, day, hour, minute, second, fraction;
  if (!number(0, 4, year) || !number(5, 7, month) || !number(8, 10, day) || !number(11, 13, hour) ||
      !number(14, 16, minute) || !number(17, 19, second) || !number(20, 26, fraction)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, static_cast<unsigned>(month)) ||
      hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  const Micros days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return days * kMicrosPerDay + (hour * 3600 + minute * 60 + second) * kMicrosPerSecond + fraction;
}

}  // namespace

std::optional<Micros> ParseTimestampText(std::string_view text) {
  if (auto canonical = ParseCanonicalForm(text)) return canonical;
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  if (text.size() >= 10 && text[4] == '-') return ParseIso(text);
  if (!LooksNumeric(text)) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return ParseEpoch(value);
}

void FormatCanonical(Micros t, char* out) {
  const auto put = [](char* at, std::int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      at[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  Micros secs = t / kMicrosPerSecond;
  Micros micros = t % kMicrosPerSecond;
  if (micros < 0) {
    micros += kMicrosPerSecond;
    --secs;
  }
  // Ticks come in runs of the same second (a feed's poll, a batch): its calendar part, the
  // costly one, is worked out once per second a thread sees.
  constexpr int kSecondsText = 19;  // YYYY-MM-DDTHH:MM:SS
  thread_local Micros cached_secs = std::numeric_limits<Micros>::min();
  thread_local std::array<char, kSecondsText> cached;
  if (secs != cached_secs) {
    Micros days = secs / 86'400;
    Micros rem = secs % 86'400;
    if (rem < 0) {
      rem += 86'400;
      --days;
    }
    const Civil c = CivilFromDays(days);
    char* at = cached.data();
    put(at, c.year, 4);
    at[4] = '-';
    put(at + 5, c.month, 2);
    at[7] = '-';
    put(at + 8, c.day, 2);
    at[10] = 'T';
    put(at + 11, rem / 3600, 2);
    at[13] = ':';
    put(at + 14, rem / 60 % 60, 2);
    at[16] = ':';
    put(at + 17, rem % 60, 2);
    cached_secs = secs;
  }
  std::memcpy(out, cached.data(), kSecondsText);
  out[kSecondsText] = '.';
  put(out + kSecondsText + 1, micros, 6);
  out[kSecondsText + 7] = 'Z';
}

std::string FormatCanonical(Micros t) {
  std::string s(kCanonicalTimestampSize, '\0');
  FormatCanonical(t, s.data());
  return s;
}

std::string FormatDate(Micros t) {
  return FormatCanonical(t).substr(0, 10);
}

Micros NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace stockpipe
