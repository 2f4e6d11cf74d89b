// CSV replay / backfill: a price file (see csv_layout.h) read whole, its usable rows sent to the
// stream in timestamp order, either as fast as the stream takes them or at a multiple of real time.
//
// Guarantees:
// - Every data row is accounted for: sent, or skipped with `path:line: reason` handed to `report`
//   and counted (read = sent + skipped once a replay completes). Blank lines are not rows.
// - Rows are sent in timestamp order within a file (stable for equal times), whatever the file's
//   order (some vendors write newest first).
// - `speed` N > 0: row i is due (t_i - t_0) / N after the first row, against the injected clock,
//   so time spent writing does not accumulate as drift; rows due together go in one write.
//   `speed` 0 = as fast as possible, in writes of `batch` records.
// - `stopping()` is checked between writes: a stop sends what is pending and returns.
// Only a file that cannot be opened or whose header is no known layout is an error.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/stream.h"
#include "producers/csv/csv_layout.h"

namespace stockpipe::csv {

struct LoadedRow {
  Row row;
  std::uint64_t end_offset = 0;  // bytes of the file up to the end of this row's line
};

struct LoadedFile {
  std::string path;
  Columns columns;
  std::uint64_t bytes = 0;
  std::uint64_t rows_read = 0;
  std::uint64_t skipped = 0;
  std::vector<LoadedRow> rows;  // usable rows, sorted by time
  bool in_file_order = true;    // the file already had them in time order
};

// Reads `path`. `symbol` names the rows of a layout without a symbol column; empty = the file
// name's stem (`AAPL.csv` and `AAPL (1).csv` -> AAPL), upper-cased. Each skipped row is handed to
// `report` as `path:line: reason`, the path as given (so editors and terminals can jump to it).
Result<LoadedFile> LoadFile(const std::string& path, const std::string& symbol,
                            const std::function<void(const std::string&)>& report);

struct ReplayOptions {
  double speed = 0;  // 0 = max, else a multiple of real time
  std::size_t batch = 5'000;
  std::function<Micros()> now = NowMicros;
  std::function<bool(Micros)> sleep;  // required when speed > 0; false means stop
  std::function<bool()> stopping = [] { return false; };
  std::ostream* progress = nullptr;  // null: no progress
  bool terminal = false;             // how `progress` is drawn (see progress.h)
};

struct ReplayResult {
  std::uint64_t sent = 0;
  bool stopped = false;
  Status status;  // the first failed stream write, which ends the replay
};

ReplayResult Replay(const LoadedFile& file,
                    const std::function<Status(std::span<const StreamRecord>)>& send,
                    const ReplayOptions& options);

// `AAPL.csv: 1000 rows read, 998 sent, 2 skipped` (+ `, stopped` when stopped early).
std::string Summary(const LoadedFile& file, const ReplayResult& result);

}  // namespace stockpipe::csv
