// Tick -> alert latency of streaming signals (issue 8), span by span, beside the disk's fsync
// floor. One tick per batch handed to Ingestor::ProcessBatch (RAW object fsynced + CLEAN
// commit), the streaming observer evaluating the rule, the alert message queued durably in a real
// outbox and delivered to one no-op channel. A steady trend with cooldown 0 makes every tick after
// the warm-up alert.
//
//   ./build/bench/stockpipe_streaming_bench [--ticks 1000] [--dir /tmp/streaming-bench]
//                                           [--outbox-sync full|normal]
//
// Prints the fsync floor (4 KiB write + fdatasync in --dir), then p50/p99/max per span, all
// measured on one steady clock per alerting tick:
//   handed   ProcessBatch called          durable  the observer called (RAW and CLEAN durable)
//   decided  the alert message built       queued   the message committed in the outbox
//   first    the first channel called      done     the observer returned (checkpoint next)
// and the parts inside: RAW Put, CLEAN Upsert, cooldown Put (state store).
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <vector>

#include "alerts/outbox/outbox.h"
#include "archive/local/file_archive.h"
#include "ingest/ingestor.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "store/sqlite/sqlite_state_store.h"
#include "trends/streaming_signals.h"

namespace {

using namespace stockpipe;
using Clock = std::chrono::steady_clock;

double Us(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

// Adds the time spent in the wrapped call to `spent`.
class Timer {
 public:
  explicit Timer(Clock::duration& spent) : spent_(spent), start_(Clock::now()) {}
  ~Timer() { spent_ += Clock::now() - start_; }

 private:
  Clock::duration& spent_;
  Clock::time_point start_;
};

class TimedArchive final : public RawArchive {
 public:
  explicit TimedArchive(RawArchive& next) : next_(next) {}
  Status Put(std::string_view key, std::string_view bytes) override {
    Timer t(spent);
    return next_.Put(key, bytes);
  }
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    return next_.List(prefix);
  }
  Result<std::string> Get(std::string_view key) override { return next_.Get(key); }
  Clock::duration spent{};

 private:
  RawArchive& next_;
};

class TimedClean final : public CleanStore {
 public:
  explicit TimedClean(CleanStore& next) : next_(next) {}
  Status Upsert(std::span<const Tick> ticks) override {
    Timer t(spent);
    return next_.Upsert(ticks);
  }
  Result<std::vector<PricePoint>> LastN(std::string_view symbol, std::size_t n) override {
    return next_.LastN(symbol, n);
  }
  Result<std::vector<std::string>> Symbols() override { return next_.Symbols(); }
  const std::vector<Interval>& CandleIntervals() const override { return next_.CandleIntervals(); }
  Result<std::vector<Candle>> Candles(const CandleQuery& query) override {
    return next_.Candles(query);
  }
  Result<std::uint64_t> RebuildCandles(const CandleRebuild& scope) override {
    return next_.RebuildCandles(scope);
  }
  Clock::duration spent{};

 private:
  CleanStore& next_;
};

class TimedState final : public StateStore {
 public:
  explicit TimedState(StateStore& next) : next_(next) {}
  Result<std::optional<std::string>> Get(std::string_view key) override { return next_.Get(key); }
  Status Put(std::string_view key, std::string_view value) override {
    Timer t(put_spent);
    return next_.Put(key, value);
  }
  Clock::duration put_spent{};

 private:
  StateStore& next_;
};

// The one channel: takes everything, notes when it was first called.
class FirstChannel final : public Notifier {
 public:
  std::string_view Name() const override { return "null"; }
  Status Send(const AlertMessage&) override {
    if (!called) called = Clock::now();
    return Status::Ok();
  }
  std::optional<Clock::time_point> called;
};

struct Series {
  std::string name;
  std::vector<double> us;
};

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

void Print(const Series& s) {
  std::cout << fmt::format("{:28} n={:<5} p50={:>8.0f} us  p99={:>8.0f} us  max={:>8.0f} us\n",
                           s.name, s.us.size(), Percentile(s.us, 0.5), Percentile(s.us, 0.99),
                           *std::max_element(s.us.begin(), s.us.end()));
}

// What one synced write costs on this disk: 4 KiB appended, then fdatasync, `n` times.
Series FsyncFloor(const std::string& dir, int n) {
  Series out{"fsync floor (4K+fdatasync)", {}};
  const std::string path = dir + "/fsync-floor";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return out;
  const std::string block(4096, 'x');
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) break;
    if (::fdatasync(fd) != 0) break;
    out.us.push_back(Us(Clock::now() - t0));
  }
  ::close(fd);
  std::filesystem::remove(path);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tick -> alert latency of streaming signals"};
  int ticks = 1000;
  int fsyncs = 300;
  std::string dir = "/tmp/stockpipe-streaming-bench";
  app.add_option("--ticks", ticks, "ticks, one per batch");
  app.add_option("--fsyncs", fsyncs, "samples of the fsync floor");
  app.add_option("--dir", dir, "scratch folder (emptied first)");
  std::string outbox_sync = "full";
  app.add_option("--outbox-sync", outbox_sync, "full (default) or normal: the opt-in setting")
      ->check(CLI::IsMember({"full", "normal"}));
  CLI11_PARSE(app, argc, argv);

  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  Print(FsyncFloor(dir, fsyncs));

  FileArchive files(dir);
  auto clean = SqliteCleanStore::Open(dir + "/clean.db");
  auto state = SqliteStateStore::Open(dir + "/state.db");
  FirstChannel channel;
  OutboxOptions options;
  options.path = dir + "/outbox.db";
  if (outbox_sync == "normal") options.enqueue_sync = sqlite::Sync::kNormal;
  auto outbox = Outbox::Open(std::move(options), {&channel});
  if (!clean || !state || !outbox) {
    std::cerr << "cannot open the stores\n";
    return 1;
  }
  TimedArchive archive(files);
  TimedClean store(**clean);
  TimedState cooldowns(**state);
  TrendsSettings settings;  // the reference pct_sma rule
  settings.cooldown = 0;
  StreamingSignals streaming(store, cooldowns, **outbox, settings);
  Ingestor ingestor(archive, store);
  Clock::time_point durable, decided, queued, done;
  bool alerted = false;
  ingestor.SetOnDurable([&](std::span<const Tick> batch) -> Status {
    durable = Clock::now();
    auto r = streaming.OnDurable(batch);
    done = Clock::now();
    if (!r) return r.status();
    alerted = r->queued_now;
    decided = r->decided;
    queued = r->queued;
    return Status::Ok();
  });

  std::vector<Series> spans = {
      {"handed -> durable (sinks)", {}},
      {"  RAW Put", {}},
      {"  CLEAN Upsert", {}},
      {"durable -> decided", {}},
      {"decided -> queued (enqueue)", {}},
      {"queued -> first channel", {}},
      {"first channel -> done", {}},
      {"  cooldown Put", {}},
      {"durable -> queued", {}},
      {"durable -> first channel", {}},
      {"handed -> decided", {}},
      {"handed -> queued", {}},
      {"handed -> first channel", {}},
      {"handed -> done", {}},
  };

  const Micros t0 = 1'755'180'000'000'000;
  double price = 100;
  for (int i = 0; i < ticks; ++i) {
    price *= 1.003;
    StreamBatch batch;
    batch.shard = "shard-000000";
    batch.first_sequence = batch.last_sequence = fmt::format("{:020}", i);
    batch.entries.push_back(
        {batch.Keep(batch.first_sequence), t0 + i * 60'000'000LL,
         batch.Keep(fmt::format(R"({{"symbol":"AAPL","timestamp":{},"price":{:.4f}}})",
                                (t0 + i * 60'000'000LL) / 1'000'000, price))});
    alerted = false;
    archive.spent = store.spent = cooldowns.put_spent = {};
    channel.called.reset();
    const Clock::time_point handed = Clock::now();
    if (auto r = ingestor.ProcessBatch(batch); !r) {
      std::cerr << r.error() << "\n";
      return 1;
    }
    if (!alerted || !channel.called) continue;  // warm-up: no alert yet
    const Clock::time_point first = *channel.called;
    const double values[] = {Us(durable - handed),  Us(archive.spent),       Us(store.spent),
                             Us(decided - durable), Us(queued - decided),    Us(first - queued),
                             Us(done - first),      Us(cooldowns.put_spent), Us(queued - durable),
                             Us(first - durable),   Us(decided - handed),    Us(queued - handed),
                             Us(first - handed),    Us(done - handed)};
    for (std::size_t k = 0; k < spans.size(); ++k) spans[k].us.push_back(values[k]);
  }
  if (spans.front().us.empty()) {
    std::cerr << "no alerts\n";
    return 1;
  }
  for (const Series& s : spans) Print(s);
  return 0;
}
