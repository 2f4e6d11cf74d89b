// Progress of a long replay on stderr. On a terminal: one bar line redrawn in place (`\r`) at most
// ten times a second, with the percent of the file's bytes and rows per second. Elsewhere (a log,
// a pipe): a plain line each time another 10% is done or 5 s have passed, so logs stay readable.
// Time comes from the injected clock.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "core/timestamp.h"

namespace stockpipe::csv {

class Progress {
 public:
  // `unit` names what `rows` counts ("rows", "symbols").
  Progress(std::ostream& out, bool terminal, std::string label, std::uint64_t total_bytes,
           std::function<Micros()> now, std::string unit = "rows");

  // `bytes` of the file and `rows` are done so far.
  void Update(std::uint64_t bytes, std::uint64_t rows);
  // The last state, drawn once more (and the bar's line ended).
  void Finish(std::uint64_t bytes, std::uint64_t rows);

 private:
  std::string Rate(std::uint64_t rows, Micros now) const;
  void Draw(std::uint64_t bytes, std::uint64_t rows, Micros now);

  std::ostream& out_;
  bool terminal_;
  std::string label_;
  std::string unit_;
  std::uint64_t total_;
  std::function<Micros()> now_;
  Micros started_;
  Micros last_draw_ = 0;
  int last_decile_ = 0;
  bool drawn_ = false;
};

}  // namespace stockpipe::csv
