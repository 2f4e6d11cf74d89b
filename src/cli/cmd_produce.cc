#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>
#include <thread>

#include "cli/backends.h"
#include "cli/commands.h"
#include "cli/local_pipeline.h"
#include "cli/shutdown.h"
#include "producers/file_producer.h"

namespace stockpipe {
namespace {

constexpr Micros kSecond = 1'000'000;

int ProduceFile(Stream& stream, const ProduceOptions& options) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (options.path != "-") {
    file.open(options.path, std::ios::binary);
    if (!file) {
      spdlog::error("cannot open {}", options.path);
      return 1;
    }
    in = &file;
  }
  auto sent = SendLines(*in, options.batch,
                        [&](std::span<const StreamRecord> batch) { return stream.Put(batch); });
  if (!sent) {
    spdlog::error("produce file: {}", sent.error());
    return 1;
  }
  spdlog::info("produce file: sent {} records from {}", *sent, options.path);
  std::cout << "sent " << *sent << "\n";
  return 0;
}

int ProduceSynthetic(Stream& stream, const ProduceOptions& options) {
  const SyntheticParams& p = options.synthetic;
  SyntheticFeed feed(p);
  const auto symbols = static_cast<std::uint64_t>(feed.symbol_count());
  const bool real_time = options.rate.empty() && !options.count;
  const Micros interval = static_cast<Micros>(p.interval_sec * kSecond);
  const Micros started = NowMicros();
  double per_second = 0;  // 0 = as fast as possible
  if (!options.rate.empty() && options.rate != "max") {
    try {
      per_second = std::stod(options.rate);
    } catch (...) {
      per_second = -1;
    }
    if (!(per_second > 0)) {
      spdlog::error("--rate must be 'max' or a positive number of records per second, got '{}'",
                    options.rate);
      return 2;
    }
  }
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
  const auto flush = [&]() -> bool {
    if (pending.empty()) return true;
    if (Status s = stream.Put(pending); !s.ok()) {
      spdlog::error("produce synthetic: {}", s.message());
      return false;
    }
    sent += pending.size();
    pending.clear();
    return true;
  };
  while (!StopRequested()) {
    if (options.count && sent + pending.size() >= *options.count) break;
    const Micros now = NowMicros();
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
      if (!flush()) return 1;
    }
    if (real_time) {
      SleepUnlessStopping(std::chrono::milliseconds(interval / 1000));
    } else if (per_second > 0) {
      const double due = static_cast<double>(sent + pending.size()) / per_second;
      const double elapsed = static_cast<double>(NowMicros() - started) / 1e6;
      if (due > elapsed) {
        if (!flush()) return 1;
        SleepUnlessStopping(std::chrono::milliseconds(static_cast<long>((due - elapsed) * 1000)));
      }
    }
    if (now - last_report >= 5 * kSecond) {
      spdlog::info("produce synthetic: {} records sent", sent);
      last_report = now;
    }
  }
  if (!flush()) return 1;
  const double seconds = static_cast<double>(NowMicros() - started) / 1e6;
  spdlog::info("produce synthetic: sent {} records in {:.2f} s", sent, seconds);
  std::cout << "sent " << sent << "\n";
  return 0;
}

}  // namespace

int RunProduce(const Config& config, const ProduceOptions& options) {
  // A producer never reads, so it needs no checkpoints: any state store will do.
  auto state = OpenState(config);
  if (!state) {
    spdlog::error("{}", state.error());
    return 1;
  }
  auto stream = OpenStreamBackend(config, **state);
  if (!stream) {
    spdlog::error("{}", stream.error());
    return 1;
  }
  if (options.source == "file") return ProduceFile(**stream, options);
  return ProduceSynthetic(**stream, options);
}

}  // namespace stockpipe
