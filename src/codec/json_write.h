// JSON writing for the hot paths: append to a caller's buffer, no DOM, no exceptions.
//
// The RAW and quarantine lines, DynamoDB items and query answers are written with these, a
// record at a time; a document built once (configuration, the dashboard) uses nlohmann instead.
// The output is always valid JSON, whatever bytes come in.
#pragma once

#include <string>
#include <string_view>

namespace stockpipe {

// Appends `text` as a JSON string literal (quotes included), escaping as RFC 8259 requires.
// Invalid UTF-8 bytes become U+FFFD so the output is always valid JSON.
void AppendJsonString(std::string_view text, std::string& out);

// Appends the shortest decimal text that reads back as exactly `value`.
void AppendShortestDouble(double value, std::string& out);

}  // namespace stockpipe
