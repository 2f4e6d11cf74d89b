// Test helper: runs a shell command and collects what it printed, for tests that check their
// results with an outside tool (node scripts, ldd).
#pragma once

#include <cstdio>
#include <string>

namespace stockpipe::testing {

struct ShellResult {
  int status = -1;  // pclose's wait status: 0 when the command exited 0; -1 when it never ran
  std::string out;  // its stdout (add `2>&1` to the command for stderr too)
};

inline ShellResult RunShell(const std::string& command) {
  ShellResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return result;
  char buffer[1 << 16];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
    result.out.append(buffer, n);
  }
  result.status = ::pclose(pipe);
  return result;
}

}  // namespace stockpipe::testing
