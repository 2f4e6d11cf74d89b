// Test helper: a command's or a file's text as its lines (without the newlines).
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace stockpipe::testing {

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace stockpipe::testing
