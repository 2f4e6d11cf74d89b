// End-to-end bench of the embedded pipeline: a producer process fills the local stream with
// synthetic ticks while this process ingests them (RAW gzip objects fsynced + CLEAN SQLite
// commits + checkpoints), exactly as `stockpipe produce` and `stockpipe ingest` do.
//
//   ./build/bench/stockpipe_e2e_bench --records 1000000 [--prefill] [--symbols 50] [--volume]
//                                     [--candles 1m,1h,1d] [--fsync]
//
// `--volume` adds a `volume` member to every record (what Yahoo and CSV feeds send); `--candles`
// sets the intervals bars are kept at (the default's three unless given; `none`: no bars, to
// measure what bars cost in the same binary); `--fsync` is the power-cut-safe mode
// (docs/durability.md). Prints ticks/s, CPU seconds and peak RSS for each side, and ingest's CPU
// per tick by stage (Ingestor::stage_cpu; "rest" is thread start-up, allocation and waiting on
// locks). `--prefill` produces everything first and then times ingest alone.
#include <fmt/format.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "archive/local/file_archive.h"
#include "ingest/ingestor.h"
#include "producers/synthetic.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "stream/local/sqlite_stream.h"

namespace {

using namespace stockpipe;

double Seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
}

int Produce(const std::string& dir, std::uint64_t records, int symbols, int shards,
            std::size_t batch, bool volume, sqlite::Sync sync) {
  auto stream = SqliteStream::Open(dir + "/stream.db", shards, sync);
  if (!stream) {
    std::cerr << stream.error() << "\n";
    return 1;
  }
  SyntheticParams params;
  params.seed = 1;
  params.symbols.clear();
  for (int i = 0; i < symbols; ++i) params.symbols.push_back(fmt::format("SYM{}", i));
  SyntheticFeed feed(params);
  const auto rounds = static_cast<Micros>(records / static_cast<std::uint64_t>(symbols) + 1);
  Micros t = NowMicros() - rounds * 1'000'000;
  std::vector<StreamRecord> pending;
  std::uint64_t sent = 0;
  while (sent < records) {
    while (pending.size() < batch && sent + pending.size() < records) {
      const std::size_t from = pending.size();
      feed.NextRound(t += 1'000'000, pending);
      for (std::size_t i = from; volume && i < pending.size(); ++i) {
        pending[i].data.insert(pending[i].data.size() - 1, fmt::format(",\"volume\":{}", 100 + i));
      }
    }
    if (sent + pending.size() > records) pending.resize(records - sent);
    if (Status s = (*stream)->Put(pending); !s.ok()) {
      std::cerr << s.message() << "\n";
      return 1;
    }
    sent += pending.size();
    pending.clear();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Batches allocate and free tens of MB each; glibc would hand big blocks back to the kernel
  // after every batch and fault them in again (a third of ingest's CPU). Keep them.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  CLI::App app{"stockpipe end-to-end ingest bench"};
  std::uint64_t records = 1'000'000;
  int symbols = 50, shards = 4;
  std::size_t batch = 20'000;
  bool prefill = false, volume = false, fsync = false;
  std::string dir;
  std::vector<std::string> candles = {"1m", "1h", "1d"};
  app.add_option("--records", records)->capture_default_str();
  app.add_option("--symbols", symbols)->capture_default_str();
  app.add_option("--shards", shards)->capture_default_str();
  app.add_option("--batch", batch, "records per Put and per ingest batch")->capture_default_str();
  app.add_option("--dir", dir, "data folder (default: a new temporary one, removed after)");
  app.add_flag("--prefill", prefill, "produce everything first, then time ingest alone");
  app.add_flag("--volume", volume, "a volume member in every record");
  app.add_flag("--fsync", fsync, "the power-cut-safe mode ([ingest] fsync = true)");
  app.add_option("--candles", candles, "candle intervals")->delimiter(',');
  CLI11_PARSE(app, argc, argv);

  const bool temporary = dir.empty();
  if (temporary) dir = fmt::format("/tmp/stockpipe-bench-{}", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  // Create the stream before forking so both sides agree on the shard count.
  if (auto s = SqliteStream::Open(dir + "/stream.db", shards); !s) {
    std::cerr << s.error() << "\n";
    return 1;
  }

  const Micros produce_start = NowMicros();
  const pid_t child = ::fork();
  const sqlite::Sync sync = fsync ? sqlite::Sync::kFull : sqlite::Sync::kNormal;
  if (child == 0) ::_exit(Produce(dir, records, symbols, shards, batch, volume, sync));
  rusage producer_usage{};
  int status = 0;
  Micros produce_end = 0;
  if (prefill) {
    ::wait4(child, &status, 0, &producer_usage);
    produce_end = NowMicros();
  }

  auto stream = SqliteStream::Open(dir + "/stream.db", shards, sync);
  const bool no_bars = candles == std::vector<std::string>{"none"};
  auto intervals =
      no_bars ? Result<std::vector<Interval>>(std::vector<Interval>{}) : ParseIntervals(candles);
  if (!intervals) {
    std::cerr << intervals.error() << "\n";
    return 2;
  }
  auto store = SqliteCleanStore::Open(dir + "/clean.db", sync, *intervals);
  if (!stream || !store) {
    std::cerr << (!stream ? stream.error() : store.error()) << "\n";
    return 1;
  }
  FileArchive archive(dir);
  Ingestor ingestor(archive, **store);
  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  const Micros ingest_start = NowMicros();
  std::uint64_t ingested = 0;
  while (ingested < records) {
    auto pass = ingestor.PollOnce(**stream, "ingest", batch);
    if (!pass) {
      std::cerr << pass.error() << "\n";
      return 1;
    }
    ingested += pass->received;
    if (pass->received == 0 && prefill) break;
  }
  const Micros ingest_end = NowMicros();
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  if (!prefill) {
    ::wait4(child, &status, 0, &producer_usage);
    produce_end = NowMicros();
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::cerr << "producer failed\n";
    return 1;
  }

  const double ingest_s = static_cast<double>(ingest_end - ingest_start) / 1e6;
  const double produce_s = static_cast<double>(produce_end - produce_start) / 1e6;
  const double cpu = Seconds(after.ru_utime) + Seconds(after.ru_stime) - Seconds(before.ru_utime) -
                     Seconds(before.ru_stime);
  std::uint64_t raw_bytes = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/raw")) {
    if (e.is_regular_file()) raw_bytes += e.file_size();
  }
  std::cout << fmt::format(
      "mode            {}{}\nrecords         {} ({} symbols, {} shards, batch {})\n"
      "producer        {:.0f} ticks/s ({:.2f} s, cpu {:.2f} s, peak RSS {} MB)\n"
      "ingest          {:.0f} ticks/s ({:.2f} s wall, cpu {:.2f} s = {:.2f} us/tick, peak RSS {} "
      "MB)\n"
      "end to end      {:.0f} ticks/s (first put to last checkpoint)\n"
      "raw archive     {:.1f} MB gzip ({:.1f} bytes/tick)\n",
      prefill ? "prefilled stream, ingest alone" : "producer and ingest concurrently",
      fsync ? ", fsync per commit" : "", ingested, symbols, shards, batch, records / produce_s,
      produce_s, Seconds(producer_usage.ru_utime) + Seconds(producer_usage.ru_stime),
      producer_usage.ru_maxrss / 1024, ingested / ingest_s, ingest_s, cpu,
      cpu * 1e6 / static_cast<double>(ingested), after.ru_maxrss / 1024,
      ingested / (static_cast<double>(ingest_end - produce_start) / 1e6), raw_bytes / 1e6,
      static_cast<double>(raw_bytes) / static_cast<double>(ingested));
  const IngestStageCpu stages = ingestor.stage_cpu();
  const auto per_tick = [&](Micros spent) {
    return static_cast<double>(spent) / static_cast<double>(std::max<std::uint64_t>(ingested, 1));
  };
  const Micros staged =
      stages.claim + stages.parse + stages.compress + stages.archive + stages.clean + stages.commit;
  std::cout << fmt::format(
      "ingest stages   us CPU/tick: claim {:.2f}, parse {:.2f}, compress {:.2f}, archive {:.2f}, "
      "clean {:.2f}, checkpoint {:.2f}, rest {:.2f}\n",
      per_tick(stages.claim), per_tick(stages.parse), per_tick(stages.compress),
      per_tick(stages.archive), per_tick(stages.clean), per_tick(stages.commit),
      cpu * 1e6 / static_cast<double>(std::max<std::uint64_t>(ingested, 1)) - per_tick(staged));
  if (temporary) std::filesystem::remove_all(dir);
  return ingested == records ? 0 : 1;
}
