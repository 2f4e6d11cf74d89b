// Test helper: a small CSV file's cells by lower-cased header name, per line number, read with a
// plain split (no quoting: for the test data files that quote nothing), apart from the code under
// test, so what a producer sent can be compared with the file itself.
#pragma once

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace stockpipe::testing {

// {line number (the header is 1) -> {column name -> cell}}; a UTF-8 BOM and CRLF line ends are
// dropped.
inline std::map<int, std::map<std::string, std::string>> CsvCells(
    const std::filesystem::path& path) {
  std::istringstream in(ReadFile(path));
  const auto split = [](std::string line) {
    if (line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cells;
    std::istringstream fields(line);
    for (std::string cell; std::getline(fields, cell, ',');) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    return cells;
  };
  std::vector<std::string> header;
  std::map<int, std::map<std::string, std::string>> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::vector<std::string> cells = split(line);
    if (number == 1) {
      for (std::string name : cells) {
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        header.push_back(name);
      }
      continue;
    }
    for (std::size_t i = 0; i < cells.size() && i < header.size(); ++i) {
      out[number][header[i]] = cells[i];
    }
  }
  return out;
}

}  // namespace stockpipe::testing
