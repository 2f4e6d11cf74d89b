// Micro-benchmarks of the hot paths: the per-record ingest CPU path, the rule, gzip.
//   ./build/bench/stockpipe_micro_bench
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "codec/gzip.h"
#include "core/record.h"
#include "producers/synthetic.h"
#include "rules/pct_sma_rule.h"
#include "store/sqlite/sqlite_clean_store.h"
#include "stream/local/sqlite_stream.h"

namespace stockpipe {
namespace {

std::vector<std::string> SampleRecords(std::size_t n) {
  SyntheticParams params;
  params.seed = 42;
  params.symbols.clear();
  for (int i = 0; i < 50; ++i) params.symbols.push_back("SYM" + std::to_string(i));
  SyntheticFeed feed(params);
  std::vector<StreamRecord> records;
  Micros t = NowMicros() - 86'400'000'000LL;
  while (records.size() < n) feed.NextRound(t += 1'000'000, records);
  std::vector<std::string> lines;
  for (auto& r : records) lines.push_back(std::move(r.data));
  return lines;
}

// Parse + validate + normalise + write the canonical RAW line: the CPU path of one record.
void BM_IngestCpuPathPerRecord(benchmark::State& state) {
  const auto lines = SampleRecords(10'000);
  RecordParser parser;
  std::string out;
  const Micros arrival = NowMicros();
  std::size_t i = 0;
  for (auto _ : state) {
    auto parsed = parser.Parse(lines[i++ % lines.size()], arrival);
    out.clear();
    AppendTickJson(std::get<Tick>(parsed), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IngestCpuPathPerRecord);

void BM_ParseOnly(benchmark::State& state) {
  const auto lines = SampleRecords(10'000);
  RecordParser parser;
  const Micros arrival = NowMicros();
  std::size_t i = 0;
  for (auto _ : state) {
    auto parsed = parser.Parse(lines[i++ % lines.size()], arrival);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseOnly);

void BM_GzipLevel1PerRecord(benchmark::State& state) {
  const auto lines = SampleRecords(20'000);
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  for (auto _ : state) {
    auto gz = GzipCompress(text);
    benchmark::DoNotOptimize(gz);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(lines.size()));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(BM_GzipLevel1PerRecord);

// The reference rule over 10,000 symbols x 200 points (one scheduled run's worth).
void BM_RuleTenThousandSymbols(benchmark::State& state) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> step(0.0, 0.01);
  std::vector<std::vector<double>> series(10'000);
  for (auto& s : series) {
    double p = 100;
    for (int i = 0; i < 200; ++i) s.push_back(p *= 1 + step(rng));
  }
  const PctSmaParams params;
  for (auto _ : state) {
    int decisions = 0;
    for (const auto& s : series) decisions += EvaluatePctSma(s, params).action.has_value();
    benchmark::DoNotOptimize(decisions);
  }
  state.SetItemsProcessed(state.iterations() * 10'000);
}
BENCHMARK(BM_RuleTenThousandSymbols)->Unit(benchmark::kMicrosecond);

std::vector<Tick> SampleTicks(std::size_t n, Micros start) {
  RecordParser parser;
  std::vector<Tick> ticks;
  for (const std::string& line : SampleRecords(n)) {
    Tick t = std::get<Tick>(parser.Parse(line, NowMicros()));
    t.timestamp += start;  // new keys every round: inserts, not updates
    ticks.push_back(std::move(t));
  }
  return ticks;
}

// One durable CLEAN commit of a 20,000-tick batch of new keys (WAL, synchronous=NORMAL).
void BM_CleanStoreUpsertPerTick(benchmark::State& state) {
  const std::string path = "/tmp/stockpipe-bench-clean.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto store = SqliteCleanStore::Open(path);
  Micros shift = 0;
  std::int64_t ticks = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto batch = SampleTicks(20'000, shift += 86'400'000'000LL / 4);
    state.ResumeTiming();
    if (!(*store)->Upsert(batch).ok()) state.SkipWithError("upsert failed");
    ticks += static_cast<std::int64_t>(batch.size());
  }
  state.SetItemsProcessed(ticks);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}
BENCHMARK(BM_CleanStoreUpsertPerTick)->Unit(benchmark::kMillisecond)->Iterations(50);

// Reading a claimed 20,000-record batch back out of the local stream.
void BM_StreamClaimPerRecord(benchmark::State& state) {
  const std::string path = "/tmp/stockpipe-bench-stream.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto stream = SqliteStream::Open(path, 1);
  std::vector<StreamRecord> records;
  for (std::string& line : SampleRecords(20'000)) records.push_back({"K", std::move(line)});
  std::int64_t read = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (!(*stream)->Put(records).ok()) state.SkipWithError("put failed");
    state.ResumeTiming();
    auto batch = (*stream)->Claim("bench", "shard-000000", 20'000);
    if (!batch || !(*stream)->Commit("bench", *batch, {}).ok()) state.SkipWithError("claim failed");
    read += static_cast<std::int64_t>(batch->entries.size());
  }
  state.SetItemsProcessed(read);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}
BENCHMARK(BM_StreamClaimPerRecord)->Unit(benchmark::kMillisecond)->Iterations(50);

}  // namespace
}  // namespace stockpipe

BENCHMARK_MAIN();
