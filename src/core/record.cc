#include "core/record.h"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

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

bool ValidSymbolChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '^' ||
         c == '=' || c == '_' || c == ':' || c == '/';
}

Rejection Reject(RejectReason reason, std::string message) { return {reason, std::move(message)}; }

}  // namespace

std::string_view ReasonCode(RejectReason reason) {
  static constexpr std::array<std::string_view, kRejectReasonCount> kCodes = {
      "empty",          "oversized",          "invalid_utf8",       "malformed_json",
      "not_an_object",  "missing_symbol",     "invalid_symbol",     "missing_price",
      "invalid_price",  "price_not_finite",   "price_not_positive", "price_out_of_range",
      "invalid_timestamp", "timestamp_out_of_range"};
  return kCodes[static_cast<std::size_t>(reason)];
}

struct RecordParser::Impl {
  RecordLimits limits;
  simdjson::dom::parser parser;
  simdjson::padded_string buffer;
  std::string scratch;
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
  if (!simdjson::validate_utf8(line.data(), line.size())) {
    return Reject(R::kInvalidUtf8, "record is not valid UTF-8 text");
  }

  simdjson::dom::element root;
  if (auto error = impl_->parser.parse(line.data(), line.size(), true).get(root)) {
    return Reject(R::kMalformedJson, fmt::format("not valid JSON ({}): {}",
                                                 simdjson::error_message(error), Preview(line)));
  }
  simdjson::dom::object object;
  if (root.get_object().get(object)) {
    return Reject(R::kNotAnObject, fmt::format("record must be a JSON object, got {}",
                                               Preview(line)));
  }

  Tick tick;
  bool have_symbol = false, have_price = false, have_time = false;
  simdjson::dom::element symbol_el, price_el, time_el;
  for (auto field : object) {
    const std::string_view key = field.key;
    if (key == "symbol" && !have_symbol) {
      have_symbol = true;
      symbol_el = field.value;
    } else if (key == "price" && !have_price) {
      have_price = true;
      price_el = field.value;
    } else if (key == "timestamp" && !have_time) {
      have_time = true;
      time_el = field.value;
    } else if (key != "symbol" && key != "price" && key != "timestamp") {
      tick.extras += ',';
      AppendJsonString(key, tick.extras);
      tick.extras += ':';
      tick.extras += simdjson::minify(field.value);
    }
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
  double price = 0;
  if (price_el.is_number()) {
    price = price_el.get_double().value_unsafe();
  } else if (std::string_view text; !price_el.get_string().get(text)) {
    const std::string_view t = Trim(text);
    const char* begin = t.data();
    if (!t.empty() && *begin == '+') ++begin;
    const auto [end, ec] = std::from_chars(begin, t.data() + t.size(), price);
    if (t.empty() || end != t.data() + t.size() ||
        (ec != std::errc() && ec != std::errc::result_out_of_range)) {
      return Reject(R::kInvalidPrice, fmt::format("price {} is not a number", Preview(text)));
    }
    // Out of range is an overflow (to +-inf) or an underflow (to 0): strtod tells which.
    if (ec == std::errc::result_out_of_range) price = std::strtod(std::string(t).c_str(), nullptr);
  } else {
    return Reject(R::kInvalidPrice, fmt::format("price must be a number or numeric string, got {}",
                                                Preview(simdjson::minify(price_el))));
  }
  if (!std::isfinite(price)) {
    return Reject(R::kPriceNotFinite, "price must be a finite number");
  }
  if (price <= 0) {
    return Reject(R::kPriceNotPositive, fmt::format("price must be positive, got {}", price));
  }
  if (price > limits.max_price) {
    return Reject(R::kPriceOutOfRange,
                  fmt::format("price {} is above the limit {}", price, limits.max_price));
  }
  tick.price = price;

  // Timestamp.
  if (!have_time || time_el.is_null()) {
    tick.timestamp = arrival;
  } else {
    std::optional<Micros> t;
    if (time_el.is_number()) {
      t = ParseEpoch(time_el.get_double().value_unsafe());
    } else if (std::string_view text; !time_el.get_string().get(text)) {
      t = ParseTimestampText(text);
    }
    if (!t) {
      return Reject(R::kInvalidTimestamp,
                    fmt::format("timestamp {} is not ISO-8601 or an epoch number",
                                Preview(simdjson::minify(time_el))));
    }
    if (*t < limits.min_timestamp || *t > arrival + limits.max_future) {
      return Reject(R::kTimestampOutOfRange,
                    fmt::format("timestamp {} is outside {} .. arrival + {} h",
                                Preview(simdjson::minify(time_el)),
                                FormatCanonical(limits.min_timestamp),
                                limits.max_future / 3'600'000'000LL));
    }
    tick.timestamp = *t;
  }
  return tick;
}

void AppendJsonString(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const bool valid = simdjson::validate_utf8(text.data(), text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else if (c >= 0x80 && !valid) {
          out += "\\ufffd";
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void AppendShortestDouble(double value, std::string& out) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, ec == std::errc() ? end : buf);
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
