// Query-string parameters of the JSON API, checked: a bad one becomes a 400 `bad_request` whose
// message names the parameter and quotes what was sent (docs/dashboard.md, "Errors").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/timestamp.h"
#include "serve/dashboard.h"

namespace stockpipe::serve {

ApiError BadRequest(std::string message);

// Percent-decoding as URLs and form bodies use it: `%XX` becomes its byte (a malformed escape
// stays as it is), and with `plus_as_space` a `+` becomes a space (query strings and
// `application/x-www-form-urlencoded` bodies; never paths).
std::string DecodeUrl(std::string_view text, bool plus_as_space);

// `a=1&b=x+y&c` -> {a: "1", b: "x y", c: ""}, names and values decoded; a name given twice keeps
// both, in order (the first is the one the API reads).
using QueryParams = std::multimap<std::string, std::string>;
void ParseQueryText(std::string_view text, QueryParams& out);

// ISO 8601 text (`2026-11-25T14:30:00Z`, `2026-11-25`) or epoch milliseconds (digits only).
// Epoch milliseconds name a whole millisecond (the API answers in them, cutting microseconds):
// a range's start is its first microsecond, a range's end its last, so `to=<a point's ms>`
// includes that point.
enum class RangeBound { kStart, kEnd };
ApiResult<Micros> ParseTimeParam(std::string_view name, std::string_view text,
                                 RangeBound bound = RangeBound::kStart);

// A whole number in [min, max].
ApiResult<std::int64_t> ParseIntParam(std::string_view name, std::string_view text,
                                      std::int64_t min, std::int64_t max);

// A symbol as the API takes it: 1 to 32 characters of A-Z 0-9 . - ^ = _ : / (lower case is
// upper-cased), as ingest keeps them.
ApiResult<std::string> ParseSymbolParam(std::string_view text);

// /api/candles?symbol=&interval=&from=&to=&limit= (docs/dashboard.md): symbol required; limit
// 1..kMaxCandlesLimit; from and to as ParseTimeParam. The interval is checked by the dashboard,
// which knows the kept ones.
ApiResult<CandlesRequest> ParseCandlesParams(const QueryParams& params);

}  // namespace stockpipe::serve
