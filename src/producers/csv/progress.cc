#include "producers/csv/progress.h"

#include <fmt/format.h>

#include <algorithm>

namespace stockpipe::csv {
namespace {

constexpr Micros kRedraw = 100'000;        // terminal: ten frames a second at most
constexpr Micros kPlainEvery = 5'000'000;  // plain: a line every 5 s at least
constexpr int kBarWidth = 30;

}  // namespace

Progress::Progress(std::ostream& out, bool terminal, std::string label, std::uint64_t total_bytes,
                   std::function<Micros()> now, std::string unit)
    : out_(out),
      terminal_(terminal),
      label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total_bytes),
      now_(std::move(now)),
      started_(now_()) {
  last_draw_ = started_;
}

std::string Progress::Rate(std::uint64_t rows, Micros now) const {
  const Micros elapsed = now - started_;
  if (elapsed <= 0) return "";
  return fmt::format(", {:.0f} {}/s", static_cast<double>(rows) * 1e6 / elapsed, unit_);
}

void Progress::Draw(std::uint64_t bytes, std::uint64_t rows, Micros now) {
  const double fraction =
      total_ == 0 ? 1.0 : std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_));
  const int percent = static_cast<int>(fraction * 100);
  if (terminal_) {
    const int filled = static_cast<int>(fraction * kBarWidth);
    out_ << fmt::format("\r{} [{}{}] {:3d}% {} {}{}", label_, std::string(filled, '#'),
                        std::string(kBarWidth - filled, '.'), percent, rows, unit_, Rate(rows, now))
         << std::flush;
  } else {
    out_ << fmt::format("{}: {}% ({} {}{})\n", label_, percent, rows, unit_, Rate(rows, now))
         << std::flush;
  }
  last_draw_ = now;
  drawn_ = true;
}

void Progress::Update(std::uint64_t bytes, std::uint64_t rows) {
  const Micros now = now_();
  if (terminal_) {
    if (now - last_draw_ >= kRedraw) Draw(bytes, rows, now);
    return;
  }
  const int decile = total_ == 0 ? 10 : static_cast<int>(bytes * 10 / total_);
  if (decile > last_decile_ || now - last_draw_ >= kPlainEvery) {
    last_decile_ = std::max(last_decile_, decile);
    Draw(bytes, rows, now);
  }
}

void Progress::Finish(std::uint64_t bytes, std::uint64_t rows) {
  const Micros now = now_();
  const int decile = total_ == 0 ? 10 : static_cast<int>(bytes * 10 / total_);
  if (terminal_ || !drawn_ || decile > last_decile_) Draw(bytes, rows, now);
  if (terminal_) out_ << "\n" << std::flush;
}

}  // namespace stockpipe::csv
