#include "producers/csv/csv_layout.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "codec/json_write.h"
#include "core/record.h"
#include "producers/synthetic.h"

namespace stockpipe::csv {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsNull(std::string_view v) {
  return v.empty() || Lower(v) == "null" || v == "NaN";
}

// A finite number written the whole way through (no trailing text).
std::optional<double> Number(std::string_view text) {
  text = Trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::string Quoted(std::string_view v) {
  std::string out = "'";
  out.append(v.substr(0, 40));
  if (v.size() > 40) out += "...";
  return out + "'";
}

}  // namespace

bool SplitCsvLine(std::string_view line, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (was_quoted && (c == ' ' || c == '\t' || c == '\r')) {
      // Spaces between a closing quote and the comma are layout, not data.
    } else if (c == '"' && Trim(field).empty()) {
      field.clear();
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields.push_back(was_quoted ? field : std::string(Trim(field)));
      field.clear();
      was_quoted = false;
    } else {
      field += c;
    }
  }
  if (quoted) return false;
  fields.push_back(was_quoted ? field : std::string(Trim(field)));
  return true;
}

std::string Columns::Describe() const {
  std::vector<std::string_view> bar;
  for (const auto& [column, name] :
       {std::pair{open, "open"}, std::pair{high, "high"}, std::pair{low, "low"},
        std::pair{close, "close"}, std::pair{volume, "volume"}}) {
    if (column >= 0) bar.emplace_back(name);
  }
  const std::string kept =
      bar.empty() ? "" : fmt::format("; bar fields sent: {}", fmt::join(bar, ", "));
  if (layout == Layout::kTicks) return fmt::format("ticks (symbol, timestamp, price{})", kept);
  return fmt::format("OHLC bars (price = {}, time = {}{})", names[price], names[time], kept);
}

Result<Columns> DetectLayout(std::string_view header) {
  if (header.substr(0, 3) == "\xEF\xBB\xBF") header.remove_prefix(3);
  std::vector<std::string> fields;
  if (!SplitCsvLine(Trim(header), fields)) return Status::Error("the header has an open quote");
  Columns c;
  c.count = fields.size();
  int close = -1;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    c.names.emplace_back(Trim(fields[i]));
    const std::string name = Lower(c.names.back());
    const int at = static_cast<int>(i);
    if (c.time < 0 &&
        (name == "timestamp" || name == "datetime" || name == "date" || name == "time")) {
      c.time = at;
    } else if (c.symbol < 0 && (name == "symbol" || name == "ticker")) {
      c.symbol = at;
    } else if (c.price < 0 && name == "price") {
      c.price = at;
    } else if (close < 0 && name == "close") {
      close = at;
    } else if (c.open < 0 && name == "open") {
      c.open = at;
    } else if (c.high < 0 && name == "high") {
      c.high = at;
    } else if (c.low < 0 && name == "low") {
      c.low = at;
    } else if (c.volume < 0 && name == "volume") {
      c.volume = at;
    }
  }
  const std::string seen = fmt::format("'{}'", fmt::join(c.names, ","));
  if (c.price >= 0) {
    c.layout = Layout::kTicks;
    if (c.symbol < 0 || c.time < 0) {
      return Status::Error(
          fmt::format("header {} has a price column but lacks {}: the ticks layout is "
                      "symbol,timestamp,price[,extra...]",
                      seen, c.symbol < 0 ? "symbol" : "timestamp"));
    }
    c.close = close;
    for (int i = 0; i < static_cast<int>(c.count); ++i) {
      if (i != c.time && i != c.price && i != c.symbol && i != c.open && i != c.high &&
          i != c.low && i != c.close && i != c.volume) {
        c.extras.push_back(i);
      }
    }
    return c;
  }
  if (close >= 0 && c.time >= 0) {
    c.layout = Layout::kOhlc;
    c.price = close;
    if (c.open >= 0 || c.high >= 0 || c.low >= 0) c.close = close;
    return c;
  }
  return Status::Error(fmt::format(
      "header {} is neither OHLC bars (Date or Datetime, Open, High, Low, Close, Adj Close, "
      "Volume) nor ticks (symbol,timestamp,price)",
      seen));
}

std::variant<Row, std::string> ParseRow(const Columns& c, const std::vector<std::string>& fields,
                                        std::string_view symbol) {
  if (fields.size() != c.count) {
    return fmt::format("{} fields, the header has {}", fields.size(), c.count);
  }
  Row row;
  const std::string& price_name = c.names[c.price];
  const std::string& price_text = fields[c.price];
  if (IsNull(price_text)) return fmt::format("{} is null", price_name);
  const auto price = Number(price_text);
  if (!price) return fmt::format("{} is not a number: {}", price_name, Quoted(price_text));
  if (*price <= 0) return fmt::format("{} must be positive, got {}", price_name, price_text);
  row.price = *price;

  const std::string& time_text = fields[c.time];
  if (IsNull(time_text)) return fmt::format("{} is empty", c.names[c.time]);
  const auto time = ParseTimestampText(time_text);
  if (!time) {
    return fmt::format("{} is not a date or time: {}", c.names[c.time], Quoted(time_text));
  }
  row.time = *time;

  row.symbol = c.symbol >= 0 ? std::string(Trim(fields[c.symbol])) : std::string(symbol);
  if (row.symbol.empty()) return "symbol is empty";

  // The bar's prices: positive numbers, as the Close is; an empty or null cell is no member.
  for (const auto& [column, field] :
       {std::pair{c.open, &Row::open}, std::pair{c.high, &Row::high}, std::pair{c.low, &Row::low},
        std::pair{c.close, &Row::close}}) {
    if (column < 0) continue;
    if (column == c.price) {
      row.*field = row.price;
      continue;
    }
    const std::string& text = fields[column];
    if (IsNull(text)) continue;
    const auto value = Number(text);
    if (!value) return fmt::format("{} is not a number: {}", c.names[column], Quoted(text));
    if (*value <= 0) return fmt::format("{} must be positive, got {}", c.names[column], text);
    row.*field = *value;
  }
  if (c.volume >= 0 && !IsNull(fields[c.volume])) {
    const auto volume = Number(fields[c.volume]);
    if (!volume || *volume < 0) {
      return fmt::format("{} is not a count: {}", c.names[c.volume], Quoted(fields[c.volume]));
    }
    row.volume = *volume;
  }
  for (int i : c.extras) {
    row.extras += ',';
    AppendJsonString(c.names[i], row.extras);
    row.extras += ':';
    const std::string& v = fields[i];
    if (IsNull(v)) {
      row.extras += "null";
    } else if (auto n = Number(v)) {
      AppendShortestDouble(*n, row.extras);
    } else {
      AppendJsonString(v, row.extras);
    }
  }
  return row;
}

std::string RowRecord(const Row& row) {
  std::string out = R"({"symbol":)";
  AppendJsonString(row.symbol, out);
  out += R"(,"timestamp":")";
  out += ReferenceTimestamp(row.time);
  out += R"(","price":)";
  AppendShortestDouble(row.price, out);
  for (const auto& [name, value] :
       {std::pair{R"(,"open":)", &row.open}, std::pair{R"(,"high":)", &row.high},
        std::pair{R"(,"low":)", &row.low}, std::pair{R"(,"close":)", &row.close},
        std::pair{R"(,"volume":)", &row.volume}}) {
    if (!*value) continue;
    out += name;
    AppendShortestDouble(**value, out);
  }
  out += row.extras;
  if (row.extras.find(R"(,"source":)") == std::string::npos) out += R"(,"source":"csv")";
  out += '}';
  return out;
}

}  // namespace stockpipe::csv
