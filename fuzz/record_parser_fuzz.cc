// libFuzzer target for the record parser.
//
// Any input must come back as a Tick or a Rejection, without a crash or a sanitizer report. A
// Rejection carries one of the stable codes and a message. A Tick obeys the limits, and its
// canonical line (what RAW stores) parses again to exactly the same tick: archiving a record and
// reading it back never changes it.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "core/record.h"

namespace {

using stockpipe::Micros;

constexpr Micros kArrival = 1'755'183'600'000'000;  // 2025-08-14T15:00:00Z

[[noreturn]] void Fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "record_parser_fuzz: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

bool ValidSymbol(std::string_view s, std::size_t max_length) {
  if (s.empty() || s.size() > max_length) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view(".-^=_:/").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Parsers are reused across inputs, as ingest reuses them across records.
  static const stockpipe::RecordLimits limits;
  static stockpipe::RecordParser parser(limits);
  static stockpipe::RecordParser reparser(limits);

  const std::string_view line(reinterpret_cast<const char*>(data), size);
  auto result = parser.Parse(line, kArrival);

  if (const auto* rejection = std::get_if<stockpipe::Rejection>(&result)) {
    const int reason = static_cast<int>(rejection->reason);
    if (reason < 0 || reason >= stockpipe::kRejectReasonCount) Fail("unknown reason", line);
    if (stockpipe::ReasonCode(rejection->reason).empty()) Fail("empty reason code", line);
    if (rejection->message.empty()) Fail("empty rejection message", line);
    return 0;
  }

  const auto& tick = std::get<stockpipe::Tick>(result);
  if (!ValidSymbol(tick.symbol, limits.max_symbol_length)) Fail("bad symbol accepted", line);
  if (!std::isfinite(tick.price) || tick.price <= 0 || tick.price > limits.max_price) {
    Fail("bad price accepted", line);
  }
  if (tick.timestamp < limits.min_timestamp || tick.timestamp > kArrival + limits.max_future) {
    Fail("timestamp outside the limits accepted", line);
  }

  std::string canonical;
  stockpipe::AppendTickJson(tick, canonical);
  auto again = reparser.Parse(canonical, kArrival);
  const auto* back = std::get_if<stockpipe::Tick>(&again);
  if (back == nullptr) {
    Fail("canonical line rejected", canonical + " <- " + std::string(line) + " : " +
                                        std::get<stockpipe::Rejection>(again).message);
  }
  if (back->symbol != tick.symbol) Fail("symbol changed on re-parse", canonical);
  if (back->timestamp != tick.timestamp) Fail("timestamp changed on re-parse", canonical);
  if (back->price != tick.price) Fail("price changed on re-parse", canonical);
  if (back->extras != tick.extras) Fail("extras changed on re-parse", canonical);
  std::string canonical_again;
  stockpipe::AppendTickJson(*back, canonical_again);
  if (canonical_again != canonical) Fail("canonical line is not a fixed point", canonical);
  return 0;
}
