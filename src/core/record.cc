#include "core/record.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "codec/json_write.h"
#include "codec/utf8.h"
#include "core/symbol.h"

namespace stockpipe {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

std::string Preview(std::string_view text) {
  constexpr std::size_t kMax = 40;
  std::string out;
  AppendJsonString(text.substr(0, kMax), out);
  if (text.size() > kMax) out += "...";
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
  return s;
}

Rejection Reject(RejectReason reason, std::string message) {
  return {reason, std::move(message)};
}

// The number grammar of RFC 8259: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
bool IsJsonNumber(std::string_view text) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i > from;
  };
  if (i < text.size() && text[i] == '-') ++i;
  if (i < text.size() && text[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < text.size() && text[i] == '.' && (++i, !digits())) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == text.size();
}

// A JSON number, or a string holding one (a sign, spaces around), as a double; beyond a double's
// range it is +-inf or 0. None for anything else.
std::optional<double> NumericValue(simdjson::dom::element element) {
  if (element.is_number()) return element.get_double().value_unsafe();
  std::string_view text;
  if (element.get_string().get(text)) return std::nullopt;
  const std::string_view t = Trim(text);
  const char* begin = t.data();
  if (!t.empty() && *begin == '+') ++begin;
  double value = 0;
  const auto [end, ec] = std::from_chars(begin, t.data() + t.size(), value);
  if (t.empty() || end != t.data() + t.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return std::nullopt;
  }
  // Out of range is an overflow (to +-inf) or an underflow (to 0): strtod tells which.
  if (ec == std::errc::result_out_of_range) value = std::strtod(std::string(t).c_str(), nullptr);
  return value;
}

bool IsCandleMember(std::string_view key) {
  return key == "volume" || key == "open" || key == "high" || key == "low";
}

using Members = std::vector<std::pair<std::string_view, simdjson::dom::element>>;

std::optional<simdjson::dom::element> Member(const Members& members, std::string_view key) {
  for (const auto& [name, value] : members) {
    if (name == key && !value.is_null()) return value;
  }
  return std::nullopt;
}

// Reads `volume`, `open`, `high` and `low` from the extras into `tick`; a bad one is left out
// and its reason set in `tick.ignored`.
void ReadCandleMembers(const Members& extras, Tick& tick) {
  const auto ignore = [&tick](IgnoredField field) {
    tick.ignored |= static_cast<std::uint8_t>(1U << static_cast<int>(field));
  };
  if (auto element = Member(extras, "volume")) {
    const std::optional<double> volume = NumericValue(*element);
    if (!volume) {
      ignore(IgnoredField::kVolumeNotANumber);
    } else if (!std::isfinite(*volume)) {
      ignore(IgnoredField::kVolumeNotFinite);
    } else if (*volume < 0) {
      ignore(IgnoredField::kVolumeNegative);
    } else {
      tick.volume = *volume;
    }
  }
  std::array<std::optional<double>, 3> bar;  // open, high, low
  int present = 0;
  for (std::size_t i = 0; i < bar.size(); ++i) {
    constexpr std::array<std::string_view, 3> kKeys = {"open", "high", "low"};
    if (auto element = Member(extras, kKeys[i])) {
      ++present;
      bar[i] = NumericValue(*element);
      if (bar[i] && (!std::isfinite(*bar[i]) || *bar[i] <= 0)) bar[i].reset();
    }
  }
  if (present == 0) return;
  if (!bar[0] || !bar[1] || !bar[2]) return ignore(IgnoredField::kBarInvalid);
  const TickBar read{*bar[0], *bar[1], *bar[2]};
  if (read.low > std::min(read.open, tick.price) || read.high < std::max(read.open, tick.price)) {
    return ignore(IgnoredField::kBarInconsistent);
  }
  tick.bar = read;
}

// The checks on a price read as a double, whatever form it came in.
std::optional<Rejection> CheckPrice(double price, const RecordLimits& limits) {
  using R = RejectReason;
  if (!std::isfinite(price)) return Reject(R::kPriceNotFinite, "price must be a finite number");
  if (price <= 0) {
    return Reject(R::kPriceNotPositive, fmt::format("price must be positive, got {}", price));
  }
  if (price > limits.max_price) {
    return Reject(R::kPriceOutOfRange,
                  fmt::format("price {} is above the limit {}", price, limits.max_price));
  }
  return std::nullopt;
}

Rejection EpochOutOfRange(std::string_view number) {
  return Reject(RejectReason::kTimestampOutOfRange,
                fmt::format("timestamp {} is a number no time in 1970 .. 292277 has as epoch "
                            "seconds, milliseconds, microseconds or nanoseconds",
                            Preview(number)));
}

}  // namespace

bool ValidSymbolChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '^' ||
         c == '=' || c == '_' || c == ':' || c == '/';
}

std::string_view ReasonCode(RejectReason reason) {
  static constexpr std::array<std::string_view, kRejectReasonCount> kCodes = {
      "empty",
      "oversized",
      "invalid_utf8",
      "malformed_json",
      "not_an_object",
      "missing_symbol",
      "invalid_symbol",
      "missing_price",
      "invalid_price",
      "price_not_finite",
      "price_not_positive",
      "price_out_of_range",
      "invalid_timestamp",
      "timestamp_out_of_range"};
  return kCodes[static_cast<std::size_t>(reason)];
}

std::string_view IgnoredCode(IgnoredField field) {
  static constexpr std::array<std::string_view, kIgnoredFieldCount> kCodes = {
      "volume_not_a_number", "volume_not_finite", "volume_negative", "bar_invalid",
      "bar_inconsistent"};
  return kCodes[static_cast<std::size_t>(field)];
}

struct RecordParser::Impl {
  RecordLimits limits;
  simdjson::dom::parser parser;
  simdjson::ondemand::parser numbers;  // only for records the DOM parser refuses for a number
  simdjson::padded_string buffer;
  Members extras;
  std::string requoted;  // set by NumberOutOfRange: the record with candle members quoted
};

RecordParser::RecordParser(RecordLimits limits) : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
  // Sized once for the largest record we accept; an allocation failure surfaces on Parse.
  if (impl_->parser.allocate(limits.max_record_bytes + 64) != simdjson::SUCCESS) return;
}

RecordParser::~RecordParser() = default;

std::variant<Tick, Rejection> RecordParser::Parse(std::string_view line, Micros arrival) {
  using R = RejectReason;
  const RecordLimits& limits = impl_->limits;
  if (line.starts_with(kBom)) line.remove_prefix(kBom.size());
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  // Only JSON whitespace makes a record empty; control bytes are junk, not blanks.
  if (line.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Reject(R::kEmpty, "record is empty");
  }
  if (line.size() > limits.max_record_bytes) {
    return Reject(R::kOversized, fmt::format("record is {} bytes, the limit is {}", line.size(),
                                             limits.max_record_bytes));
  }
  // simdjson validates UTF-8 as it parses: a record it accepts is valid text, so the separate
  // check is needed only to name what is wrong with one it refuses.
  simdjson::dom::element root;
  if (auto error = impl_->parser.parse(line.data(), line.size(), true).get(root)) {
    if (!IsValidUtf8(line)) return Reject(R::kInvalidUtf8, "record is not valid UTF-8 text");
    if (error == simdjson::NUMBER_ERROR) {
      if (auto rejection = NumberOutOfRange(line)) return *std::move(rejection);
      // Only a candle member was beyond a double: read it as the text it is (ignored, counted).
      if (!impl_->requoted.empty()) {
        const std::string requoted = std::exchange(impl_->requoted, {});
        return Parse(requoted, arrival);
      }
    }
    return Reject(R::kMalformedJson, fmt::format("not valid JSON ({}): {}",
                                                 simdjson::error_message(error), Preview(line)));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    return Reject(R::kNotAnObject,
                  fmt::format("record must be a JSON object, got {}", Preview(line)));
  }

  Tick tick;
  bool have_symbol = false, have_price = false, have_time = false;
  simdjson::dom::element symbol_el, price_el, time_el;
  // A key given twice keeps its last value, as Python's json.loads (the reference) does.
  Members& extras = impl_->extras;
  extras.clear();
  for (auto field : object) {
    const std::string_view key = field.key;
    if (key == "symbol") {
      have_symbol = true;
      symbol_el = field.value;
    } else if (key == "price") {
      have_price = true;
      price_el = field.value;
    } else if (key == "timestamp") {
      have_time = true;
      time_el = field.value;
    } else {
      auto same = std::find_if(extras.begin(), extras.end(),
                               [key](const auto& extra) { return extra.first == key; });
      if (same == extras.end()) {
        extras.emplace_back(key, field.value);
      } else {
        same->second = field.value;  // the last value, at the key's first place, as in a dict
      }
    }
  }
  for (const auto& [key, value] : extras) {
    tick.extras += ',';
    AppendJsonString(key, tick.extras);
    tick.extras += ':';
    tick.extras += simdjson::minify(value);
  }

  // Symbol.
  if (!have_symbol || symbol_el.is_null()) return Reject(R::kMissingSymbol, "symbol is missing");
  std::string_view raw_symbol;
  if (symbol_el.get_string().get(raw_symbol)) {
    return Reject(R::kInvalidSymbol, fmt::format("symbol must be a string, got {}",
                                                 Preview(simdjson::minify(symbol_el))));
  }
  raw_symbol = Trim(raw_symbol);
  if (raw_symbol.empty()) return Reject(R::kMissingSymbol, "symbol is empty");
  if (raw_symbol.size() > limits.max_symbol_length) {
    return Reject(R::kInvalidSymbol, fmt::format("symbol is {} characters, the limit is {}",
                                                 raw_symbol.size(), limits.max_symbol_length));
  }
  tick.symbol.resize(raw_symbol.size());
  for (std::size_t i = 0; i < raw_symbol.size(); ++i) {
    char c = raw_symbol[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!ValidSymbolChar(c)) {
      return Reject(R::kInvalidSymbol,
                    fmt::format("symbol {} has a character outside A-Z 0-9 . - ^ = _ : /",
                                Preview(raw_symbol)));
    }
    tick.symbol[i] = c;
  }

  // Price.
  if (!have_price || price_el.is_null()) return Reject(R::kMissingPrice, "price is missing");
  const std::optional<double> price = NumericValue(price_el);
  if (std::string_view text; !price && !price_el.get_string().get(text)) {
    return Reject(R::kInvalidPrice, fmt::format("price {} is not a number", Preview(text)));
  }
  if (!price) {
    return Reject(R::kInvalidPrice, fmt::format("price must be a number or numeric string, got {}",
                                                Preview(simdjson::minify(price_el))));
  }
  if (auto rejection = CheckPrice(*price, limits)) return *std::move(rejection);
  tick.price = *price;
  if (!extras.empty()) ReadCandleMembers(extras, tick);

  // Timestamp.
  if (!have_time || time_el.is_null()) {
    tick.timestamp = arrival;
  } else {
    std::optional<Micros> t;
    if (time_el.is_number()) {
      t = ParseEpoch(time_el.get_double().value_unsafe());
      if (!t) return EpochOutOfRange(simdjson::minify(time_el));
    } else if (std::string_view text; !time_el.get_string().get(text)) {
      t = ParseTimestampText(text);
    }
    if (!t) {
      return Reject(R::kInvalidTimestamp,
                    fmt::format("timestamp {} is not ISO-8601 or an epoch number",
                                Preview(simdjson::minify(time_el))));
    }
    if (*t < limits.min_timestamp || *t > arrival + limits.max_future) {
      return Reject(
          R::kTimestampOutOfRange,
          fmt::format("timestamp {} is outside {} .. arrival + {} h",
                      Preview(simdjson::minify(time_el)), FormatCanonical(limits.min_timestamp),
                      limits.max_future / 3'600'000'000LL));
    }
    tick.timestamp = *t;
  }
  return tick;
}

// simdjson refuses a number it cannot hold (1e309, a 30-digit integer) as malformed JSON, but
// such a number is valid JSON: a price of 1e309 is not finite, a timestamp of -1e20 is out of
// range. An on-demand pass finds the top-level numbers the DOM parser refuses; when the record
// parses with those replaced by 0 and the (last) price or timestamp is one of them, that is the
// reason. Anything else stays malformed_json.
std::optional<Rejection> RecordParser::NumberOutOfRange(std::string_view line) {
  simdjson::dom::parser& dom = impl_->parser;
  const auto refused = [&dom](std::string_view number) {
    return dom.parse(number.data(), number.size(), true).error() != simdjson::SUCCESS;
  };
  impl_->buffer = simdjson::padded_string(line);
  const char* const base = impl_->buffer.data();
  simdjson::ondemand::document document;
  simdjson::ondemand::object object;
  if (impl_->numbers.iterate(impl_->buffer).get(document) || document.get_object().get(object)) {
    return std::nullopt;
  }
  std::string patched(line);
  std::string_view price, timestamp;
  std::vector<std::string_view> candle_tokens;  // beyond a double, in line order
  bool other_too_big = false;
  for (auto field : object) {
    std::string_view key;
    simdjson::ondemand::value value;
    simdjson::ondemand::json_type type;
    if (field.unescaped_key().get(key) || field.value().get(value) || value.type().get(type)) {
      return std::nullopt;
    }
    if (type != simdjson::ondemand::json_type::number) continue;
    const std::string_view token = Trim(value.raw_json_token());
    if (!IsJsonNumber(token)) return std::nullopt;
    const bool too_big = refused(token);
    if (too_big) {
      const auto at = static_cast<std::size_t>(token.data() - base);
      std::fill_n(patched.begin() + at, token.size(), ' ');
      patched[at] = '0';
    }
    if (key == "price") {
      price = too_big ? token : std::string_view();
    } else if (key == "timestamp") {
      timestamp = too_big ? token : std::string_view();
    } else if (too_big && IsCandleMember(key)) {
      candle_tokens.push_back(token);
    } else if (too_big) {
      other_too_big = true;
    }
  }
  if (price.empty() && timestamp.empty()) {
    if (candle_tokens.empty() || other_too_big) return std::nullopt;
    std::string& requoted = impl_->requoted;
    requoted.clear();
    std::size_t copied = 0;
    for (std::string_view token : candle_tokens) {
      const auto at = static_cast<std::size_t>(token.data() - base);
      requoted.append(line.substr(copied, at - copied)).append("\"").append(token).append("\"");
      copied = at + token.size();
    }
    requoted.append(line.substr(copied));
    return std::nullopt;
  }
  if (refused(patched)) return std::nullopt;  // something else is wrong too
  if (!price.empty()) {
    auto rejection = CheckPrice(std::strtod(std::string(price).c_str(), nullptr), impl_->limits);
    if (rejection) return rejection;
  }
  if (!timestamp.empty()) return EpochOutOfRange(timestamp);
  return std::nullopt;
}

void AppendTickJson(const Tick& tick, std::string& out) {
  out += R"({"symbol":)";
  AppendJsonString(tick.symbol, out);
  out += R"(,"timestamp":")";
  const std::size_t at = out.size();
  out.resize(at + kCanonicalTimestampSize);
  FormatCanonical(tick.timestamp, out.data() + at);
  out += R"(","price":)";
  AppendShortestDouble(tick.price, out);
  out += tick.extras;
  out += '}';
}

}  // namespace stockpipe
