// printf() and format() for the query engine, bounded by the length limit before they run.
//
// SQLite 3.40's printf builds `printf('%.*c', 1e9, 'x')` one character at a time: the length
// limit makes the result NULL but only after ~2e9 steps inside one VM step, where the progress
// handler (the time limit) cannot stop it. These replacements read the format first and refuse a
// width or precision, written or taken from an argument with `*`, over `max_bytes` with
// SQLITE_TOOBIG, before any work; everything else is formatted by SQLite's own printf (through a
// private in-memory connection), so the results are SQLite's, byte for byte.
#pragma once

#include <cstdint>

#include "core/result.h"

struct sqlite3;

namespace stockpipe::query {

// Registers printf() and format() on `db`, replacing the built-ins for that connection.
// `max_bytes` is the largest width or precision allowed (the connection's SQLITE_LIMIT_LENGTH).
Status RegisterBoundedPrintf(sqlite3* db, std::int64_t max_bytes);

}  // namespace stockpipe::query
