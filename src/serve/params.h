// Query-string parameters of the JSON API, checked: a bad one becomes a 400 `bad_request` whose
// message names the parameter and quotes what was sent (docs/dashboard.md, "Errors").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/timestamp.h"
#include "serve/dashboard.h"

namespace stockpipe::serve {

ApiError BadRequest(std::string message);

// ISO 8601 text (`2026-11-25T14:30:00Z`, `2026-11-25`) or epoch milliseconds (digits only).
ApiResult<Micros> ParseTimeParam(std::string_view name, std::string_view text);

// A whole number in [min, max].
ApiResult<std::int64_t> ParseIntParam(std::string_view name, std::string_view text,
                                      std::int64_t min, std::int64_t max);

}  // namespace stockpipe::serve
