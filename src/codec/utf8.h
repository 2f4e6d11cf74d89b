// UTF-8: validation, a strict decoder and the repairs the channels and the quarantine need.
//
// "Well-formed" is RFC 3629's: no overlong forms, no surrogates (U+D800..U+DFFF), nothing past
// U+10FFFF. Where text must become valid, each byte that does not start a well-formed sequence is
// replaced by U+FFFD on its own, so the repair never swallows the valid text after it.
// Pure functions over bytes; nothing allocates except the functions returning a string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace stockpipe {

// U+FFFD REPLACEMENT CHARACTER, as UTF-8.
inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";

// Whether all of `text` is well-formed UTF-8 (simdjson's validator: the hot path's check).
bool IsValidUtf8(std::string_view text);

// The length (1-4) of the well-formed sequence starting at text[i], 0 when the bytes there are
// malformed or cut short. `i` must be < text.size().
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i);

// The code point starting at text[i], advancing `i` past it; -1 with `i` advanced by one byte
// when the bytes there are malformed. `i` must be < text.size().
long NextCodePoint(std::string_view text, std::size_t& i);

// Appends the UTF-8 form of `code` (a Unicode scalar value: not a surrogate, at most U+10FFFF).
void AppendUtf8(std::uint32_t code, std::string& out);

// `text` with every malformed byte replaced by U+FFFD; well-formed text comes back unchanged.
std::string ToValidUtf8(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a sequence
// (only continuation bytes are backed over: the prefix is as valid as the text was).
std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes);

}  // namespace stockpipe
