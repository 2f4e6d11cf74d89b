// Tick -> alert latency of streaming signals (issue 8): one tick per batch handed to
// Ingestor::ProcessBatch (RAW object fsynced + CLEAN commit), the streaming observer evaluating
// the rule, and the alert message queued durably in a real outbox (Outbox::Send returned).
// A steady trend with cooldown 0 makes every tick after the warm-up alert.
//
//   ./build/bench/stockpipe_streaming_bench [--ticks 2000] [--dir /tmp/streaming-bench]
//
// Prints p50/p99/max of: batch handed to ingest -> alert queued (`total`), and sinks durable ->
// alert queued (`streaming`, the part streaming adds), and sinks durable -> message handed to the
// outbox (`evaluate`: ring, rule and cooldown read, before the outbox's synced enqueue).
#include <fmt/format.h>

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

class NullChannel final : public Notifier {
 public:
  std::string_view Name() const override { return "null"; }
  Status Send(const AlertMessage&) override { return Status::Ok(); }
};

// Forwards to the outbox and notes when the message was queued.
class Stamping final : public Notifier {
 public:
  explicit Stamping(Notifier& next) : next_(next) {}
  std::string_view Name() const override { return "stamping"; }
  Status Send(const AlertMessage& message) override {
    handed = Clock::now();
    Status s = next_.Send(message);
    queued = Clock::now();
    ++sent;
    return s;
  }
  Clock::time_point handed, queued;
  std::size_t sent = 0;

 private:
  Notifier& next_;
};

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tick -> alert latency of streaming signals"};
  int ticks = 2000;
  std::string dir = "/tmp/stockpipe-streaming-bench";
  app.add_option("--ticks", ticks, "ticks, one per batch");
  app.add_option("--dir", dir, "scratch folder (emptied first)");
  CLI11_PARSE(app, argc, argv);

  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  FileArchive archive(dir);
  auto clean = SqliteCleanStore::Open(dir + "/clean.db");
  auto state = SqliteStateStore::Open(dir + "/state.db");
  NullChannel null;
  auto outbox = Outbox::Open({.path = dir + "/outbox.db"}, {&null});
  if (!clean || !state || !outbox) {
    std::cerr << "cannot open the stores\n";
    return 1;
  }
  Stamping stamping(**outbox);
  TrendsSettings settings;  // the reference pct_sma rule
  settings.cooldown = 0;
  StreamingSignals streaming(**clean, **state, {&stamping}, settings);
  Ingestor ingestor(archive, **clean);
  Clock::time_point durable;
  ingestor.SetOnDurable([&](std::span<const Tick> batch) -> Status {
    durable = Clock::now();
    auto r = streaming.OnDurable(batch);
    return r ? Status::Ok() : r.status();
  });

  std::vector<double> total_us, streaming_us, evaluate_us;
  const Micros t0 = 1'755'180'000'000'000;
  double price = 100;
  for (int i = 0; i < ticks; ++i) {
    price *= 1.003;
    StreamBatch batch;
    batch.shard = "shard-000000";
    batch.first_sequence = batch.last_sequence = fmt::format("{:020}", i);
    batch.entries.push_back({batch.first_sequence, t0 + i * 60'000'000LL,
                             fmt::format(R"({{"symbol":"AAPL","timestamp":{},"price":{:.4f}}})",
                                         (t0 + i * 60'000'000LL) / 1'000'000, price)});
    const std::size_t before = stamping.sent;
    const Clock::time_point handed = Clock::now();
    if (auto r = ingestor.ProcessBatch(batch); !r) {
      std::cerr << r.error() << "\n";
      return 1;
    }
    if (stamping.sent == before) continue;  // warm-up: no alert yet
    total_us.push_back(std::chrono::duration<double, std::micro>(stamping.queued - handed).count());
    evaluate_us.push_back(
        std::chrono::duration<double, std::micro>(stamping.handed - durable).count());
    streaming_us.push_back(
        std::chrono::duration<double, std::micro>(stamping.queued - durable).count());
  }
  if (total_us.empty()) {
    std::cerr << "no alerts\n";
    return 1;
  }
  for (auto [name, v] : {std::pair{"total", &total_us}, std::pair{"streaming", &streaming_us},
                         std::pair{"evaluate", &evaluate_us}}) {
    std::cout << fmt::format("{:9} alerts={} p50={:.0f} us p99={:.0f} us max={:.0f} us\n", name,
                             v->size(), Percentile(*v, 0.5), Percentile(*v, 0.99),
                             *std::max_element(v->begin(), v->end()));
  }
  return 0;
}
