// Loads the bad/odd record corpus `tests/fixtures/bad_records/cases.jsonl` (format in the README
// beside it). Shared by the parser test and the end-to-end ingest test.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/timestamp.h"

namespace stockpipe::testing {

inline constexpr char kCorpusDefaultArrival[] = "2025-08-14T15:00:00.000000Z";

struct CorpusCase {
  std::string kind;
  std::string input;   // the exact record bytes
  Micros arrival = 0;  // when the record arrived
  std::string expect;  // "accepted" or a rejection code
  // Accepted cases only.
  std::string symbol;
  std::string timestamp;
  double price = 0;
  std::optional<std::string> line;

  bool accepted() const { return expect == "accepted"; }
};

inline std::string CorpusPath() {
  return std::string(STOCKPIPE_FIXTURES) + "/bad_records/cases.jsonl";
}

inline std::string HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) throw std::runtime_error("odd hex length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::runtime_error("bad hex digit");
  };
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out += static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1]));
  }
  return out;
}

// Throws on a corpus file that does not follow the format: a broken fixture must fail loudly.
inline std::vector<CorpusCase> LoadCorpus() {
  simdjson::padded_string text;
  if (simdjson::padded_string::load(CorpusPath()).get(text)) {
    throw std::runtime_error("cannot read " + CorpusPath());
  }
  simdjson::dom::parser parser;
  simdjson::dom::document_stream docs;
  if (parser.parse_many(text).get(docs)) throw std::runtime_error("corpus is not JSON Lines");
  std::vector<CorpusCase> cases;
  for (auto doc : docs) {
    simdjson::dom::object o;
    if (doc.get_object().get(o)) throw std::runtime_error("corpus line is not an object");
    CorpusCase c;
    c.kind = std::string(o["kind"].get_string().value());
    c.expect = std::string(o["expect"].get_string().value());
    std::string_view s;
    simdjson::dom::object repeat;
    if (!o["input"].get_string().get(s)) {
      c.input = std::string(s);
    } else if (!o["input_hex"].get_string().get(s)) {
      c.input = HexDecode(s);
    } else if (!o["input_repeat"].get_object().get(repeat)) {
      c.input = std::string(repeat["head"].get_string().value());
      const std::string unit(repeat["unit"].get_string().value());
      const std::int64_t times = repeat["times"].get_int64().value();
      for (std::int64_t i = 0; i < times; ++i) c.input += unit;
      c.input += std::string(repeat["tail"].get_string().value());
    } else {
      throw std::runtime_error("case " + c.kind + " has no input");
    }
    std::string_view arrival = kCorpusDefaultArrival;
    if (std::string_view given; !o["arrival"].get_string().get(given)) arrival = given;
    const auto t = ParseTimestampText(arrival);
    if (!t) throw std::runtime_error("case " + c.kind + " has a bad arrival");
    c.arrival = *t;
    if (c.accepted()) {
      c.symbol = std::string(o["symbol"].get_string().value());
      c.timestamp = std::string(o["timestamp"].get_string().value());
      c.price = o["price"].get_double().value();
      if (!o["line"].get_string().get(s)) c.line = std::string(s);
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace stockpipe::testing
