#include "serve/params.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <tuple>

#include "core/record.h"
#include "core/symbol.h"

namespace stockpipe::serve {
namespace {

// Long junk is cut in messages: they are for reading, and they go back to the client.
std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string out;
  for (char c : text.substr(0, kMax)) {
    out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  }
  if (text.size() > kMax) out += "...";
  return fmt::format("\"{}\"", out);
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

}  // namespace

std::string DecodeUrl(std::string_view text, bool plus_as_space) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void ParseQueryText(std::string_view text, QueryParams& out) {
  while (!text.empty()) {
    const std::size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      out.emplace(DecodeUrl(pair.substr(0, eq), true),
                  eq == std::string_view::npos ? "" : DecodeUrl(pair.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
}

ApiError BadRequest(std::string message) {
  return ApiError{400, "bad_request", std::move(message)};
}

ApiResult<Micros> ParseTimeParam(std::string_view name, std::string_view text, RangeBound bound) {
  if (AllDigits(text)) {
    std::int64_t ms = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    // Up to the year 9999 in milliseconds; more would overflow as microseconds.
    if (ec == std::errc() && end == text.data() + text.size() && ms <= 253'402'300'799'999) {
      return ms * 1000 + (bound == RangeBound::kEnd ? 999 : 0);
    }
  } else if (auto t = ParseTimestampText(text)) {
    return *t;
  }
  return BadRequest(
      fmt::format("{}: not a time: {} (ISO 8601 like 2026-11-25T14:30:00Z, or epoch milliseconds)",
                  name, Quote(text)));
}

ApiResult<std::int64_t> ParseIntParam(std::string_view name, std::string_view text,
                                      std::int64_t min, std::int64_t max) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return BadRequest(fmt::format("{}: must be a whole number from {} to {}, got {}", name, min,
                                  max, Quote(text)));
  }
  return value;
}

ApiResult<std::string> ParseSymbolParam(std::string_view text) {
  constexpr std::size_t kMaxSymbol = RecordLimits{}.max_symbol_length;
  if (text.empty()) return BadRequest("symbol: required (e.g. ?symbol=AAPL)");
  std::string symbol(text);
  for (char& c : symbol) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (symbol.size() > kMaxSymbol ||
      !std::all_of(symbol.begin(), symbol.end(), [](char c) { return ValidSymbolChar(c); })) {
    return BadRequest(
        fmt::format("symbol: {} is not a symbol (1 to {} characters of A-Z 0-9 . - ^ = _ : /)",
                    Quote(text), kMaxSymbol));
  }
  return symbol;
}

ApiResult<CandlesRequest> ParseCandlesParams(const QueryParams& params) {
  const auto param = [&](const char* name) -> std::optional<std::string> {
    const auto it = params.find(name);
    if (it == params.end()) return std::nullopt;
    return it->second;
  };
  CandlesRequest request;
  auto symbol = ParseSymbolParam(param("symbol").value_or(""));
  if (auto* error = std::get_if<ApiError>(&symbol)) return std::move(*error);
  request.symbol = std::move(std::get<std::string>(symbol));
  request.interval = param("interval").value_or("");
  for (const auto& [name, out, bound] : {std::tuple{"from", &request.from, RangeBound::kStart},
                                         std::tuple{"to", &request.to, RangeBound::kEnd}}) {
    const auto text = param(name);
    if (!text) continue;
    auto t = ParseTimeParam(name, *text, bound);
    if (auto* error = std::get_if<ApiError>(&t)) return std::move(*error);
    *out = std::get<Micros>(t);
  }
  if (request.from && request.to && *request.from > *request.to) {
    return BadRequest(fmt::format("from ({}) is after to ({})", FormatCanonical(*request.from),
                                  FormatCanonical(*request.to)));
  }
  if (const auto limit = param("limit")) {
    auto value = ParseIntParam("limit", *limit, 1, static_cast<std::int64_t>(kMaxCandlesLimit));
    if (auto* error = std::get_if<ApiError>(&value)) return std::move(*error);
    request.limit = static_cast<std::size_t>(std::get<std::int64_t>(value));
  }
  return request;
}

}  // namespace stockpipe::serve
