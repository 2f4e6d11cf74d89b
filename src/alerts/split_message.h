// Splits an alert's text into parts that fit a chat service's message limit (Telegram 4,096,
// Discord 2,000 characters), for the channels that must never cut a message short.
//
// Guarantees:
//  - Concatenating the parts gives back `text` byte for byte: nothing is dropped, trimmed or
//    added (no "(1/3)" markers: a reader sees the parts one after the other).
//  - Each part is at most `limit` UTF-16 code units long, which is what both services count; a
//    code point past U+FFFF counts 2, so a part is never over the limit whichever way the
//    service counts. A byte that is not well-formed UTF-8 counts 1 (it is sent as U+FFFD).
//  - No part ends inside a UTF-8 sequence.
//  - A part ends after a line break when one lies in the second half of its window, else after
//    a space or tab there, else at the limit (a word longer than the limit is split).
// Pure function; an empty text gives no parts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace stockpipe {

// `limit` must be at least 2 (one code point past U+FFFF must fit).
std::vector<std::string> SplitMessage(std::string_view text, std::size_t limit);

// The length of `text` as the services count it: UTF-16 code units (malformed bytes count 1).
std::size_t Utf16Length(std::string_view text);

}  // namespace stockpipe
