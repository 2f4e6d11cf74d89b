#include "query/result_format.h"

#include <algorithm>
#include <cmath>

#include "codec/json_write.h"

namespace stockpipe {
namespace {

// Display width in code points (UTF-8 continuation bytes take no column).
std::size_t Width(std::string_view s) {
  std::size_t w = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++w;
  }
  return w;
}

}  // namespace

std::string CellText(const Cell& cell) {
  switch (cell.type) {
    case Cell::Type::kNull:
      return {};
    case Cell::Type::kInteger:
      return std::to_string(cell.integer);
    case Cell::Type::kReal: {
      if (!std::isfinite(cell.real)) {
        return std::isnan(cell.real) ? "NaN" : cell.real > 0 ? "Infinity" : "-Infinity";
      }
      std::string out;
      AppendShortestDouble(cell.real, out);
      return out;
    }
    case Cell::Type::kText:
      return std::string(cell.text);
  }
  return {};
}

// ---- CSV ----------------------------------------------------------------------------------------

void CsvWriter::Field(std::string_view text, bool first) {
  if (!first) line_ += ',';
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    line_ += text;
    return;
  }
  line_ += '"';
  for (char c : text) {
    if (c == '"') line_ += '"';
    line_ += c;
  }
  line_ += '"';
}

Status CsvWriter::Emit() {
  line_ += "\r\n";
  if (max_bytes_ > 0 && bytes_ + line_.size() > max_bytes_) {
    truncated_ = true;
    return Status::Ok();
  }
  bytes_ += line_.size();
  out_ << line_;
  return out_ ? Status::Ok() : Status::Error("cannot write the CSV output");
}

Status CsvWriter::Columns(std::span<const std::string> names) {
  line_.clear();
  for (std::size_t i = 0; i < names.size(); ++i) Field(names[i], i == 0);
  return Emit();
}

Status CsvWriter::Row(std::span<const Cell> cells) {
  if (truncated_) return Status::Ok();
  line_.clear();
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].type == Cell::Type::kText) {
      Field(cells[i].text, i == 0);
    } else {
      Field(CellText(cells[i]), i == 0);
    }
  }
  if (Status s = Emit(); !s.ok()) return s;
  if (!truncated_) ++rows_written_;
  return Status::Ok();
}

// ---- JSON ---------------------------------------------------------------------------------------

Status JsonWriter::Columns(std::span<const std::string> names) {
  keys_.clear();
  for (const std::string& name : names) {
    std::string key;
    AppendJsonString(name, key);
    key += ':';
    keys_.push_back(std::move(key));
  }
  out_ << '[';
  return Status::Ok();
}

Status JsonWriter::Row(std::span<const Cell> cells) {
  line_.clear();
  line_ += any_row_ ? ",\n{" : "\n{";
  any_row_ = true;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i) line_ += ',';
    line_ += keys_[i];
    const Cell& c = cells[i];
    switch (c.type) {
      case Cell::Type::kNull:
        line_ += "null";
        break;
      case Cell::Type::kInteger:
        line_ += std::to_string(c.integer);
        break;
      case Cell::Type::kReal:
        if (std::isfinite(c.real))
          AppendShortestDouble(c.real, line_);
        else
          line_ += "null";
        break;
      case Cell::Type::kText:
        AppendJsonString(c.text, line_);
        break;
    }
  }
  line_ += '}';
  out_ << line_;
  return out_ ? Status::Ok() : Status::Error("cannot write the JSON output");
}

void JsonWriter::Finish() {
  out_ << (any_row_ ? "\n]\n" : "]\n");
}

// ---- Table --------------------------------------------------------------------------------------

Status TableWriter::Columns(std::span<const std::string> names) {
  names_.assign(names.begin(), names.end());
  numeric_.assign(names.size(), true);
  widths_.assign(names.size(), 0);
  for (std::size_t i = 0; i < names_.size(); ++i) {
    widths_[i] = std::min(Width(names_[i]), kTableMaxWidth);
  }
  return Status::Ok();
}

Status TableWriter::Row(std::span<const Cell> cells) {
  std::vector<std::string> row;
  row.reserve(cells.size());
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (cells[i].type == Cell::Type::kText) numeric_[i] = false;
    row.push_back(cells[i].type == Cell::Type::kNull ? "NULL" : CellText(cells[i]));
    held_bytes_ += row.back().size();
  }
  rows_.push_back(std::move(row));
  ++total_rows_;
  if (rows_.size() >= kTableChunkRows || held_bytes_ >= kTableChunkBytes) return Flush();
  return Status::Ok();
}

void TableWriter::Print(const std::vector<std::string>& cells, bool header) {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i) line += " | ";
    const std::size_t w = Width(cells[i]);
    const std::string pad(widths_[i] > w ? widths_[i] - w : 0, ' ');
    const bool right = !header && numeric_[i];
    if (right) {
      line += pad;
      line += cells[i];
    } else {
      line += cells[i];
      if (i + 1 < cells.size()) line += pad;
    }
  }
  out_ << line << '\n';
}

Status TableWriter::Flush() {
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths_[i] = std::max(widths_[i], std::min(Width(row[i]), kTableMaxWidth));
    }
  }
  if (!header_printed_) {
    header_printed_ = true;
    Print(names_, true);
    std::string rule;
    for (std::size_t i = 0; i < widths_.size(); ++i) {
      if (i) rule += "-+-";
      rule += std::string(widths_[i], '-');
    }
    out_ << rule << '\n';
  }
  for (const auto& row : rows_) Print(row, false);
  rows_.clear();
  held_bytes_ = 0;
  return out_ ? Status::Ok() : Status::Error("cannot write the table output");
}

void TableWriter::Finish() {
  (void)Flush();
  out_ << '(' << total_rows_ << (total_rows_ == 1 ? " row)\n" : " rows)\n");
}

// ---- Tee ----------------------------------------------------------------------------------------

Status TeeSink::Columns(std::span<const std::string> names) {
  if (Status s = a_.Columns(names); !s.ok()) return s;
  return b_.Columns(names);
}

Status TeeSink::Row(std::span<const Cell> cells) {
  if (Status s = a_.Row(cells); !s.ok()) return s;
  return b_.Row(cells);
}

}  // namespace stockpipe
