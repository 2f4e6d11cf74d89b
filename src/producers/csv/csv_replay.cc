#include "producers/csv/csv_replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "producers/csv/progress.h"

namespace stockpipe::csv {
namespace {

std::string SymbolFromPath(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  // Browsers save a second download as "AAPL (1).csv".
  if (const auto space = stem.find(' '); space != std::string::npos) stem.resize(space);
  for (char& c : stem) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return stem;
}

bool Blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

}  // namespace

Result<LoadedFile> LoadFile(const std::string& path, const std::string& symbol,
                            const std::function<void(const std::string&)>& report) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(fmt::format("cannot open {}", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return Status::Error(fmt::format("cannot read {}", path));
  const std::string text = std::move(buffer).str();

  LoadedFile file;
  file.path = path;
  file.bytes = text.size();
  const std::string row_symbol = symbol.empty() ? SymbolFromPath(path) : symbol;
  bool have_header = false;
  std::vector<std::string> fields;
  std::size_t at = 0;
  for (std::uint64_t line_no = 1; at < text.size(); ++line_no) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + at, end - at);
    at = end + 1;
    if (Blank(line)) continue;
    if (!have_header) {
      auto columns = DetectLayout(line);
      if (!columns) return Status::Error(fmt::format("{}:{}: {}", path, line_no, columns.error()));
      if (columns->symbol < 0 && row_symbol.empty()) {
        return Status::Error(fmt::format("{}: no symbol column; give one with --symbol", path));
      }
      file.columns = std::move(*columns);
      have_header = true;
      continue;
    }
    ++file.rows_read;
    std::string line_text(line);
    if (!line_text.empty() && line_text.back() == '\r') line_text.pop_back();
    std::string reason;
    if (!SplitCsvLine(line_text, fields)) {
      reason = "a quote is not closed";
    } else {
      auto parsed = ParseRow(file.columns, fields, row_symbol);
      if (auto* row = std::get_if<Row>(&parsed)) {
        file.rows.push_back({std::move(*row), std::min<std::uint64_t>(at, text.size())});
        continue;
      }
      reason = std::get<std::string>(parsed);
    }
    ++file.skipped;
    if (report) report(fmt::format("{}:{}: {}", path, line_no, reason));
  }
  if (!have_header) return Status::Error(fmt::format("{} is empty: no header line", path));
  file.in_file_order = std::is_sorted(
      file.rows.begin(), file.rows.end(),
      [](const LoadedRow& a, const LoadedRow& b) { return a.row.time < b.row.time; });
  std::stable_sort(file.rows.begin(), file.rows.end(),
                   [](const LoadedRow& a, const LoadedRow& b) { return a.row.time < b.row.time; });
  return file;
}

ReplayResult Replay(const LoadedFile& file,
                    const std::function<Status(std::span<const StreamRecord>)>& send,
                    const ReplayOptions& options) {
  ReplayResult result;
  std::optional<Progress> progress;
  if (options.progress) {
    progress.emplace(*options.progress, options.terminal,
                     std::filesystem::path(file.path).filename().string(), file.bytes, options.now);
  }
  // Bytes done: exact (the last sent row's line end) when the file was in time order; for a
  // file that had to be sorted, each row's share of the file.
  const auto bytes_after = [&](std::uint64_t sent) -> std::uint64_t {
    if (sent == 0) return 0;
    if (file.in_file_order) return file.rows[sent - 1].end_offset;
    return static_cast<std::uint64_t>(static_cast<double>(file.bytes) * static_cast<double>(sent) /
                                      static_cast<double>(file.rows.size()));
  };

  std::vector<StreamRecord> pending;
  pending.reserve(std::min<std::size_t>(options.batch, file.rows.size()));
  const auto flush = [&]() -> bool {
    if (pending.empty()) return true;
    if (Status s = send(pending); !s.ok()) {
      result.status = s;
      // End a terminal bar's line, so the error that follows starts on its own.
      if (progress) progress->Finish(bytes_after(result.sent), result.sent);
      return false;
    }
    result.sent += pending.size();
    pending.clear();
    if (progress) {
      progress->Update(bytes_after(result.sent), result.sent);
    }
    return true;
  };

  const Micros first = file.rows.empty() ? 0 : file.rows.front().row.time;
  const Micros wall_start = options.now();
  for (const LoadedRow& r : file.rows) {
    if (options.speed > 0) {
      const Micros due =
          wall_start + static_cast<Micros>(static_cast<double>(r.row.time - first) / options.speed);
      if (due > options.now()) {
        if (!flush()) return result;
        const Micros now = options.now();  // after the write, which takes time too
        if (options.stopping() || (due > now && !options.sleep(due - now))) {
          result.stopped = true;
          break;
        }
      }
    }
    pending.push_back({r.row.symbol, RowRecord(r.row)});
    if (pending.size() >= options.batch) {
      if (!flush()) return result;
      if (options.stopping()) {
        result.stopped = true;
        break;
      }
    }
  }
  if (!flush()) return result;
  if (progress) {
    progress->Finish(result.stopped ? bytes_after(result.sent) : file.bytes, result.sent);
  }
  return result;
}

std::string Summary(const LoadedFile& file, const ReplayResult& result) {
  return fmt::format("{}: {} rows read, {} sent, {} skipped{}",
                     std::filesystem::path(file.path).filename().string(), file.rows_read,
                     result.sent, file.skipped, result.stopped ? " (stopped)" : "");
}

}  // namespace stockpipe::csv
