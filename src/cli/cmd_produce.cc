#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "cli/commands.h"
#include "core/log.h"
#include "pipeline/backends.h"
#include "pipeline/shutdown.h"
#include "producers/csv/csv_replay.h"
#include "producers/file_producer.h"
#include "producers/synthetic_run.h"
#include "producers/yahoo/poller.h"

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
  log::Info("produce done", {{"records", *sent}, {"path", options.path}});
  std::cout << "sent " << *sent << "\n";
  return 0;
}

int ProduceSynthetic(Stream& stream, const ProduceOptions& options) {
  SyntheticRunOptions run;
  if (Status s = ParseSyntheticRate(options.rate, run.per_second); !s.ok()) {
    spdlog::error("{}", s.message());
    return 2;
  }
  run.count = options.count;
  run.load = !options.rate.empty() || options.count.has_value();
  run.batch = options.batch;
  run.sleep = [](Micros wait) {
    return SleepUnlessStopping(std::chrono::milliseconds(wait / 1000));
  };
  run.stopping = [] { return StopRequested(); };
  const Micros started = NowMicros();
  auto sent = RunSynthetic(
      options.synthetic, [&](std::span<const StreamRecord> batch) { return stream.Put(batch); },
      run);
  if (!sent) {
    spdlog::error("produce synthetic: {}", sent.error());
    return 1;
  }
  const double seconds = static_cast<double>(NowMicros() - started) / 1e6;
  log::Info("produce done", {{"records", *sent}, {"duration_ms", std::llround(seconds * 1000)}});
  std::cout << "sent " << *sent << "\n";
  return 0;
}

// Waits through Ctrl-C: false as soon as a stop is asked for.
bool WaitUnlessStopping(Micros wait) {
  if (wait <= 0) return !StopRequested();
  return SleepUnlessStopping(std::chrono::milliseconds((wait + 999) / 1000));
}

int ProduceYahoo(Stream& stream, StateStore& state, const ProduceOptions& options) {
  const auto poll = ParseDuration(options.poll);
  if (!poll || *poll < kSecond) {
    spdlog::error("--poll must be a duration of at least 1s, like 60s or 5m, got \"{}\"",
                  options.poll);
    return 2;
  }
  std::vector<std::string> symbols;
  std::set<std::string> seen;
  for (const std::string& given : options.symbols) {
    std::string symbol;
    for (char c : given) {
      if (c != ' ') symbol += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (!symbol.empty() && seen.insert(symbol).second) symbols.push_back(symbol);
  }
  if (symbols.empty()) {
    spdlog::error("--symbols needs at least one symbol, e.g. --symbols AAPL,MSFT,GOOGL");
    return 2;
  }
  yahoo::ChartClientOptions client_options;
  if (!options.endpoint.empty()) client_options.endpoint = options.endpoint;
  client_options.sleep = WaitUnlessStopping;
  yahoo::ChartClient client(client_options);

  yahoo::PollerOptions poller_options;
  poller_options.symbols = symbols;
  poller_options.poll = *poll;
  poller_options.any_hours = options.any_hours;
  poller_options.sleep = WaitUnlessStopping;
  poller_options.stopping = [] { return StopRequested(); };
  yahoo::Poller poller(
      client, [&](std::span<const StreamRecord> batch) { return stream.Put(batch); }, &state,
      poller_options);

  if (!options.once) {
    spdlog::info("produce yahoo: {} every {} s from {}{}; Ctrl-C stops", fmt::join(symbols, ","),
                 *poll / kSecond, client_options.endpoint, options.any_hours ? " (any hours)" : "");
    const std::uint64_t sent = poller.Run();
    spdlog::info("produce yahoo: sent {} bars", sent);
    std::cout << "sent " << sent << "\n";
    return 0;
  }
  const yahoo::PassResult pass = poller.PollOnce();
  std::string detail;
  for (const auto& [symbol, n] : pass.sent_by_symbol) {
    detail += fmt::format("{}{} {}", detail.empty() ? " (" : ", ", symbol, n);
  }
  std::cout << "sent " << pass.sent << (detail.empty() ? "" : detail + ")") << "\n";
  if (!pass.closed.empty())
    std::cout << "market closed: " << fmt::format("{}", fmt::join(pass.closed, ",")) << "\n";
  if (!pass.empty.empty())
    std::cout << "no data: " << fmt::format("{}", fmt::join(pass.empty, ",")) << "\n";
  for (const std::string& failure : pass.failed) std::cout << "failed: " << failure << "\n";
  return pass.stream.ok() && pass.failed.empty() ? 0 : 1;
}

int ProduceCsv(Stream& stream, const ProduceOptions& options) {
  double speed = 0;
  if (options.speed != "max") {
    const char* begin = options.speed.data();
    const char* end = begin + options.speed.size();
    const auto [ptr, ec] = std::from_chars(begin, end, speed);
    if (ec != std::errc() || ptr != end || !std::isfinite(speed) || speed <= 0) {
      spdlog::error(
          "--speed must be 'max' or a positive multiple of real time (2 = twice as "
          "fast), got '{}'",
          options.speed);
      return 2;
    }
  }
  constexpr std::size_t kListed = 1000;  // skipped rows listed per file; the rest are counted
  csv::ReplayOptions replay;
  replay.speed = speed;
  replay.batch = options.batch;
  replay.sleep = WaitUnlessStopping;
  replay.stopping = [] { return StopRequested(); };
  // A JSON log is one object a line: the progress lines would break it (the summary is logged).
  replay.progress = log::CurrentFormat() == log::Format::json ? nullptr : &std::cerr;
  replay.terminal = ::isatty(STDERR_FILENO) == 1;

  int code = 0;
  std::uint64_t read = 0, sent = 0, skipped = 0;
  std::size_t files = 0;
  for (const std::string& path : options.paths) {
    std::size_t listed = 0;
    auto file = csv::LoadFile(path, options.symbol, [&](const std::string& problem) {
      if (++listed <= kListed) {
        spdlog::warn("{}", problem);
      } else if (listed == kListed + 1) {
        spdlog::warn("{}: more skipped rows; they are counted, not listed", path);
      }
    });
    if (!file) {
      spdlog::error("produce csv: {}", file.error());
      code = 1;
      continue;
    }
    spdlog::info("produce csv: {} as {}{}", path, file->columns.Describe(),
                 speed > 0 ? fmt::format(" at {}x real time", speed) : "");
    const csv::ReplayResult result = csv::Replay(
        *file, [&](std::span<const StreamRecord> batch) { return stream.Put(batch); }, replay);
    std::cout << csv::Summary(*file, result) << "\n" << std::flush;
    ++files;
    read += file->rows_read;
    sent += result.sent;
    skipped += file->skipped;
    if (!result.status.ok()) {
      spdlog::error("produce csv: the stream refused a write: {}", result.status.message());
      return 1;
    }
    if (result.stopped) break;
  }
  if (files > 1) {
    std::cout << fmt::format("total: {} rows read, {} sent, {} skipped", read, sent, skipped)
              << "\n";
  }
  return code;
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
  if (options.source == "yahoo") return ProduceYahoo(**stream, **state, options);
  if (options.source == "csv") return ProduceCsv(**stream, options);
  return ProduceSynthetic(**stream, options);
}

}  // namespace stockpipe
