// Timestamps: every common input form in, one canonical form out.
//
// Canonical form is UTC with microseconds, fixed width: `2025-08-14T14:38:12.000000Z`
// (27 characters), so text order equals time order in every store.
// Internally a timestamp is microseconds since the Unix epoch (int64).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stockpipe {

using Micros = std::int64_t;

inline constexpr std::size_t kCanonicalTimestampSize = 27;

// Parses ISO-8601 / RFC 3339 text: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.frac]]` with `T` or a
// space, followed by `Z`, `+HH:MM`, `+HHMM`, `+HH` or nothing (nothing means UTC). Fractions
// beyond microseconds are truncated. Numeric text is read as an epoch (see ParseEpoch).
std::optional<Micros> ParseTimestampText(std::string_view text);

// Reads an epoch number, choosing the unit by magnitude as feeds do: below 1e11 seconds,
// below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds. Fractions are allowed.
std::optional<Micros> ParseEpoch(double value);

// Writes the canonical 27-character form into `out` (which must hold that many bytes).
void FormatCanonical(Micros t, char* out);
std::string FormatCanonical(Micros t);

// `YYYY-MM-DD` of the UTC day holding `t` (the RAW partition value).
std::string FormatDate(Micros t);

// Wall clock now, in microseconds since the epoch.
Micros NowMicros();

}  // namespace stockpipe
