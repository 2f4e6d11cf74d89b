// CSV price files: which layout a header names, and one row of it as a reference record.
//
// Two layouts, told apart by the header (case-insensitive, a UTF-8 BOM and spaces ignored):
// - OHLC bars as Yahoo Finance and most vendors export them: `Date,Open,High,Low,Close,Adj
//   Close,Volume` (daily) or `Datetime,...` (intraday, `2024-01-02 09:30:00-05:00`). Price is the
//   Close; the symbol comes from a `Symbol` column, else from the caller.
// - Ticks: `symbol,timestamp,price[,extra...]`; every extra column is kept as a record member
//   (numbers as numbers, `null`/empty as null, other text as strings).
// Columns are found by name, so their order does not matter.
//
// The bar's fields travel as record members next to `price`, lower-case whatever the header's
// case: `open`, `high`, `low`, `close` (= price; sent when the file has an Open, High or Low
// column, so a file of closes alone gives the price-only record it always gave) and `volume`, so
// ingest can build the file's own bars from them (core/candles.h) while `price` keeps the tick
// schema and the reference rule unchanged. Only the columns the file has are sent, and a cell that
// is empty or `null` is left out, never sent as 0. In the ticks layout, columns with those names
// are the same fields (checked, null cells left out) rather than verbatim extras. A bar field that
// is there but unusable (not a number; a price that is not positive; a negative volume) makes its
// row unusable, with the reason, as a bad Close does.
//
// Time: any form core/timestamp.h reads (ISO-8601 with `T` or a space, with `Z`, an offset or
// nothing meaning UTC; epoch seconds or milliseconds). A daily date is stamped 00:00Z of that date:
// the bar's start, as intraday bars are stamped, with no guess at the exchange's time zone, and
// its RAW partition (dt=) is the trading date itself.
//
// A row that cannot be made a record gets a reason a user can act on; nothing here throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "core/timestamp.h"

namespace stockpipe::csv {

// Splits one line (no newline) into fields with RFC 4180 quoting ("a ""b""" is `a "b"`).
// False when a quote is not closed on the line.
bool SplitCsvLine(std::string_view line, std::vector<std::string>& fields);

enum class Layout { kOhlc, kTicks };

struct Columns {
  Layout layout = Layout::kOhlc;
  std::size_t count = 0;  // fields per row
  int time = -1;
  int price = -1;  // Close for OHLC
  int symbol = -1;
  // The bar's fields (see above); -1 when not sent.
  int open = -1, high = -1, low = -1, close = -1, volume = -1;
  std::vector<int> extras;         // ticks layout: the other columns, kept
  std::vector<std::string> names;  // as written in the header (trimmed)
  std::string Describe() const;    // "OHLC (price = Close)" or "ticks (symbol,timestamp,price)"
};

// Errors say which columns are missing and what the two layouts look like.
Result<Columns> DetectLayout(std::string_view header);

struct Row {
  std::string symbol;
  Micros time = 0;
  double price = 0;
  std::optional<double> open, high, low, close, volume;
  std::string extras;  // `,"name":value...`
};

// `symbol` is used when the layout has no symbol column. Returns the row or why it is unusable.
std::variant<Row, std::string> ParseRow(const Columns& columns,
                                        const std::vector<std::string>& fields,
                                        std::string_view symbol);

// `{"symbol":"AAPL","timestamp":"2024-01-02T14:30:00Z","price":185.64,"open":185.1,"high":186,
// "low":184.9,"close":185.64,"volume":1200,...extras,"source":"csv"}`: the members a row has.
std::string RowRecord(const Row& row);

}  // namespace stockpipe::csv
