#include "producers/synthetic_run.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <string>
#include <vector>

namespace stockpipe {
namespace {

constexpr Micros kSecond = 1'000'000;

}  // namespace

Status ParseSyntheticRate(std::string_view rate, double& per_second) {
  per_second = 0;
  if (rate.empty() || rate == "max") return Status::Ok();
  try {
    per_second = std::stod(std::string(rate));
  } catch (...) {
    per_second = -1;
  }
  if (!(per_second > 0)) {
    return Status::Error(fmt::format(
        "--rate must be 'max' or a positive number of records per second, got '{}'", rate));
  }
  return Status::Ok();
}

Result<std::uint64_t> RunSynthetic(const SyntheticParams& p,
                                   const std::function<Status(std::span<const StreamRecord>)>& send,
                                   const SyntheticRunOptions& options) {
  SyntheticFeed feed(p);
  const auto symbols = static_cast<std::uint64_t>(feed.symbol_count());
  const bool real_time = !options.load;
  const Micros interval = static_cast<Micros>(p.interval_sec * kSecond);
  const Micros started = options.now();
  // Load modes stamp ticks on a simulated clock that ends at the present, so every tick is
  // plausible to ingest; real time stamps them with the wall clock.
  std::uint64_t rounds_planned = 0;
  if (options.count)
    rounds_planned = (*options.count + symbols - 1) / symbols;
  else if (p.duration_sec > 0 && p.interval_sec > 0) {
    rounds_planned = static_cast<std::uint64_t>(p.duration_sec / p.interval_sec);
  }
  const Micros simulated_start = started - static_cast<Micros>(rounds_planned) * interval;

  std::vector<StreamRecord> pending, round;
  std::uint64_t sent = 0, round_number = 0;
  Micros last_report = started;
  Status failed;
  const auto flush = [&]() -> bool {
    if (pending.empty()) return true;
    if (Status s = send(pending); !s.ok()) {
      failed = s;
      return false;
    }
    sent += pending.size();
    pending.clear();
    return true;
  };
  while (!options.stopping()) {
    if (options.count && sent + pending.size() >= *options.count) break;
    const Micros now = options.now();
    if (real_time && p.duration_sec > 0 && now - started >= p.duration_sec * kSecond) break;
    if (!real_time && !options.count && rounds_planned > 0 && round_number >= rounds_planned) break;
    round.clear();
    feed.NextRound(real_time ? now : simulated_start + static_cast<Micros>(round_number) * interval,
                   round);
    ++round_number;
    for (StreamRecord& r : round) {
      if (options.count && sent + pending.size() >= *options.count) break;
      pending.push_back(std::move(r));
    }
    if (real_time || pending.size() >= options.batch) {
      if (!flush()) return failed;
    }
    if (real_time) {
      options.sleep(interval);
    } else if (options.per_second > 0) {
      const double due = static_cast<double>(sent + pending.size()) / options.per_second;
      const double elapsed = static_cast<double>(options.now() - started) / 1e6;
      if (due > elapsed) {
        if (!flush()) return failed;
        options.sleep(static_cast<Micros>((due - elapsed) * 1e6));
      }
    }
    if (now - last_report >= 5 * kSecond) {
      spdlog::info("produce synthetic: {} records sent", sent);
      last_report = now;
    }
  }
  if (!flush()) return failed;
  return sent;
}

}  // namespace stockpipe
