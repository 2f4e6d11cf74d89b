// Decoding one archive object into rows: inflate the gzip JSON Lines text (bounded, as every reader
// of objects is), then read it with the plain reader (archive_plain_reader.h) or, when that
// declines or `extra` is used, with simdjson, which also words the errors ("<key>: line N: ...").
// Only the columns in `Need` are parsed; with none, the lines are only counted. Runs on the
// table's helper threads: a Batch and a Scratch belong to one thread at a time, and `stop` asks
// a decode to end early (the cursor was closed or refiltered). Internal to the archive table.
#pragma once

#include <simdjson.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "query/archive_layout.h"
#include "query/archive_table.h"

namespace stockpipe::query::archive {

// The rows of one object, for the columns the query uses. Batches are recycled by the cursor, so
// their buffers keep their capacity from one object to the next.
struct Batch {
  std::string key, dt;
  std::string arena;        // unescaped strings and extra objects
  std::vector<Slot> slots;  // rows x stride
  std::size_t stride = 0;   // json columns + extra
  std::size_t rows = 0;
  bool simdjson = false;  // read by simdjson, not the plain reader
  Status error;

  void Reset(std::string object_key) {
    key = std::move(object_key);
    dt = std::string(PartitionOf(key));
    arena.clear();
    slots.clear();
    stride = 0;
    rows = 0;
    simdjson = false;
    error = Status::Ok();
  }
};

// What a helper thread reuses from one object to the next: the parser's buffers and the inflated
// text (a fresh multi-megabyte buffer per object costs page faults and zero-filling).
struct Scratch {
  Scratch() { parser.threaded = false; }  // no stage-1 thread per object: helpers fill the cores
  simdjson::dom::parser parser;
  std::string text;                   // inflated object, padded for simdjson
  std::vector<std::uint32_t> group;   // grouped scans: each row's group
  std::vector<std::uint64_t> values;  // grouped plain reads: each row's row-column values
  std::vector<Slot::Type> types;      // and their types
  std::vector<std::uint32_t> codes;   // and their DecimalCodes (one REAL row column)
};

// Counts the non-blank lines of `data`.
std::size_t CountLines(const char* data, std::size_t length);

// Inflates `gz` into s.text; the length, or nullopt with the error in `b`.
std::optional<std::size_t> Inflate(const std::string& gz, Scratch& s, Batch& b);

// Parses the inflated text (s.text, `length` bytes) into `b` (on a helper thread); `try_plain`
// false when the plain reader already failed on this object.
void Parse(std::size_t length, const Layout& layout, Need need, const std::atomic<bool>& stop,
           Scratch& s, Batch& b, bool try_plain);

// Inflate, then Parse: one object of a plain (not grouped) scan into `b`.
void Decode(const std::string& gz, const Layout& layout, Need need, const std::atomic<bool>& stop,
            Scratch& s, Batch& b);

}  // namespace stockpipe::query::archive
